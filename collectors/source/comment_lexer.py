"""Where the comments are: per-language lexers that return the character spans of every comment in a file.

Each lexer knows just enough of its language to tell a comment from a string literal — which is what a
TODO scanner needs and what a regex over lines cannot do (``"TODO:"`` in a string, ``#`` inside a Rust raw
string, a FIXME after an inner ``*/`` of a nested Rust block comment). They are not parsers: on malformed
input they stop a literal at the end of its line (single-line literals) or at the end of the file, and
never raise. Each scan jumps between "interesting" characters with one compiled regex, so the cost is
proportional to the number of quotes and comment openers, not to the file size.

Decisions, per language (documented in the todos schema too):

* Python: ``#`` comments only; docstrings are string literals (documentation, not comments).
  f-string replacement fields are lexed as code (nested strings inside them are strings).
* Rust: ``//`` (incl. doc comments) and nested ``/* */``; strings, byte strings, raw strings
  ``r#"…"#``; ``'"'`` is a char literal, ``'a`` a lifetime.
* Go: ``//`` and ``/* */``; ``"…"``, raw ``` `…` ``` and rune literals.
* JavaScript/TypeScript: ``//`` and ``/* */``; quotes, template literals with ``${…}`` nesting, and
  regular-expression literals (recognised from the preceding token).
* C/C++: ``//`` (continued by a trailing backslash) and ``/* */``; quotes and raw strings ``R"d(…)d"``.
* Shell: ``#`` at the start of a word, outside quotes, ``$(…)``/``${…}`` and here-document bodies.
* YAML: ``#`` at the start of a line or after whitespace, outside quoted scalars and block scalars
  (``|``/``>`` content is data — a ``# TODO`` inside a CI ``run: |`` script is not a YAML comment).
* TOML: ``#`` outside basic, literal and multi-line strings.
* Dockerfile: lines whose first non-blank character is ``#``, plus shell comments (``#`` after
  whitespace, outside quotes) in shell-form ``RUN`` instructions; here-document bodies are data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

Span = tuple[int, int]

# --------------------------------------------------------------------------------------------------------
# language detection

_BY_EXTENSION = {
    ".py": "python", ".pyi": "python", ".pyw": "python",
    ".rs": "rust",
    ".go": "go",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".tsx": "typescript", ".mts": "typescript", ".cts": "typescript",
    ".sh": "shell", ".bash": "shell", ".zsh": "shell", ".ksh": "shell", ".bats": "shell",
    ".yml": "yaml", ".yaml": "yaml",
    ".toml": "toml",
    ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".c++": "cpp",
    ".hpp": "cpp", ".hh": "cpp", ".hxx": "cpp", ".h++": "cpp", ".ipp": "cpp", ".inl": "cpp",
    ".dockerfile": "dockerfile", ".containerfile": "dockerfile",
}
_DOCKERFILE_NAMES = ("dockerfile", "containerfile")
_SHEBANG = re.compile(r"#![ \t]*(?:/usr)?(?:/local)?/bin/(?:env[ \t]+(?:-\S+[ \t]+)*)?([A-Za-z0-9_.+-]+)")
_SHEBANG_LANGUAGES = {
    "sh": "shell", "bash": "shell", "zsh": "shell", "ksh": "shell", "dash": "shell", "ash": "shell",
    "python": "python", "python3": "python", "python2": "python",
    "node": "javascript", "nodejs": "javascript",
}


def language_for(path: str) -> str | None:
    """The language of ``path`` from its name alone (None: unknown or not code, e.g. Markdown)."""
    name = path.rsplit("/", 1)[-1]
    lower = name.lower()
    if lower in _DOCKERFILE_NAMES or lower.startswith(("dockerfile.", "containerfile.")):
        return "dockerfile"
    dot = lower.rfind(".")
    return _BY_EXTENSION.get(lower[dot:]) if dot > 0 else None


def has_extension(path: str) -> bool:
    return name_has_dot(path.rsplit("/", 1)[-1])


def name_has_dot(name: str) -> bool:
    return name.rfind(".") > 0


def language_from_shebang(first_line: str) -> str | None:
    """``#!/usr/bin/env bash`` → shell; ``#!/usr/bin/python3.11`` → python."""
    m = _SHEBANG.match(first_line)
    if not m:
        return None
    interpreter = m.group(1)
    interpreter = re.sub(r"[0-9.]+$", "", interpreter) if interpreter.startswith("python") else interpreter
    return _SHEBANG_LANGUAGES.get(interpreter)


def comment_spans(text: str, language: str, limit: int | None = None) -> list[Span]:
    """Sorted, non-overlapping ``(start, end)`` character offsets of the comments in ``text``. With
    ``limit``, lexing may stop at the first comment or literal that starts after that offset (a caller
    that only asks about positions before it loses nothing)."""
    return LEXERS[language](text, len(text) if limit is None else limit)


# --------------------------------------------------------------------------------------------------------
# shared helpers


def _line_end(text: str, i: int) -> int:
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


def _skip_quoted(text: str, i: int, quote: str, *, escapes: bool = True, single_line: bool = False) -> int:
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


def _block_end(text: str, i: int) -> int:
    """End of a non-nesting ``/* … */`` comment whose body starts at ``i``."""
    j = text.find("*/", i)
    return len(text) if j < 0 else j + 2


_NESTED = re.compile(r"/\*|\*/")


def _nested_block_end(text: str, i: int) -> int:
    """End of a nesting ``/* … /* … */ … */`` comment (Rust) whose body starts at ``i``."""
    depth = 1
    while depth:
        m = _NESTED.search(text, i)
        if m is None:
            return len(text)
        depth += 1 if m.group() == "/*" else -1
        i = m.end()
    return i


# --------------------------------------------------------------------------------------------------------
# Rust

_RUST = re.compile(r"//|/\*|[\"']")


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"


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
    if start > 0 and _is_word(text[start - 1]):
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
            i = _line_end(text, s)
            spans.append((s, i))
        elif token == "/*":
            i = _nested_block_end(text, s + 2)
            spans.append((s, i))
        elif token == "'":
            i = _rust_char_end(text, s)
        else:
            hashes = _rust_raw_hashes(text, s)
            if hashes is None:
                i = _skip_quoted(text, s + 1, '"')
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
            i = _line_end(text, s)
            spans.append((s, i))
        elif token == "/*":
            i = _block_end(text, s + 2)
            spans.append((s, i))
        elif token == "`":
            i = _skip_quoted(text, s + 1, "`", escapes=False)
        else:
            i = _skip_quoted(text, s + 1, token, single_line=True)
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
    if start > 0 and _is_word(text[start - 1]):
        return None
    m = _C_RAW_DELIMITER.match(text, q + 1)
    return None if m is None else (")" + m.group(1) + '"', m.end())


def _c_line_comment_end(text: str, s: int) -> int:
    end = _line_end(text, s)
    # a backslash at the end of a // comment splices the next line into the comment
    while end < len(text) and text[s:end].rstrip("\r").endswith("\\"):
        end = _line_end(text, end + 1)
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
            i = _block_end(text, s + 2)
            spans.append((s, i))
        else:
            raw = _c_raw_close(text, s) if token == '"' else None
            if raw is None:
                i = _skip_quoted(text, s + 1, token, single_line=True)
            else:  # raw string R"delim( … )delim"
                j = text.find(raw[0], raw[1])
                i = len(text) if j < 0 else j + len(raw[0])
    return spans


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
            i = _line_end(text, s)
            spans.append((s, i))
        elif token == "/*":
            i = _block_end(text, s + 2)
            spans.append((s, i))
        elif token == "/":
            i = _js_regex_end(text, s) if _js_regex_allowed(text, s) else s + 1
        elif token == "`":
            i = _js_template_end(text, s + 1, spans)
        elif token in ('"', "'"):
            i = _skip_quoted(text, s + 1, token, single_line=True)
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
            start == 0 or not _is_word(text[start - 1])
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
        return _skip_quoted(text, body, quote, single_line=len(quote) == 1)
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
            i = _line_end(text, m.start())
            spans.append((m.start(), i))
        else:
            i = _py_string_end(text, m.start(), spans)
    return spans


# --------------------------------------------------------------------------------------------------------
# Shell

_SH_BASE = r"#|'|\"|\\|\$'|\$\(|\$\{|`|<<<|<<"
# newlines matter only while a here-document is pending, parentheses only inside $(…)
_SH = {
    (nested, pending): re.compile(_SH_BASE + (r"|\n" if pending else "") + (r"|\(|\)" if nested else ""))
    for nested in (False, True)
    for pending in (False, True)
}
_SH_DQ = re.compile(r"\\|\"|\$\(|\$\{|`")
_SH_BRACE = re.compile(r"\\|\{|\}|'|\"")
_HEREDOC = re.compile(r"<<(-?)[ \t]*(?:'([^'\n]+)'|\"([^\"\n]+)\"|\\?([A-Za-z_][\w.-]*))")
_SH_WORD_START = " \t\n;&|()<>"


class _Heredocs:
    def __init__(self) -> None:
        self.pending: list[tuple[str, bool]] = []

    def skip_bodies(self, text: str, i: int) -> int:
        """``i`` is the start of the line after the command: skip every pending body."""
        for delimiter, strip_tabs in self.pending:
            while i < len(text):
                end = _line_end(text, i)
                line = text[i:end].rstrip("\r")
                i = end + 1
                if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                    break
        self.pending.clear()
        return min(i, len(text))


def _sh_backtick_end(text: str, i: int) -> int:
    return _skip_quoted(text, i, "`")


def _sh_brace_end(text: str, i: int) -> int:
    """``${…}``: just after the matching ``}``; quotes inside are skipped."""
    depth = 0
    while (m := _SH_BRACE.search(text, i)) is not None:
        token = m.group()
        if token == "\\":
            i = m.start() + 2
        elif token == "'":
            i = _skip_quoted(text, m.end(), "'", escapes=False)
        elif token == '"':
            i = _skip_quoted(text, m.end(), '"')
        elif token == "{":
            depth += 1
            i = m.end()
        else:
            if depth == 0:
                return m.end()
            depth -= 1
            i = m.end()
    return len(text)


def _sh_dquote_end(text: str, i: int, spans: list[Span], heredocs: _Heredocs) -> int:
    while (m := _SH_DQ.search(text, i)) is not None:
        token = m.group()
        if token == "\\":
            i = m.start() + 2
        elif token == '"':
            return m.end()
        elif token == "$(":
            i = _sh_code(text, m.end(), spans, heredocs, nested=True)
        elif token == "${":
            i = _sh_brace_end(text, m.end())
        else:
            i = _sh_backtick_end(text, m.end())
    return len(text)


def _sh_code(
    text: str, i: int, spans: list[Span], heredocs: _Heredocs, *, nested: bool, stop: int | None = None
) -> int:
    depth = 0
    while (m := _SH[nested, bool(heredocs.pending)].search(text, i)) is not None:
        token, s = m.group(), m.start()
        if stop is not None and s > stop:
            break
        i = m.end()
        if token == "#":
            if s == 0 or text[s - 1] in _SH_WORD_START:
                i = _line_end(text, s)
                spans.append((s, i))
        elif token == "'":
            i = _skip_quoted(text, i, "'", escapes=False)
        elif token == '"':
            i = _sh_dquote_end(text, i, spans, heredocs)
        elif token == "\\":
            i = s + 2
        elif token == "$'":
            i = _skip_quoted(text, i, "'")
        elif token == "$(":
            i = _sh_code(text, i, spans, heredocs, nested=True)
        elif token == "${":
            i = _sh_brace_end(text, i)
        elif token == "`":
            i = _sh_backtick_end(text, i)
        elif token == "<<":
            h = _HEREDOC.match(text, s)
            if h is not None:
                delimiter = h.group(2) or h.group(3) or h.group(4)
                heredocs.pending.append((delimiter, h.group(1) == "-"))
                i = h.end()
        elif token == "\n":
            if heredocs.pending:
                i = heredocs.skip_bodies(text, i)
        elif token == "(":
            depth += 1
        elif token == ")":
            if nested and depth == 0:
                return i
            depth = max(0, depth - 1)
    return len(text)


def lex_shell(text: str, limit: int | None = None) -> list[Span]:
    spans: list[Span] = []
    _sh_code(text, 0, spans, _Heredocs(), nested=False, stop=limit)
    return spans


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
            i = _line_end(text, s)
            spans.append((s, i))
        elif token == '"""':
            i = _skip_quoted(text, m.end(), '"""')
        elif token == "'''":
            i = _skip_quoted(text, m.end(), "'''", escapes=False)
        else:
            i = _skip_quoted(text, m.end(), token, escapes=token == '"', single_line=True)
    return spans


# --------------------------------------------------------------------------------------------------------
# Dockerfile

_DOCKER_HEREDOC = re.compile(r"<<(-?)[ \t]*(?:'([^'\n]+)'|\"([^\"\n]+)\"|([A-Za-z_][\w.-]*))")


def _shell_comment_start(line: str) -> int:
    """Index of an unquoted ``#`` that starts a shell word in one physical line, or -1."""
    quote: str | None = None
    i = 0
    while i < len(line):
        c = line[i]
        if quote is not None:
            if c == "\\" and quote == '"':
                i += 2
                continue
            if c == quote:
                quote = None
        elif c == "\\":
            i += 2
            continue
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t;&|"):
            return i
        i += 1
    return -1


def lex_dockerfile(text: str, limit: int | None = None) -> list[Span]:
    stop = len(text) if limit is None else limit
    spans: list[Span] = []
    instruction = ""  # the instruction a continued line belongs to ("" after the last one ended)
    shell_form = False
    heredocs: list[tuple[str, bool]] = []
    offset = 0
    for raw in text.split("\n"):
        start, offset = offset, offset + len(raw) + 1
        if start > stop:
            break
        line = raw.rstrip("\r")
        if heredocs:
            delimiter, strip_tabs = heredocs[0]
            if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                heredocs.pop(0)
            continue
        stripped = line.lstrip()
        if stripped.startswith("#"):  # comment lines, also between continued lines
            spans.append((start + len(line) - len(stripped), start + len(line)))
            continue
        if not stripped:
            continue
        body = stripped
        if not instruction:
            word = stripped.split(None, 1)
            instruction = word[0].upper()
            body = word[1] if len(word) > 1 else ""
            shell_form = instruction == "RUN" and not body.lstrip().startswith("[")
        code = line
        if instruction == "RUN" and shell_form:
            hash_at = _shell_comment_start(line)
            if hash_at >= 0:
                spans.append((start + hash_at, start + len(line)))
                code = line[:hash_at]
        for h in _DOCKER_HEREDOC.finditer(body if instruction in ("RUN", "COPY", "ADD") else ""):
            heredocs.append((h.group(2) or h.group(3) or h.group(4), h.group(1) == "-"))
        if not code.rstrip().endswith("\\"):
            instruction = ""
    return spans


LEXERS: dict[str, Callable[[str, int], list[Span]]] = {
    "c": lex_c,
    "cpp": lex_c,
    "dockerfile": lex_dockerfile,
    "go": lex_go,
    "javascript": lex_js,
    "python": lex_python,
    "rust": lex_rust,
    "shell": lex_shell,
    "toml": lex_toml,
    "typescript": lex_js,
    "yaml": lex_yaml,
}
