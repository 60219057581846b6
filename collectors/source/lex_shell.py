"""Comment lexers for shell (quotes, ``$(…)``/``${…}``, here-documents) and for Dockerfiles (comment lines,
shell comments in shell-form ``RUN``, here-document bodies as data)."""

from __future__ import annotations

import re

from anops_policy.collectors.source.lex_scan import Span, line_end, skip_quoted

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
                end = line_end(text, i)
                line = text[i:end].rstrip("\r")
                i = end + 1
                if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                    break
        self.pending.clear()
        return min(i, len(text))


def _sh_backtick_end(text: str, i: int) -> int:
    return skip_quoted(text, i, "`")


def _sh_brace_end(text: str, i: int) -> int:
    """``${…}``: just after the matching ``}``; quotes inside are skipped."""
    depth = 0
    while (m := _SH_BRACE.search(text, i)) is not None:
        token = m.group()
        if token == "\\":
            i = m.start() + 2
        elif token == "'":
            i = skip_quoted(text, m.end(), "'", escapes=False)
        elif token == '"':
            i = skip_quoted(text, m.end(), '"')
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
                i = line_end(text, s)
                spans.append((s, i))
        elif token == "'":
            i = skip_quoted(text, i, "'", escapes=False)
        elif token == '"':
            i = _sh_dquote_end(text, i, spans, heredocs)
        elif token == "\\":
            i = s + 2
        elif token == "$'":
            i = skip_quoted(text, i, "'")
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
