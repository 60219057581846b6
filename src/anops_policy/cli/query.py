"""``anops-policy query``: evaluate one CEL expression against a repository's facts, or explore them at a
prompt with history and completion of fact paths."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

import click

from anops_policy.cli.options import config_option, now_option
from anops_policy.errors import AnopsError

HISTORY = Path("~/.cache/anops-policy/query-history").expanduser()


@click.command("query")
@click.argument("expression", required=False)
@click.argument("path", required=False, type=click.Path(path_type=Path, file_okay=False), default=Path())
@click.option("--facts", "facts_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Query a saved fact document (anops-policy facts -o FILE) instead of collecting PATH.")
@config_option
@now_option
def query_cmd(expression: str | None, path: Path, facts_file: Path | None, config_file: Path | None,
              now: str | None) -> None:
    """Evaluate a CEL EXPRESSION against the facts of PATH (default: .) and print its value as JSON.

    The expression gets the static check a policy's rule gets: an unknown fact path or function is an
    error (exit 2) with a suggestion. Items of the value that carry a `path` and `line` are listed as
    path:line after it. Only the fact sections the expression reads are collected. Without EXPRESSION
    on a terminal, a prompt opens: Tab completes fact paths from the fact schema, Up/Down recall
    earlier expressions (kept in ~/.cache/anops-policy/query-history), Ctrl-D leaves.

    \b
    Examples:
      anops-policy query 'facts.todos.by_path.map(p, p)' examples/anops
      anops-policy query 'facts.layout.components.filter(c, c.kind == "rust-cli")' .
      anops-policy query 'size(facts.todos.items)' --facts facts.json
      anops-policy query examples/anops        (a terminal: the interactive prompt)
    """
    from anops_policy.facts import parse_now  # noqa: PLC0415

    when = parse_now(now)
    if expression is not None and facts_file is None and Path(expression).is_dir() and path == Path():
        path, expression = Path(expression), None  # `query DIR`: the prompt on that repository
    if expression is None:
        if not sys.stdin.isatty():
            raise click.UsageError("give an EXPRESSION (the interactive prompt needs a terminal)")
        _prompt(path, facts_file, config_file, when)
        return
    from anops_policy.evaluation.query import compile_query  # noqa: PLC0415

    tree, sections = compile_query(expression)
    document = _document(path, facts_file, config_file, when, sections)
    _print(tree, document, when)


def _document(path: Path, facts_file: Path | None, config_file: Path | None, when: Any,
              sections: list[str] | None) -> dict[str, Any]:
    if facts_file is not None:
        from anops_policy.facts import load_fact_file  # noqa: PLC0415

        return load_fact_file(facts_file)
    from anops_policy.pipeline.run import gather, resolve_config  # noqa: PLC0415

    config = resolve_config(path, config_file)
    return gather(path, config, when, sections if sections else None)


def _print(tree: Any, document: dict[str, Any], when: Any) -> None:
    from anops_policy.evaluation.query import evaluate_query, locations  # noqa: PLC0415

    value = evaluate_query(tree, document, when)
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))
    for location in locations(value):
        click.echo(f"  {location}")


def _prompt(path: Path, facts_file: Path | None, config_file: Path | None, when: Any) -> None:
    import readline  # noqa: PLC0415 - only the prompt needs line editing

    from anops_policy.evaluation.query import compile_query, completions  # noqa: PLC0415

    matches: list[str] = []

    def complete(text: str, state: int) -> str | None:
        nonlocal matches
        if state == 0:
            matches = completions(text)
        return matches[state] if state < len(matches) else None

    readline.set_completer_delims(" \t\n()[]{},!=<>&|+-*/%?:'\"")
    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")
    with contextlib.suppress(OSError):
        readline.read_history_file(HISTORY)
    click.echo(f"collecting the facts of {facts_file or path} …", err=True)
    document = _document(path, facts_file, config_file, when, None)
    click.echo("a CEL expression per line (Tab completes fact paths; Ctrl-D leaves)", err=True)
    try:
        while True:
            try:
                line = input("query> ").strip()
            except EOFError:
                click.echo("")
                return
            if not line:
                continue
            try:
                tree, _ = compile_query(line)
                _print(tree, document, when)
            except AnopsError as exc:
                click.echo(f"error: {exc}", err=True)
    finally:
        try:
            HISTORY.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(HISTORY)
        except OSError:
            pass
