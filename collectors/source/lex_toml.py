"""Comment lexer for TOML: ``#`` outside basic, literal and multi-line strings. ast-grep bundles no TOML
grammar, so this one stays hand-written (see ``comment_lexer``)."""

from __future__ import annotations

import re

from anops_policy.collectors.source.lex_scan import Span, line_end, skip_quoted

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
