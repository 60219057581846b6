"""The commands that run on a repository: ``eval`` (collect, judge, report, exit 1 on a blocking failure) and
``facts`` (the fact document the collectors produce)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from anops_policy.cli.options import (
    config_option,
    input_option,
    jobs_option,
    locked_option,
    no_cache_option,
    now_option,
    pack_key_option,
    pack_option,
    path_argument,
    policies_option,
    text_or_json_option,
    trace_file_option,
    verbosity_options,
)
from anops_policy.cli.output import write_output
from anops_policy.cli.service_security import client_options_without_server, client_security, client_security_options
from anops_policy.cli.targets import LOG_HELP, LOG_TARGET, stream_option
from anops_policy.policy.model import Level


def _color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


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


@click.command("eval")
@path_argument
@config_option
@policies_option
@pack_option
@pack_key_option
@locked_option
@input_option
@no_cache_option
@click.option(
    "--facts",
    "facts_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Evaluate a saved fact document (from `anops-policy facts`) instead of collecting.",
)
@text_or_json_option
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
    type=LOG_TARGET,
    default=None,
    help="Append this run to this log: " + LOG_HELP + " (default: the config's decision_log, else "
    "PATH/.anops-policy/decisions.jsonl). A store that cannot be reached fails the run (exit 3).",
)
@stream_option
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
@client_security_options
@jobs_option
@trace_file_option
@verbosity_options
def eval_cmd(
    path: Path,
    config_file: Path | None,
    policies: tuple[Path, ...],
    pack_refs: tuple[str, ...],
    pack_keys: tuple[Path, ...],
    locked: bool,
    input_specs: tuple[str, ...],
    facts_file: Path | None,
    fmt: str,
    outputs: tuple[str, ...],
    now: str | None,
    fail_on: str | None,
    deadline_s: float | None,
    baseline: Path | None,
    github: bool | None,
    decision_log: Path | str | None,
    stream: str | None,
    no_decision_log: bool,
    signing_key: Path | None,
    trusted_config: str | None,
    server: str | None,
    jobs: int | None,
    quiet: int,
    verbose: int,
    **server_security: Any,
) -> None:
    """Collect facts for PATH (default: .), evaluate the policy packs, report, and exit 1 when a
    blocking policy failed or errored (0 otherwise; 2 for bad input or config).

    \b
    Examples:
      anops-policy eval examples/anops
      anops-policy eval --now 2026-11-26 --output json=out/report.json
      anops-policy eval --facts facts.json --policies ./my-pack --format json
      anops-policy eval --pack builtin:deployment-readiness     judge Kubernetes and compose manifests
      anops-policy eval --pack ./my-pack --input k8s='deploy/**/*.yaml:yaml'   no config file needed
      anops-policy eval --locked                only the packs pinned in anops-policy.lock (pack lock)
      anops-policy eval --pack oci://reg.example/platform/my-pack:1.2.0 --pack-key platform.pem.pub
      anops-policy eval --fail-on hard          only hard policies block
      anops-policy eval --baseline main-report.json --output sarif=out/anops.sarif
      anops-policy eval --trusted-config origin/main --signing-key ci.pem   (audit trail)
      anops-policy eval --decision-log postgresql://ci@db.internal/anops   (the organisation's store)
      anops-policy eval --server policy.internal:50051 --server-ca ca.pem   (TLS; in CI the job's OIDC token)
    """
    from anops_policy.facts import parse_now  # noqa: PLC0415
    from anops_policy.outputs import FORMATTERS  # noqa: PLC0415
    from anops_policy.outputs.github import append_step_summary, in_github_actions  # noqa: PLC0415
    from anops_policy.outputs.text import TextFormatter  # noqa: PLC0415
    from anops_policy.pipeline.inputs import parse_input_options  # noqa: PLC0415
    from anops_policy.pipeline.run import EvalRequest, run_eval  # noqa: PLC0415
    from anops_policy.telemetry.progress import terminal_progress  # noqa: PLC0415

    stray = client_options_without_server(server_security)
    if stray and not server:
        raise click.UsageError(f"{', '.join(stray)} apply only with --server")
    targets = _parse_outputs(outputs)
    progress = terminal_progress(sys.stderr, quiet=quiet > 0)
    request = EvalRequest(
        path=path,
        config_file=config_file,
        policies=policies,
        packs=pack_refs,
        pack_keys=pack_keys,
        locked=locked,
        inputs=parse_input_options(input_specs),
        facts_file=facts_file,
        now=parse_now(now) if now else None,
        fail_on=Level(fail_on) if fail_on else None,
        deadline_s=deadline_s,
        baseline=baseline,
        progress=progress,
        record=not no_decision_log,
        decision_log=decision_log,
        stream=stream,
        signing_key=signing_key,
        trusted_config=trusted_config,
        jobs=jobs,
    )
    try:
        if server:
            from anops_policy.cli.serve import remote_eval  # noqa: PLC0415

            report, _document, _config, _packs = remote_eval(request, server, client_security(server_security))
        else:
            report, _document, _config, _packs = run_eval(request)
    finally:
        if progress is not None:
            progress.close()
    for name, target in targets:
        write_output(target, FORMATTERS[name].render(report))
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


@click.command("facts")
@path_argument
@config_option
@click.option(
    "--only",
    "only",
    multiple=True,
    metavar="NAME",
    help="Collect only this fact section (and what it needs); a collector plugin's section too. Repeatable.",
)
@now_option
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to a file instead of stdout.",
)
@pack_option
@pack_key_option
@locked_option
@input_option
@no_cache_option
@jobs_option
@trace_file_option
def facts_cmd(
    path: Path,
    config_file: Path | None,
    pack_refs: tuple[str, ...],
    pack_keys: tuple[Path, ...],
    locked: bool,
    input_specs: tuple[str, ...],
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
      anops-policy facts . --pack builtin:deployment-readiness --only files   what that pack's policies see
      anops-policy facts . --pack oci://reg.example/platform/my-pack:1.2.0 --pack-key platform.pem.pub
    """
    from anops_policy.facts import parse_now  # noqa: PLC0415
    from anops_policy.packs.resolve import PackOptions  # noqa: PLC0415
    from anops_policy.pipeline.inputs import parse_input_options, with_inputs  # noqa: PLC0415
    from anops_policy.pipeline.pack_folders import pack_folders  # noqa: PLC0415
    from anops_policy.pipeline.patterns import run_patterns, with_patterns  # noqa: PLC0415
    from anops_policy.pipeline.run import gather, resolve_config, run_inputs  # noqa: PLC0415
    from anops_policy.telemetry import tracing  # noqa: PLC0415

    config = resolve_config(path, config_file)
    extra = parse_input_options(input_specs)
    # an archive or remote pack is fetched once and verified as eval verifies it (trust policy, lock file)
    folders = pack_folders(config, pack_refs, extra, root=path, options=PackOptions(pack_keys, locked))
    config = with_inputs(config, run_inputs(config, pack_refs, extra, folders))
    config = with_patterns(config, run_patterns(config, pack_refs, folders))
    with tracing.span("anops.facts", {"anops.path": str(path)}):
        document = gather(path, config, parse_now(now), list(only) or None, jobs=jobs)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if output:
        write_output(output, text)
    else:
        click.echo(text, nl=False)
