"""Scanning primitives of the hand-written comment lexers (TOML): span type, line ends, quoted literals."""

from __future__ import annotations

import re
from functools import cache

Span = tuple[int, int]


def line_end(text: str, i: int) -> int:
    j = text.find("\n", i)
    return len(text) if j < 0 else j


@cache
def _closer(quote: str, escapes: bool, single_line: bool) -> re.Pattern[str]:
    parts = [re.escape(quote)]
    if escapes:
        parts.append(r"\\")
    if single_line:
        parts.append(r"\n")
    return re.compile("|".join(parts))


def skip_quoted(text: str, i: int, quote: str, *, escapes: bool = True, single_line: bool = False) -> int:
    """``i`` is just after the opening quote: the index just after the closing one. A single-line
    literal that is not closed stops at its newline (so one stray quote spoils at most one line)."""
    pattern = _closer(quote, escapes, single_line)
    while True:
        m = pattern.search(text, i)
        if m is None:
            return len(text)
        token = m.group()
        if token == "\\":
            i = m.start() + 2
        elif token == "\n":
            return m.start()
        else:
            return m.end()
