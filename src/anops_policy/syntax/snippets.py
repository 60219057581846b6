"""A pattern written the way a developer reads the code must match that code.

ast-grep parses a pattern string as a whole file of its language. Some snippets are valid there and mean
what the developer meant (a Python call); some parse as something else (Go's ``os.Getenv($A)`` at the top
of a file) or not at all (a Rust call outside a function), and then silently match nothing. Here each
snippet is tried in its language's contexts (syntax.languages): the first context in which the snippet,
with its metavariables replaced by plain identifiers, parses without error and the resulting ast-grep
pattern matches that very code is the one used — the plain string when it works as is, else a pattern
object ``{context, selector}`` whose selector is the node kind that spans exactly the snippet.

A snippet that parses in no context is a located error (the first syntax error's line and column inside
the snippet); one that parses but matches itself in no context is used as written, and the rule's own
examples say whether it works."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ast_grep_py import SgNode, SgRoot

from anops_policy.syntax.languages import Language

METAVARIABLE = re.compile(r"\$\$\$[A-Z_][A-Z0-9_]*|\$\$\$|\$\$?[A-Z_][A-Z0-9_]*")
NAMED = re.compile(r"\$(?:\$\$)?([A-Z][A-Z0-9_]*)")


@dataclass(frozen=True)
class SnippetError(Exception):
    line: int  # 1-based, inside the snippet
    column: int  # 1-based
    message: str


def metavariables(text: str) -> list[str]:
    """Named metavariables of a snippet (``$A``, ``$$$ARGS``; not ``$_`` or ``$$$``), in order."""
    return list(dict.fromkeys(NAMED.findall(text)))


def _sample(text: str) -> str:
    """The snippet as plain code: each metavariable becomes an identifier of the same length."""
    return METAVARIABLE.sub(lambda m: "z" * m.group().count("$") + m.group().lstrip("$"), text)


def place(context: str, snippet: str) -> tuple[str, int, int]:
    """``context`` with ``snippet`` in its hole (later lines indented like the hole); the snippet's span."""
    start = context.index("{}")
    line_start = context.rfind("\n", 0, start) + 1
    indent = context[line_start:start] if context[line_start:start].isspace() else ""
    body = snippet.replace("\n", "\n" + indent) if indent else snippet
    return context[:start] + body + context[start + 2:], start, start + len(body)


def first_syntax_error(root: SgNode) -> SgNode | None:
    """The first ERROR node, else the first token tree-sitter had to invent (a MISSING leaf: zero width)."""
    error = root.find(kind="ERROR")
    if error is not None:
        return error
    stack = [root]
    while stack:
        node = stack.pop()
        children = node.children()
        if not children:
            r = node.range()
            if r.start.index == r.end.index and node.kind():
                return node
        stack.extend(reversed(children))
    return None


def _exact(root: SgNode, start: int, end: int, *, outermost: bool = False) -> SgNode | None:
    """The deepest (or the outermost) node that spans exactly [start, end)."""
    best = None
    node: SgNode | None = root
    while node is not None:
        r = node.range()
        if r.start.index == start and r.end.index == end:
            if outermost:
                return node
            best = node
        inside = [
            c for c in node.children() if c.range().start.index <= start and c.range().end.index >= end
        ]
        node = inside[0] if inside else None
    return best


def _matches_itself(pattern: Any, code: SgNode, start: int, end: int) -> bool:
    try:
        found = code.find_all({"rule": {"pattern": pattern}})
    except (RuntimeError, ValueError):
        return False
    return any(m.range().start.index == start and m.range().end.index == end for m in found)


def prepare(text: str, lang: Language) -> str | dict[str, str]:
    """The ast-grep pattern for snippet ``text`` of ``lang`` (see the module doc); SnippetError when it
    parses in no context."""
    snippet = text.strip()
    if not snippet:
        raise SnippetError(1, 1, "empty pattern")
    lead = len(text) - len(text.lstrip())
    sample = _sample(snippet)
    first_error: SnippetError | None = None
    parsed_somewhere = False
    for context, strip in _contexts(snippet, lang):
        code_text, start, end = place(context, sample[len(strip):].lstrip() if strip else sample)
        code = SgRoot(code_text, lang.grammar).root()
        error = first_syntax_error(code)
        if error is not None:
            if first_error is None and context.startswith("{}"):
                first_error = _located(error, snippet, start)
            continue
        parsed_somewhere = True
        if context.startswith("{}") and not strip and _matches_itself(snippet, code, start, end):
            return snippet
        node = _exact(code, start, end, outermost=bool(strip))
        if node is None:
            continue
        body = snippet[len(strip):].lstrip() if strip else snippet
        pattern = {"context": place(context, body)[0], "selector": node.kind()}
        if _matches_itself(pattern, code, start, end):
            return pattern
    if parsed_somewhere:
        return snippet
    if first_error is None:  # no plain context: report where the first context failed
        code_text, start, end = place(lang.contexts[0], sample)
        error = first_syntax_error(SgRoot(code_text, lang.grammar).root())
        first_error = _located(error, snippet, start) if error is not None else SnippetError(1, 1, "")
    line, column = _position(text, lead + _offset(sample, first_error.line, first_error.column))
    raise SnippetError(
        line,
        column,
        f"the pattern does not parse as {lang.name}"
        + (f" near {first_error.message!r}" if first_error.message else " at its end")
        + " (write it as code of the language, or give an explicit pattern object with context and selector)",
    )


def _contexts(snippet: str, lang: Language) -> list[tuple[str, str]]:
    """(context, prefix to strip from the snippet first) pairs to try: a snippet starting with one of the
    language's special prefixes (Go's ``import``) is first tried in that prefix's context."""
    special = [(ctx, prefix) for prefix, ctx in lang.prefixed if snippet.startswith(prefix)]
    return [*special, *((ctx, "") for ctx in lang.contexts)]


def _offset(text: str, line: int, column: int) -> int:
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    return starts[min(line, len(starts)) - 1] + column - 1


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of ``offset`` in ``text``."""
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _located(error: SgNode, snippet: str, start: int) -> SnippetError:
    """The error's position inside the snippet (clamped to it) and the text it starts at (metavariables
    have the same length in the parsed sample, so offsets carry over)."""
    offset = min(max(error.range().start.index - start, 0), len(snippet))
    line, column = _position(snippet, offset)
    near = snippet[offset: offset + 20].split("\n", maxsplit=1)[0]
    return SnippetError(line, column, near)
