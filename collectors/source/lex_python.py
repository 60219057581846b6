"""Comment lexer for Python: ``#`` comments outside string literals, with f-string replacement fields
lexed as code."""

from __future__ import annotations

import re
from functools import cache

from anops_policy.collectors.source.lex_scan import Span, is_word, line_end, skip_quoted

# --------------------------------------------------------------------------------------------------------
# Python

_PY_TOP = re.compile(r"[#'\"]")
_PY_EXPR = re.compile(r"[{}()\[\]:'\"]")
_PY_SPEC = re.compile(r"[{}]")
_PY_PREFIX_CHARS = frozenset("rRbBuUfFtT")


def _py_prefix(text: str, q: int) -> str:
    """The string prefix (``r``, ``rb``, ``f``…) right before the quote at ``q``: up to two prefix
    letters that start a word (``return"x"`` has none)."""
    for size in (2, 1):
        start = q - size
        if start >= 0 and all(c in _PY_PREFIX_CHARS for c in text[start:q]) and (
            start == 0 or not is_word(text[start - 1])
        ):
            return text[start:q]
    return ""


@cache
def _fstring_pattern(quote: str) -> re.Pattern[str]:
    return re.compile(r"\\|\{\{|\}\}|\{|" + re.escape(quote) + (r"|\n" if len(quote) == 1 else ""))


def _py_string_end(text: str, q: int, spans: list[Span]) -> int:
    """``q`` is the opening quote: the index just after the literal."""
    prefix = _py_prefix(text, q).lower()
    quote = text[q] * 3 if text.startswith(text[q] * 3, q) else text[q]
    body = q + len(quote)
    if "f" not in prefix and "t" not in prefix:
        return skip_quoted(text, body, quote, single_line=len(quote) == 1)
    # f-string: literal parts, with replacement fields {…} lexed as expressions
    pattern = _fstring_pattern(quote)
    i = body
    while (t := pattern.search(text, i)) is not None:
        token = t.group()
        if token == "\\":
            i = t.start() + 2
        elif token in ("{{", "}}"):
            i = t.end()
        elif token == "{":
            i = _py_field_end(text, t.end(), spans)
        elif token == "\n":
            return t.start()
        else:
            return t.end()
    return len(text)


def _py_field_end(text: str, i: int, spans: list[Span]) -> int:
    """Inside ``{…}`` of an f-string: just after the closing ``}``. A ``:`` at bracket depth 0 starts
    the format spec, which is literal text (``f"{x:'>10}"``) except for nested ``{…}`` fields."""
    depth = 0
    while (m := _PY_EXPR.search(text, i)) is not None:
        token = m.group()
        if token in "'\"":
            i = _py_string_end(text, m.start(), spans)
        elif token in "([{":
            depth += 1
            i = m.end()
        elif token in ")]":
            depth = max(0, depth - 1)
            i = m.end()
        elif token == "}":
            if depth == 0:
                return m.end()
            depth -= 1
            i = m.end()
        elif token == ":" and depth == 0:
            return _py_spec_end(text, m.end(), spans)
        else:
            i = m.end()
    return len(text)


def _py_spec_end(text: str, i: int, spans: list[Span]) -> int:
    while (m := _PY_SPEC.search(text, i)) is not None:
        if m.group() == "}":
            return m.end()
        i = _py_field_end(text, m.end(), spans)
    return len(text)


def lex_python(text: str, limit: int | None = None) -> list[Span]:
    stop = len(text) if limit is None else limit
    spans: list[Span] = []
    i = 0
    while (m := _PY_TOP.search(text, i)) is not None:
        if m.start() > stop:
            break
        if m.group() == "#":
            i = line_end(text, m.start())
            spans.append((m.start(), i))
        else:
            i = _py_string_end(text, m.start(), spans)
    return spans
