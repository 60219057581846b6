"""Comment lexers for configuration files: YAML (quoted and block scalars are data) and TOML (basic,
literal and multi-line strings)."""

from __future__ import annotations

import re

from anops_policy.collectors.source.lex_scan import Span, line_end, skip_quoted

# --------------------------------------------------------------------------------------------------------
# YAML

_YAML_BLOCK_LAST = frozenset("|>-+0123456789")
_YAML_BLOCK_INDICATOR = re.compile(r"(?:^|[\s:\-?])[|>][-+0-9]*[ \t]*$")
_YAML_KEY = re.compile(r"(?:[^\s#'\"][^#]*?|'[^']*'|\"[^\"]*\")[ \t]*:(?:[ \t]|$)")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _yaml_parent_indent(line: str) -> int:
    """Column of the node that owns a block scalar started on ``line``: the key of ``key: |`` (also
    inside ``- key: |``), or the dash of ``- |``."""
    col = _indent(line)
    dash = -1
    while line.startswith("-", col) and (col + 1 == len(line) or line[col + 1] in " \t"):
        dash = col
        col += 1
        while col < len(line) and line[col] in " \t":
            col += 1
    if _YAML_KEY.match(line, col):
        return col
    return dash if dash >= 0 else col


def lex_yaml(text: str, limit: int | None = None) -> list[Span]:
    stop = len(text) if limit is None else limit
    spans: list[Span] = []
    block_parent: int | None = None  # inside a block scalar owned by a node at this column
    quote: str | None = None  # inside a multi-line quoted scalar
    offset = 0
    for raw in text.split("\n"):
        start, offset = offset, offset + len(raw) + 1
        if start > stop:
            break
        line = raw.rstrip("\r")
        if block_parent is not None:
            if not line.strip() or _indent(line) > block_parent:
                continue
            block_parent = None
        i, n = 0, len(line)
        code_end = n  # where the content before a comment ends
        if quote is None and "#" not in line and "'" not in line and '"' not in line:
            i = n  # nothing to lex on this line; only the block-scalar check below applies
        while i < n:
            c = line[i]
            if quote is not None:
                if c == "\\" and quote == '"':
                    i += 2
                    continue
                if c == quote:
                    if quote == "'" and line.startswith("''", i):
                        i += 2
                        continue
                    quote = None
                i += 1
                continue
            if c == "#" and (i == 0 or line[i - 1] in " \t"):
                spans.append((start + i, start + n))
                code_end = i
                break
            if c in "'\"":
                before = line[:i].rstrip()
                if not before or before[-1] in "[{," or (before[-1] in ":-?" and i > len(before)):
                    quote = c
            i += 1
        content = line[:code_end].rstrip()
        if quote is None and content[-1:] in _YAML_BLOCK_LAST and _YAML_BLOCK_INDICATOR.search(content):
            block_parent = _yaml_parent_indent(line)
    return spans

# --------------------------------------------------------------------------------------------------------
# TOML

_TOML = re.compile(r"#|\"\"\"|'''|[\"']")


def lex_toml(text: str, limit: int | None = None) -> list[Span]:
    stop = len(text) if limit is None else limit
    spans: list[Span] = []
    i = 0
    while (m := _TOML.search(text, i)) is not None:
        token, s = m.group(), m.start()
        if s > stop:
            break
        if token == "#":
            i = line_end(text, s)
            spans.append((s, i))
        elif token == '"""':
            i = skip_quoted(text, m.end(), '"""')
        elif token == "'''":
            i = skip_quoted(text, m.end(), "'''", escapes=False)
        else:
            i = skip_quoted(text, m.end(), token, escapes=token == '"', single_line=True)
    return spans
