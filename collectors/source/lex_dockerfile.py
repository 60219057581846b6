"""Comment lexer for Dockerfiles: comment lines, shell comments in shell-form ``RUN`` (``#`` starting a
word outside quotes), here-document bodies as data. ast-grep bundles no Dockerfile grammar, so this one
stays hand-written (see ``comment_lexer``)."""

from __future__ import annotations

import re

from anops_policy.collectors.source.lex_scan import Span

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
