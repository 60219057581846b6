"""Comment lexer for JavaScript and TypeScript: template literals with ``${…}`` nesting and regular-expression
literals told from division by the preceding token."""

from __future__ import annotations

import re

from anops_policy.collectors.source.lex_scan import Span, block_end, line_end, skip_quoted

# --------------------------------------------------------------------------------------------------------
# JavaScript and TypeScript

_JS_TOP = re.compile(r"//|/\*|/|[\"'`]")
_JS_NESTED = re.compile(r"//|/\*|/|[\"'`{}]")
_JS_TEMPLATE = re.compile(r"\\|`|\$\{")
# after these words a `/` starts a regular expression, after other identifiers it divides
_JS_EXPRESSION_KEYWORDS = frozenset({
    "return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do", "else",
    "yield", "await",
})


def _js_regex_allowed(text: str, s: int) -> bool:
    j = s - 1
    while j >= 0 and text[j] in " \t\r\n":
        j -= 1
    if j < 0:
        return True
    c = text[j]
    if c.isalnum() or c in "_$":
        k = j
        while k >= 0 and (text[k].isalnum() or text[k] in "_$"):
            k -= 1
        return text[k + 1 : j + 1] in _JS_EXPRESSION_KEYWORDS
    return c not in ")]}\"'`"


def _js_regex_end(text: str, s: int) -> int:
    """End of the regex literal starting at ``s`` (``/…/flags``), or ``s + 1`` if it is not one."""
    i, n, in_class = s + 1, len(text), False
    while i < n:
        c = text[i]
        if c == "\n":
            return s + 1
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "/":
            return i + 1
        i += 1
    return s + 1


def _js_template_end(text: str, i: int, spans: list[Span]) -> int:
    while (m := _JS_TEMPLATE.search(text, i)) is not None:
        token = m.group()
        if token == "\\":
            i = m.start() + 2
        elif token == "`":
            return m.end()
        else:
            i = _js_code(text, m.end(), spans, nested=True)
    return len(text)


def _js_code(text: str, i: int, spans: list[Span], *, nested: bool, stop: int | None = None) -> int:
    """Lex code from ``i``; when ``nested`` (inside ``${…}``) return just after the matching ``}``."""
    pattern = _JS_NESTED if nested else _JS_TOP
    depth = 0
    while (m := pattern.search(text, i)) is not None:
        token, s = m.group(), m.start()
        if stop is not None and s > stop:
            break
        if token == "//":
            i = line_end(text, s)
            spans.append((s, i))
        elif token == "/*":
            i = block_end(text, s + 2)
            spans.append((s, i))
        elif token == "/":
            i = _js_regex_end(text, s) if _js_regex_allowed(text, s) else s + 1
        elif token == "`":
            i = _js_template_end(text, s + 1, spans)
        elif token in ('"', "'"):
            i = skip_quoted(text, s + 1, token, single_line=True)
        elif token == "{":
            depth += 1
            i = m.end()
        else:  # "}"
            if depth == 0:
                return m.end()
            depth -= 1
            i = m.end()
    return len(text)


def lex_js(text: str, limit: int | None = None) -> list[Span]:
    spans: list[Span] = []
    _js_code(text, 0, spans, nested=False, stop=limit)
    return spans
