"""A pattern rule's own tests: ``examples: {match: [...], no_match: [...]}``, snippets that must match and
snippets that must not. Each snippet is placed in the first of its language's contexts where it parses
(a Go call inside a function, a Go function at the top of a file, a whole file as written), so examples
are written the way the code reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from anops_policy.syntax.rules import CompiledRule, Match
from anops_policy.syntax.snippets import first_syntax_error, place
from anops_policy.syntax.trees import parse_source

KINDS = ("match", "no_match")


@dataclass(frozen=True)
class ExampleResult:
    kind: str  # match | no_match
    index: int  # position in its list
    snippet: str
    ok: bool
    detail: str  # why it failed (or what matched)


def run_examples(rule: CompiledRule, examples: Mapping[str, Any]) -> list[ExampleResult]:
    out: list[ExampleResult] = []
    for kind in KINDS:
        for index, snippet in enumerate(examples.get(kind) or []):
            out.append(_run(rule, kind, index, str(snippet)))
    return out


def _run(rule: CompiledRule, kind: str, index: int, snippet: str) -> ExampleResult:
    placed = _placed(rule, snippet)
    if isinstance(placed, str):
        return ExampleResult(kind, index, snippet, False, placed)
    code, source, start, end = placed
    found = [m for m in rule.find(code, source)[0] if _within(m, source, start, end)]
    if kind == "match":
        ok = bool(found)
        detail = f"matched {_show(found[0])}" if found else "the rule matched nothing in this snippet"
    else:
        ok = not found
        detail = "no match" if ok else f"the rule matched {_show(found[0])}, which it must not"
    return ExampleResult(kind, index, snippet, ok, detail)


def _placed(rule: CompiledRule, snippet: str) -> tuple[Any, str, int, int] | str:
    """The snippet parsed in the first context where it has no syntax error, or why none works."""
    contexts = [*(c for c in rule.language.contexts if not c.startswith("{}")), "{}\n"]
    for context in contexts:
        source, start, end = place(context, snippet.strip("\n"))
        code = parse_source(source, rule.language).root
        if first_syntax_error(code) is None:
            return code, source, start, end
    at = parse_source(snippet, rule.language).error
    where = f" (first error at line {at[0]}, column {at[1]})" if at else ""
    return f"the example does not parse as {rule.language.name}{where}"


def _within(match: Match, source: str, start: int, end: int) -> bool:
    first = source.count("\n", 0, start) + 1
    last = source.count("\n", 0, end) + 1
    return first <= match.line and match.end_line <= last


def _show(match: Match) -> str:
    return repr(match.text if len(match.text) <= 60 else match.text[:59] + "…")
