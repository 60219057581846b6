"""The commands for writing policies and configs: ``check`` and ``test`` a pack, ``explain`` a policy, print a
``schema``, and ``init`` a starter ``anops-policy.yaml``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from anops_policy.cli.options import no_cache_option, path_argument, policies_option, verbosity_options
from anops_policy.cli.output import write_output
from anops_policy.errors import ConfigError
from anops_policy.policy.builtin import DEFAULT_PACK


@click.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@no_cache_option
def check_cmd(paths: tuple[Path, ...]) -> None:
    """Load and statically check policy files or folders, and repository configs (default: the built-in pack).

    Checks the schema of each file, compiles every CEL expression and checks it against the fact
    schema: unknown fields, functions, parameters and variables are errors with file:line:column.
    Pattern rules (a pack's pack.yaml and patterns/*.yaml, a config's `patterns:`) are compiled for
    their language and run on their examples: a snippet that does not parse, an unknown language or
    node kind, or a failing example is an error with file:line:column. Exits 2 on any problem.

    \b
    Examples:
      anops-policy check policies/
      anops-policy check my-pack/no-root-user.yaml
      anops-policy check anops-policy.yaml        the config's pattern rules and inputs
      anops-policy check authorisation.yaml       the decision service's authorisation policy
    """
    from anops_policy.policy import cache as policy_cache  # noqa: PLC0415 - a repeated check needs nothing else

    authorisation, paths = _authorisation_files(paths)
    if authorisation and not paths:
        click.echo(f"ok: {authorisation} authorisation rule{'' if authorisation == 1 else 's'} checked")
        return

    def check() -> tuple[int, int]:
        from anops_policy.policy.packs import load_pack, load_policies  # noqa: PLC0415

        configs, others = _split_configs(targets)
        declared = _declared_by(configs)
        policies = load_policies(others, declared) if others or not configs else []
        rules = sum(len(_config_rules(config)) for config in configs)
        for target in others:
            if target.is_dir() and (target / "pack.yaml").is_file():
                rules += len(load_pack(target, extra_inputs=declared).patterns)
            elif target.is_dir():
                rules += len(_folder_rules(target))
        return len(policies), rules

    targets = _expand(list(paths)) or [policy_cache.default_pack_folder()]
    policies, rules = policy_cache.checked(targets, check)
    counted = f" and {rules} pattern rule{'' if rules == 1 else 's'}" if rules else ""
    click.echo(f"ok: {policies} policies{counted} checked")


def _authorisation_files(paths: tuple[Path, ...]) -> tuple[int, tuple[Path, ...]]:
    """Check the authorisation policies among ``paths`` and in its folders (``apiVersion:
    anops.dev/authorisation/v1``, read by ``serve --auth-config``; a folder's policies leave them out): their
    rule count, and the other paths (without a folder that holds nothing else)."""
    from anops_policy.policy.cache import is_authorisation_file, policy_files  # noqa: PLC0415

    def yaml_files(path: Path) -> list[Path]:
        if path.is_dir():
            return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        return [path] if path.is_file() and path.suffix in (".yaml", ".yml") else []

    found = {p: [f for f in yaml_files(p) if is_authorisation_file(f)] for p in paths}
    if not any(found.values()):
        return 0, paths
    from anops_policy.identity.authorisation import load_authorisation  # noqa: PLC0415

    rules = sum(len(load_authorisation(f).rules) for files in found.values() for f in files)
    only_authorisation = {p for p, files in found.items() if files and (
        p.is_file() or not (policy_files(p) or (p / "pack.yaml").is_file() or _expand([p]) != [p]))}
    return rules, tuple(p for p in paths if p not in only_authorisation)


def builtin_pack_dir_default() -> Path:
    from anops_policy.policy.packs import builtin_pack_dir  # noqa: PLC0415

    return builtin_pack_dir(DEFAULT_PACK)


def _expand(paths: list[Path]) -> list[Path]:
    """A folder of packs (``policies/``) stands for each of its packs."""
    from anops_policy.policy.cache import expand_pack_folders  # noqa: PLC0415

    return expand_pack_folders(paths)


def _split_configs(targets: list[Path]) -> tuple[list[Path], list[Path]]:
    from anops_policy.policy.patterns import is_config_file  # noqa: PLC0415

    configs = [t for t in targets if is_config_file(t)]
    return configs, [t for t in targets if t not in configs]


def _declared_by(configs: list[Path]) -> dict[str, Any]:
    """What the configs among the targets declare for every policy to read: their inputs and pattern rules."""
    from anops_policy.config import load_config  # noqa: PLC0415
    from anops_policy.pipeline.inputs import visible_inputs  # noqa: PLC0415
    from anops_policy.pipeline.patterns import visible_config_patterns  # noqa: PLC0415

    out: dict[str, Any] = {}
    for path in configs:
        config = load_config(path, display=str(path))
        out.update({**visible_inputs(config, {}), **visible_config_patterns(config)})
    return out


def _config_rules(path: Path) -> list[Any]:
    """A config's pattern rules, checked (and its inputs' schemas read): ConfigError on a problem."""
    from anops_policy.config import load_config  # noqa: PLC0415
    from anops_policy.pipeline.inputs import config_inputs  # noqa: PLC0415
    from anops_policy.pipeline.patterns import config_patterns  # noqa: PLC0415

    config = load_config(path, display=str(path))
    config_inputs(config)
    return config_patterns(config)


def _folder_rules(folder: Path) -> list[Any]:
    """The pattern rules of a folder without pack.yaml (its patterns/*.yaml), checked."""
    from anops_policy.policy.loading import Problems  # noqa: PLC0415
    from anops_policy.policy.packs import declared_patterns  # noqa: PLC0415
    from anops_policy.policy.patterns import check_rules  # noqa: PLC0415

    rules = declared_patterns(folder)
    problems = Problems()
    check_rules(rules, problems)
    problems.raise_if_any()
    return rules


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--coverage", is_flag=True, help="Show which top-level rule clauses the examples saw both true and false."
)
@click.option(
    "--mutate",
    is_flag=True,
    help="Mutation-test the policies: change their for_each, applies_when, variables and rule one mistake at a "
    "time and report each change no example notices, with a score per policy and pack.",
)
@click.option(
    "--min-score",
    type=click.FloatRange(0, 100),
    metavar="PERCENT",
    help="With --mutate: exit 1 when a pack's mutation score is below PERCENT.",
)
@click.option(
    "--scores",
    type=click.Path(path_type=Path, dir_okay=False),
    help="With --mutate: also write each policy's score, keyed by its file's digest, to FILE (the README's "
    "policy index reads docs/mutation-scores.json).",
)
@click.option("-j", "--jobs", type=click.IntRange(0, 64), default=None,
              help="With --mutate: worker processes (default: one per core).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="With --mutate: the report's format on stdout.")
@verbosity_options
def test_cmd(
    paths: tuple[Path, ...],
    coverage: bool,
    mutate: bool,
    min_score: float | None,
    scores: Path | None,
    jobs: int | None,
    fmt: str,
    quiet: int,
    verbose: int,
) -> None:
    """Run every policy's examples and every pattern rule's examples; fail when an example's outcome
    differs from its `expect`, a policy lacks a passing and a failing example, a rule's `match` example
    is not matched or its `no_match` example is, or a rule lacks either kind.

    PATHS are policy files, pack folders (their patterns/*.yaml and pack.yaml rules too), folders of packs
    (policies/) and repository configs (anops-policy.yaml: its `patterns:`).

    With --mutate, each policy's expressions are changed one plausible mistake at a time (a comparison
    shifted or flipped, && for ||, a clause dropped, a negation added or removed, all for exists, a
    constant moved across its boundary, a list emptied, a fact field swapped for a sibling of the same
    type) and the examples run against every such mutant. A mutant that no example notices survives
    and is listed with its location and source: add the example that tells it apart. The score is
    killed ÷ (generated − excluded); mutants equivalent by construction or failing the static check are
    excluded and listed with the reason. Exit 1 when a policy's own examples fail or, with
    --min-score, when a pack scores below it.

    \b
    Examples:
      anops-policy test policies/
      anops-policy test policies/production-readiness/no-todos-in-release-files.yaml --coverage
      anops-policy test anops-policy.yaml          the config's pattern rules
      anops-policy test --mutate policies/         the score table, survivors and exclusions
      anops-policy test --mutate my-pack/ --min-score 90 -q
    """
    if mutate:
        from anops_policy.cli.mutate import run_mutation  # noqa: PLC0415

        targets = list(paths) or [builtin_pack_dir_default()]
        sys.exit(run_mutation(targets, min_score=min_score, jobs=jobs, scores=scores, fmt=fmt, quiet=quiet))
    if min_score is not None or scores is not None:
        raise click.UsageError("--min-score and --scores need --mutate")
    from anops_policy.evaluation.examples import test_policy  # noqa: PLC0415
    from anops_policy.policy.packs import builtin_pack_dir, load_policies  # noqa: PLC0415

    targets = _expand(list(paths)) or [builtin_pack_dir(DEFAULT_PACK)]
    configs, others = _split_configs(targets)
    policies = load_policies(others, _declared_by(configs)) if others or not configs else []
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
    rule_failed, rule_count, rule_examples = _test_rules(configs, others, quiet=quiet, verbose=verbose)
    failed += rule_failed
    examples += rule_examples
    rules = f" and {rule_count} pattern rule{'' if rule_count == 1 else 's'}" if rule_count else ""
    click.echo(f"{len(policies) + rule_count - failed} passed, {failed} failed ({examples} examples; "
               f"{len(policies)} policies{rules})")
    sys.exit(1 if failed else 0)


def _test_rules(configs: list[Path], others: list[Path], *, quiet: int, verbose: int) -> tuple[int, int, int]:
    """Run the pattern rules' examples: (rules failed, rules, examples)."""
    from anops_policy.config import load_config  # noqa: PLC0415
    from anops_policy.policy.loading import Problems  # noqa: PLC0415
    from anops_policy.policy.packs import declared_patterns  # noqa: PLC0415
    from anops_policy.policy.patterns import check_rules, config_rules, example_results  # noqa: PLC0415

    rules = []
    for path in configs:
        config = load_config(path, display=str(path))
        rules += config_rules(config.raw, config.file or str(path), config.marks)
    for target in others:
        if target.is_dir():
            rules += declared_patterns(target)
    compiled = Problems()
    check_rules(rules, compiled, examples=False)  # a rule that does not compile is a config error (exit 2)
    if compiled.items:
        raise ConfigError("\n".join(item.removeprefix("load policy ") for item in compiled.items))
    failed = examples = 0
    for rule in rules:
        results, problems = example_results(rule)
        kinds = {r.kind for r in results}
        problems += [f"{rule.at('examples')}: no `{k}` example" for k in ("match", "no_match") if k not in kinds]
        ok = not problems and all(r.ok for r in results)
        examples += len(results)
        failed += not ok
        if ok and quiet:
            continue
        click.echo(f"{'✓' if ok else '✗'} pattern {rule.id} ({rule.language_name}, {len(results)} examples)")
        for r in results:
            if not r.ok or verbose:
                click.echo(f"    {'✓' if r.ok else '✗'} {r.kind} {r.index + 1}: {r.detail}")
        for problem in problems:
            click.echo(f"    ✗ {problem}")
    return failed, len(rules), examples


@click.command("explain")
@click.argument("policy_id")
@policies_option
def explain_cmd(policy_id: str, policies: tuple[Path, ...]) -> None:
    """Show a policy: what it checks, its parameters, rule, remediation and examples.

    \b
    Examples:
      anops-policy explain no-todos-in-release-files
    """
    from anops_policy.policy.describe import describe  # noqa: PLC0415
    from anops_policy.policy.packs import builtin_pack_dir, load_pack  # noqa: PLC0415
    from anops_policy.validation import suggest  # noqa: PLC0415

    packs = (
        [load_pack(p) for p in policies]
        if policies
        else [load_pack(builtin_pack_dir(DEFAULT_PACK), f"builtin:{DEFAULT_PACK}")]
    )
    found = {p.id: (pack, p) for pack in packs for p in pack.policies}
    if policy_id not in found:
        raise ConfigError(f"unknown policy '{policy_id}'{suggest(policy_id, found)}")
    pack, policy = found[policy_id]
    click.echo(describe(pack, policy), nl=False)


@click.command("schema")
@click.argument("name", required=False)
@click.option("--write", "folder", type=click.Path(path_type=Path, file_okay=False),
              help="Write every schema as a file into DIR (fact sections under DIR/facts/) for editors.")
def schema_cmd(name: str | None, folder: Path | None) -> None:
    """Print one of the project's JSON Schemas (without NAME: list them), or write them all for editors.

    The files --write produces carry no `$id` (the ids are names, not addresses), so editors resolve
    their references from the files themselves; name them in a YAML file's first line,
    `# yaml-language-server: $schema=DIR/policy.schema.json` (docs/authoring.md).

    \b
    Examples:
      anops-policy schema                 list: config, decision, fact-document, pack, policy, report
      anops-policy schema policy > policy.schema.json
      anops-policy schema facts/todos     one collector's section
      anops-policy schema --write .schemas
    """
    from anops_policy.validation import fact_fragment_names, load_fact_fragment, load_schema, schema_names  # noqa: PLC0415

    if folder is not None:
        if name:
            raise click.UsageError("--write writes every schema; give no NAME")
        from anops_policy.policy.scaffold import write_schemas  # noqa: PLC0415

        written = write_schemas(folder)
        click.echo(f"wrote {len(written)} schemas to {folder}")
        return

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


@click.command("init")
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
    write_output(target, text)
    click.echo(f"wrote {target}")
