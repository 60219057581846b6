"""The ``anops-policy`` command line. Thin: parse, call one engine function, print, exit.
All errors go through ``main``'s single handler (exit codes in errors.py)."""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from anops_policy import __version__
from anops_policy.cli.audit import audit as audit_group
from anops_policy.cli.audit import signoff_cmd
from anops_policy.cli.options import (
    config_option,
    jobs_option,
    no_cache_option,
    now_option,
    path_argument,
    policies_option,
    trace_file_option,
    verbosity_options,
)
from anops_policy.cli.serve import serve_cmd
from anops_policy.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, AnopsError, ConfigError
from anops_policy.policy.model import Level


def _color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None


def _parse_outputs(values: tuple[str, ...]) -> list[tuple[str, Path]]:
    from anops_policy.outputs import FORMATTERS  # noqa: PLC0415
    from anops_policy.validation import suggest  # noqa: PLC0415

    out = []
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not path:
            raise click.BadParameter(f"'{value}': expected FORMAT=PATH, e.g. json=report.json", param_hint="--output")
        if name not in FORMATTERS:
            raise click.BadParameter(
                f"unknown format '{name}'{suggest(name, FORMATTERS)}; known: {', '.join(FORMATTERS)}",
                param_hint="--output",
            )
        out.append((name, Path(path)))
    return out


class AnopsGroup(click.Group):
    """Maps errors to messages and exit codes for every command (also under click's test runner)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AnopsError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if os.environ.get("ANOPS_POLICY_DEBUG"):
                traceback.print_exc()
            click.echo(
                f"internal error: {type(exc).__name__}: {exc} (set ANOPS_POLICY_DEBUG=1 for a traceback)", err=True
            )
            ctx.exit(EXIT_INTERNAL)


@click.group(cls=AnopsGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="anops-policy")
def cli() -> None:
    """Production-readiness checklists as code.

    Collectors read a repository into a JSON fact document; CEL policies judge it and explain every
    failure with the file and line that caused it.

    \b
    Examples:
      anops-policy eval                      evaluate the current repository
      anops-policy eval examples/anops --output json=report.json
      anops-policy facts . --only todos      show what the collectors see
      anops-policy check policies/           load and statically check policy files
      anops-policy test policies/            run every policy's examples
    """


@cli.command("eval")
@path_argument
@config_option
@policies_option
@no_cache_option
@click.option(
    "--facts",
    "facts_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Evaluate a saved fact document (from `anops-policy facts`) instead of collecting.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Format written to stdout.",
)
@click.option(
    "--output",
    "outputs",
    multiple=True,
    metavar="FORMAT=PATH",
    help="Also write FORMAT to PATH (e.g. json=report.json). Repeatable.",
)
@now_option
@click.option(
    "--fail-on",
    type=click.Choice([lvl.value for lvl in Level]),
    default=None,
    help="Lowest enforcement level that blocks (default: soft, or the config's evaluation.fail_on).",
)
@click.option(
    "--deadline",
    "deadline_s",
    type=click.FloatRange(min=0.01, max=600),
    default=None,
    help="Per-policy evaluation deadline in CPU seconds (default 2; a loaded machine does not use it up).",
)
@click.option(
    "--baseline",
    "baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A previous JSON report or decision log (.jsonl): only failures not in it block.",
)
@click.option(
    "--github/--no-github",
    "github",
    default=None,
    help="GitHub annotations on stderr and the Markdown step summary (default: on when GITHUB_ACTIONS=true).",
)
@click.option(
    "--decision-log",
    "decision_log",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Append this run to this log (default: the config's decision_log, else PATH/.anops-policy/decisions.jsonl).",
)
@click.option("--no-decision-log", "no_decision_log", is_flag=True, help="Do not record this run in the decision log.")
@click.option(
    "--signing-key",
    "signing_key",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="Ed25519 private key (PEM) to sign the logged event (default: the key in $ANOPS_POLICY_SIGNING_KEY, if set).",
)
@click.option(
    "--trusted-config",
    "trusted_config",
    metavar="REF",
    default=None,
    help="Read anops-policy.yaml from this git ref (e.g. origin/main), not the working tree, "
    "and report every difference the working tree would make.",
)
@click.option(
    "--server",
    "server",
    metavar="HOST:PORT",
    default=None,
    help="Judge on an `anops-policy serve` instance: collect here, evaluate there (same report and exit code).",
)
@jobs_option
@trace_file_option
@verbosity_options
def eval_cmd(
    path: Path,
    config_file: Path | None,
    policies: tuple[Path, ...],
    facts_file: Path | None,
    fmt: str,
    outputs: tuple[str, ...],
    now: str | None,
    fail_on: str | None,
    deadline_s: float | None,
    baseline: Path | None,
    github: bool | None,
    decision_log: Path | None,
    no_decision_log: bool,
    signing_key: Path | None,
    trusted_config: str | None,
    server: str | None,
    jobs: int | None,
    quiet: int,
    verbose: int,
) -> None:
    """Collect facts for PATH (default: .), evaluate the policy packs, report, and exit 1 when a
    blocking policy failed or errored (0 otherwise; 2 for bad input or config).

    \b
    Examples:
      anops-policy eval examples/anops
      anops-policy eval --now 2026-11-26 --output json=out/report.json
      anops-policy eval --facts facts.json --policies ./my-pack --format json
      anops-policy eval --fail-on hard          only hard policies block
      anops-policy eval --baseline main-report.json --output sarif=out/anops.sarif
      anops-policy eval --trusted-config origin/main --signing-key ci.pem   (audit trail)
    """
    from anops_policy.outputs import FORMATTERS  # noqa: PLC0415
    from anops_policy.outputs.github import append_step_summary, in_github_actions  # noqa: PLC0415
    from anops_policy.outputs.text import TextFormatter  # noqa: PLC0415
    from anops_policy.pipeline.run import EvalRequest, parse_now, run_eval  # noqa: PLC0415
    from anops_policy.telemetry.progress import terminal_progress  # noqa: PLC0415

    targets = _parse_outputs(outputs)
    progress = terminal_progress(sys.stderr, quiet=quiet > 0)
    request = EvalRequest(
        path=path,
        config_file=config_file,
        policies=policies,
        facts_file=facts_file,
        now=parse_now(now) if now else None,
        fail_on=Level(fail_on) if fail_on else None,
        deadline_s=deadline_s,
        baseline=baseline,
        progress=progress,
        record=not no_decision_log,
        decision_log=decision_log,
        signing_key=signing_key,
        trusted_config=trusted_config,
        jobs=jobs,
    )
    try:
        if server:
            from anops_policy.cli.serve import remote_eval  # noqa: PLC0415

            report, _document, _config, _packs = remote_eval(request, server)
        else:
            report, _document, _config, _packs = run_eval(request)
    finally:
        if progress is not None:
            progress.close()
    for name, target in targets:
        _write(target, FORMATTERS[name].render(report))
    if fmt == "json":
        click.echo(FORMATTERS["json"].render(report), nl=False)
    else:
        click.echo(TextFormatter(color=_color(), verbosity=verbose - quiet).render(report), nl=False)
    if github if github is not None else in_github_actions():
        click.echo(FORMATTERS["github"].render(report), nl=False, err=True)
        try:
            append_step_summary(report)
        except OSError as exc:  # a summary that cannot be written must not hide the verdict
            click.echo(f"warning: cannot append to GITHUB_STEP_SUMMARY: {exc}", err=True)
    if report.logged is not None:
        from anops_policy.cli.audit import logged_line  # noqa: PLC0415

        click.echo(logged_line(report), err=True)
    sys.exit(report.exit_code)


@cli.command("facts")
@path_argument
@config_option
@click.option(
    "--only",
    "only",
    multiple=True,
    metavar="NAME",
    help="Collect only this fact section (and what it needs). Repeatable.",
)
@now_option
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to a file instead of stdout.",
)
@jobs_option
@trace_file_option
def facts_cmd(
    path: Path,
    config_file: Path | None,
    only: tuple[str, ...],
    now: str | None,
    output: Path | None,
    jobs: int | None,
) -> None:
    """Print the fact document the collectors produce for PATH, as JSON.

    \b
    Examples:
      anops-policy facts examples/anops
      anops-policy facts . --only todos --only git
      anops-policy facts . -o facts.json && anops-policy eval --facts facts.json
      anops-policy facts . --jobs 1            collect in one process
    """
    from anops_policy.pipeline.run import gather, parse_now, resolve_config  # noqa: PLC0415
    from anops_policy.telemetry import tracing  # noqa: PLC0415

    config = resolve_config(path, config_file)
    with tracing.span("anops.facts", {"anops.path": str(path)}):
        document = gather(path, config, parse_now(now), list(only) or None, jobs=jobs)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if output:
        _write(output, text)
    else:
        click.echo(text, nl=False)


@cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@no_cache_option
def check_cmd(paths: tuple[Path, ...]) -> None:
    """Load and statically check policy files or folders (default: the built-in pack).

    Checks the schema of each file, compiles every CEL expression and checks it against the fact
    schema: unknown fields, functions, parameters and variables are errors with file:line:column.
    Exits 2 on any problem.

    \b
    Examples:
      anops-policy check policies/
      anops-policy check my-pack/no-root-user.yaml
    """
    from anops_policy.policy import cache as policy_cache  # noqa: PLC0415 - a repeated check needs nothing else

    def check() -> int:
        from anops_policy.policy.loading import load_pack, load_policies  # noqa: PLC0415

        policies = load_policies(targets)
        for target in targets:
            if target.is_dir() and (target / "pack.yaml").is_file():
                load_pack(target)
        return len(policies)

    targets = list(paths) or [policy_cache.default_pack_folder()]
    click.echo(f"ok: {policy_cache.checked(targets, check)} policies checked")


@cli.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--coverage", is_flag=True, help="Show which top-level rule clauses the examples saw both true and false."
)
@verbosity_options
def test_cmd(paths: tuple[Path, ...], coverage: bool, quiet: int, verbose: int) -> None:
    """Run every policy's examples; fail when an example's outcome differs from its `expect`, or a
    policy lacks a passing and a failing example.

    \b
    Examples:
      anops-policy test policies/
      anops-policy test policies/no-todos-in-release-files.yaml --coverage
    """
    from anops_policy.evaluation.examples import test_policy  # noqa: PLC0415
    from anops_policy.policy.loading import builtin_pack_dir, load_policies  # noqa: PLC0415

    targets = list(paths) or [builtin_pack_dir("production-readiness")]
    policies = load_policies(targets)
    failed = examples = 0
    for policy in policies:
        result = test_policy(policy, coverage=coverage)
        examples += len(result.examples)
        mark = "✓" if result.ok else "✗"
        if not result.ok:
            failed += 1
        if result.ok and quiet:
            continue
        click.echo(f"{mark} {policy.id} ({len(result.examples)} examples)")
        for ex in result.examples:
            if not ex.ok or verbose:
                detail = f" — {ex.detail}" if ex.detail else ""
                click.echo(f"    {'✓' if ex.ok else '✗'} {ex.example.name}: {ex.outcome.value}{detail}")
        for problem in result.problems:
            click.echo(f"    ✗ {problem}")
        for clause in result.coverage:
            seen = [w for w, flag in (("true", clause["true"]), ("false", clause["false"])) if flag]
            gap = "" if len(seen) == 2 else "  ← not exercised both ways"
            click.echo(f"    clause {clause['clause']}: seen {' and '.join(seen) or 'never'}{gap}")
    click.echo(f"{len(policies) - failed} passed, {failed} failed ({examples} examples)")
    sys.exit(1 if failed else 0)


@cli.command("explain")
@click.argument("policy_id")
@policies_option
def explain_cmd(policy_id: str, policies: tuple[Path, ...]) -> None:
    """Show a policy: what it checks, its parameters, rule, remediation and examples.

    \b
    Examples:
      anops-policy explain no-todos-in-release-files
    """
    from anops_policy.policy.describe import describe  # noqa: PLC0415
    from anops_policy.policy.loading import builtin_pack_dir, load_pack  # noqa: PLC0415
    from anops_policy.validation import suggest  # noqa: PLC0415

    packs = (
        [load_pack(p) for p in policies]
        if policies
        else [load_pack(builtin_pack_dir("production-readiness"), "builtin:production-readiness")]
    )
    found = {p.id: (pack, p) for pack in packs for p in pack.policies}
    if policy_id not in found:
        raise ConfigError(f"unknown policy '{policy_id}'{suggest(policy_id, found)}")
    pack, policy = found[policy_id]
    click.echo(describe(pack, policy), nl=False)


@cli.command("schema")
@click.argument("name", required=False)
def schema_cmd(name: str | None) -> None:
    """Print one of the project's JSON Schemas (without NAME: list them).

    \b
    Examples:
      anops-policy schema                 list: config, decision, fact-document, pack, policy, report
      anops-policy schema policy > policy.schema.json
      anops-policy schema facts/todos     one collector's section
    """
    from anops_policy.validation import fact_fragment_names, load_fact_fragment, load_schema, schema_names  # noqa: PLC0415

    if not name:
        for schema in schema_names():
            click.echo(schema)
        for fragment in fact_fragment_names():
            click.echo(f"facts/{fragment}")
        return
    if name.startswith("facts/") and name[6:] in fact_fragment_names():
        data: Any = load_fact_fragment(name[6:])
    else:
        data = load_schema(name)
    click.echo(json.dumps(data, indent=2))


@cli.command("init")
@path_argument
@click.option("--force", is_flag=True, help="Overwrite an existing anops-policy.yaml.")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print the config instead of writing it.")
def init_cmd(path: Path, force: bool, to_stdout: bool) -> None:
    """Write a commented starter anops-policy.yaml for PATH from what discovery finds.

    \b
    Examples:
      anops-policy init
      anops-policy init services/ --stdout
    """
    from anops_policy.pipeline.starter import starter_config  # noqa: PLC0415

    text = starter_config(path)
    if to_stdout:
        click.echo(text, nl=False)
        return
    target = path / "anops-policy.yaml"
    if target.exists() and not force:
        raise ConfigError(f"{target} exists; use --force to overwrite or --stdout to print")
    _write(target, text)
    click.echo(f"wrote {target}")


cli.add_command(audit_group)
cli.add_command(signoff_cmd)
cli.add_command(serve_cmd)


def main(argv: list[str] | None = None) -> None:
    """Entry point: the one place that maps errors to exit codes and messages."""
    try:
        # without standalone mode click returns (not raises) the code given to ctx.exit()
        code = cli.main(args=argv, prog_name="anops-policy", standalone_mode=False)
        if isinstance(code, int) and code != EXIT_OK:
            sys.exit(code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if exc.exit_code not in (0, 1) else exc.exit_code)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except AnopsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(EXIT_OK)
    except Exception as exc:
        if os.environ.get("ANOPS_POLICY_DEBUG"):
            traceback.print_exc()
        click.echo(f"internal error: {type(exc).__name__}: {exc} (set ANOPS_POLICY_DEBUG=1 for a traceback)", err=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(EXIT_OK)
