"""Comment lexers for the ``//`` and ``/* */`` languages with plain quoting: Rust (nested block comments,
raw strings, lifetimes), Go (raw strings, runes) and C/C++ (line splices, raw strings)."""

from __future__ import annotations

import re

from anops_policy.collectors.source.lex_scan import Span, block_end, is_word, line_end, nested_block_end, skip_quoted

# --------------------------------------------------------------------------------------------------------
# Rust

_RUST = re.compile(r"//|/\*|[\"']")


def _rust_raw_hashes(text: str, q: int) -> str | None:
    """At the ``"`` at ``q``: the ``#``s of a raw string opener (``r"``, ``r#"``, ``br"``, ``cr"``)
    that ends there, or None when the quote opens an ordinary string."""
    h = q
    while h > 0 and text[h - 1] == "#":
        h -= 1
    if h == 0 or text[h - 1] != "r":
        return None
    start = h - 1
    if start > 0 and text[start - 1] in "bc":
        start -= 1
    if start > 0 and is_word(text[start - 1]):
        return None
    return text[h:q]


def _rust_char_end(text: str, s: int) -> int:
    """At a ``'``: the end of a char literal (``'"'``, ``'\\''``, ``'\\u{1F600}'``), or ``s + 1`` when
    it is a lifetime or label (``'a``, ``'static``)."""
    n = len(text)
    if s + 1 < n and text[s + 1] == "\\":
        j = text.find("'", s + 3)
        if j < 0 or "\n" in text[s:j]:
            return s + 1
        return j + 1
    if s + 2 < n and text[s + 2] == "'" and text[s + 1] != "\n":
        return s + 3
    return s + 1


def lex_rust(text: str, limit: int | None = None) -> list[Span]:
    stop = len(text) if limit is None else limit
    spans: list[Span] = []
    i = 0
    while (m := _RUST.search(text, i)) is not None:
        token, s = m.group(), m.start()
        if s > stop:
            break
        if token == "//":
            i = line_end(text, s)
            spans.append((s, i))
        elif token == "/*":
            i = nested_block_end(text, s + 2)
            spans.append((s, i))
        elif token == "'":
            i = _rust_char_end(text, s)
        else:
            hashes = _rust_raw_hashes(text, s)
            if hashes is None:
                i = skip_quoted(text, s + 1, '"')
            else:  # raw string: r"…", r#"…"#, br##"…"##
                close = '"' + hashes
                j = text.find(close, s + 1)
                i = len(text) if j < 0 else j + len(close)
    return spans


# --------------------------------------------------------------------------------------------------------
# Go

_GO = re.compile(r"//|/\*|[\"`']")


def lex_go(text: str, limit: int | None = None) -> list[Span]:
    stop = len(text) if limit is None else limit
    spans: list[Span] = []
    i = 0
    while (m := _GO.search(text, i)) is not None:
        token, s = m.group(), m.start()
        if s > stop:
            break
        if token == "//":
            i = line_end(text, s)
            spans.append((s, i))
        elif token == "/*":
            i = block_end(text, s + 2)
            spans.append((s, i))
        elif token == "`":
            i = skip_quoted(text, s + 1, "`", escapes=False)
        else:
            i = skip_quoted(text, s + 1, token, single_line=True)
    return spans


# --------------------------------------------------------------------------------------------------------
# C and C++

_C = re.compile(r"//|/\*|[\"']")
_C_RAW_DELIMITER = re.compile(r"([^()\\\s\"]{0,16})\(")


def _c_raw_close(text: str, q: int) -> tuple[str, int] | None:
    """At the ``"`` at ``q``: ``(closing sequence, body start)`` when it opens a raw string
    ``R"d(…)d"`` (optionally ``u8R``, ``uR``, ``UR``, ``LR``), else None."""
    if q == 0 or text[q - 1] != "R":
        return None
    start = q - 1
    if text.startswith("u8", start - 2) and start >= 2:
        start -= 2
    elif start > 0 and text[start - 1] in "uUL":
        start -= 1
    if start > 0 and is_word(text[start - 1]):
        return None
    m = _C_RAW_DELIMITER.match(text, q + 1)
    return None if m is None else (")" + m.group(1) + '"', m.end())


def _c_line_comment_end(text: str, s: int) -> int:
    end = line_end(text, s)
    # a backslash at the end of a // comment splices the next line into the comment
    while end < len(text) and text[s:end].rstrip("\r").endswith("\\"):
        end = line_end(text, end + 1)
    return end


def lex_c(text: str, limit: int | None = None) -> list[Span]:
    stop = len(text) if limit is None else limit
    spans: list[Span] = []
    i = 0
    while (m := _C.search(text, i)) is not None:
        token, s = m.group(), m.start()
        if s > stop:
            break
        if token == "//":
            i = _c_line_comment_end(text, s)
            spans.append((s, i))
        elif token == "/*":
            i = block_end(text, s + 2)
            spans.append((s, i))
        else:
            raw = _c_raw_close(text, s) if token == '"' else None
            if raw is None:
                i = skip_quoted(text, s + 1, token, single_line=True)
            else:  # raw string R"delim( … )delim"
                j = text.find(raw[0], raw[1])
                i = len(text) if j < 0 else j + len(raw[0])
    return spans
