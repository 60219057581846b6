"""Where the comments are, from the tree-sitter tree of a file: the character spans of every comment node,
for the grammars ast-grep bundles among the languages the ``todos`` collector reads (Python, Rust, Go,
JavaScript, TypeScript and TSX, C, C++, Bash, YAML).

What is a comment is what the grammar says, which settles the questions a hand-written lexer had to
answer one by one: a Python docstring is a string (documentation, not a comment); a ``#`` inside a Rust
raw string, a JavaScript template literal or regular expression, a C raw string or a Go raw string is
part of the literal; Rust block comments nest; a C ``//`` comment continues over a trailing backslash; a
YAML block scalar (``run: |``) and a shell here-document body are data; a ``#`` inside a shell word
(``a#b``) starts no comment. A ``#!`` line of a JavaScript file is no comment (the grammar's
``hash_bang_line``). On malformed input tree-sitter recovers (ERROR nodes) and the comments it still
recognises are reported; nothing raises.

The spans follow the hand lexers' convention, which the collector's marker text relies on: a line comment
ends before its newline (tree-sitter-rust's ``line_comment`` includes it, the other grammars do not) and
keeps a ``\\r`` before it (Windows line ends), except in YAML; a block comment never closed runs to the end
of the file.

Not here: TOML and Dockerfile. ast-grep bundles no grammar for either (it panics on a language name it
does not know, so ``GRAMMARS`` is the closed list of names this module ever passes to it), and the
collector keeps its small hand lexers for them.
"""

from __future__ import annotations

import bisect
from typing import Any

from ast_grep_py import SgNode, SgRoot

Span = tuple[int, int]

_COMMENT = ("comment",)
GRAMMARS: dict[str, tuple[str, ...]] = {
    "bash": _COMMENT,
    "c": _COMMENT,
    "cpp": _COMMENT,
    "go": _COMMENT,
    "javascript": _COMMENT,
    "python": _COMMENT,
    "rust": ("line_comment", "block_comment"),
    "tsx": _COMMENT,
    "typescript": _COMMENT,
    "yaml": _COMMENT,
}
"""ast-grep grammar name → the node kinds that are comments in it."""


def _rule(grammar: str) -> dict[str, Any]:
    kinds = GRAMMARS[grammar]
    return {"kind": kinds[0]} if len(kinds) == 1 else {"any": [{"kind": k} for k in kinds]}


def parse(text: str, grammar: str) -> SgNode:
    """The root of ``text``'s tree in ``grammar`` (one of ``GRAMMARS``; KeyError for any other name)."""
    GRAMMARS[grammar]  # never hand ast-grep a name it does not know: it aborts the process
    return SgRoot(text, grammar).root()


def comment_spans_of(
    root: SgNode, text: str, grammar: str, limit: int | None = None, *, recover: bool = True
) -> list[Span]:
    """Sorted, non-overlapping ``(start, end)`` character offsets of the comments of ``root`` (the tree of
    ``text`` in ``grammar``). With ``limit``, comments that start after that offset may be left out.
    ``recover``: also look for comments in the text tree-sitter skipped while recovering from a syntax
    error (``_skipped_text``)."""
    spans: list[Span] = []
    kinds = GRAMMARS[grammar]
    rule = {"any": [{"kind": k} for k in (*kinds, "ERROR")]} if recover else _rule(grammar)
    errors: list[SgNode] = []
    for node in root.find_all(**rule):  # one walk of the tree: the comments and, to recover, the ERROR nodes
        if recover and node.kind() == "ERROR":
            errors.append(node)
            continue
        r = node.range()
        start, end = r.start.index, r.end.index
        if limit is not None and start > limit:
            continue
        if text.startswith("/*", start):
            if not text.endswith("*/", start + 2, end):
                end = len(text)  # never closed (malformed input): it runs to the end of the file
        elif end > start and text[end - 1] == "\n":
            end -= 1  # tree-sitter-rust's line comments hold their newline
        elif grammar != "yaml" and text.startswith("\r\n", end):
            end += 1  # the hand lexers' convention, but for YAML's, which ended before the \r
        spans.append((start, end))
    if grammar in ("c", "cpp"):
        spans = _macro_bodies(root, text, grammar, spans, limit)
    if errors:
        spans.extend(_skipped_text(errors, text, grammar, limit))
    spans.sort()
    return _disjoint(spans)


def comment_spans(text: str, grammar: str, limit: int | None = None) -> list[Span]:
    """``comment_spans_of`` on a fresh parse of ``text``."""
    return comment_spans_of(parse(text, grammar), text, grammar, limit)


_OPENERS = {"bash": ("#",), "python": ("#",), "yaml": ("#",)}
_SLASHES = ("//", "/*")


def _skipped_text(errors: list[SgNode], text: str, grammar: str, limit: int | None) -> list[Span]:
    """Comments in the text of the childless ERROR nodes: the characters tree-sitter skipped to recover
    from a syntax error, where it recognised no token at all, comments included (``foo: bar`` followed by
    a wrongly indented ``  bad: x # TODO`` in YAML). Each such run is parsed again on its own, once."""
    found: list[Span] = []
    openers = _OPENERS.get(grammar, _SLASHES)
    for error in errors:
        r = error.range()
        a, b = r.start.index, r.end.index
        if (limit is not None and a > limit) or error.children():
            continue
        fragment = text[a:b]
        if any(o in fragment for o in openers):
            tree = parse(fragment, grammar)
            found.extend((a + s, a + e) for s, e in comment_spans_of(tree, fragment, grammar, recover=False))
    return found


def _macro_bodies(root: SgNode, text: str, grammar: str, spans: list[Span], limit: int | None) -> list[Span]:
    """tree-sitter-c keeps a directive's argument (``#define X 1 // why``) as one opaque ``preproc_arg``
    token up to the end of the line: a ``//`` comment after a macro's value is inside it and found by
    no one, and a ``/*`` inside a string of the value (``#define S "/* no */"``) breaks out of the token
    and reads as a comment. So each argument that holds a comment opener, to the end of its logical line
    (backslash-newlines continue it; so does a block comment that runs on), is parsed again on its own,
    its ``#`` (stringising, pasting) blanked, and its comments replace those the file's tree saw there."""
    spans.sort()
    starts = [s for s, _ in spans]
    regions: list[Span] = []
    for arg in root.find_all(kind="preproc_arg"):
        start = arg.range().start.index
        if limit is not None and start > limit:
            break
        if regions and start < regions[-1][1]:
            continue
        end = _logical_line_end(text, start, spans, starts)
        if "//" in text[start:end] or "/*" in text[start:end]:
            regions.append((start, end))
    if not regions:
        return spans
    kept = [s for s in spans if not any(a <= s[0] < b for a, b in regions)]
    for a, b in regions:
        fragment = text[a:b].replace("#", " ")
        tree = parse(fragment, grammar)
        kept.extend((a + s, a + e) for s, e in comment_spans_of(tree, fragment, grammar, recover=False))
    return kept


def _logical_line_end(text: str, i: int, spans: list[Span], starts: list[int]) -> int:
    while True:
        end = text.find("\n", i)
        if end < 0:
            return len(text)
        k = bisect.bisect_right(starts, end) - 1
        if k >= 0 and spans[k][0] < end < spans[k][1]:  # a block comment over the newline
            i = spans[k][1]
        elif text[:end].rstrip("\r").endswith("\\"):
            i = end + 1
        else:
            return end


def _disjoint(spans: list[Span]) -> list[Span]:
    """Drop a span inside the one before it (a comment node nested in a comment node, should a grammar
    ever make one)."""
    out: list[Span] = []
    for s, e in spans:
        if out and s < out[-1][1]:
            continue
        out.append((s, e))
    return out
