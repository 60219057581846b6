"""``dockerfile``: a Dockerfile as a list of instructions, read by the project's BuildKit parser
(``collectors/docker/syntax.py``: continuations, ``# escape=``, heredocs and JSON forms exactly as
``docker build`` reads them).

Data model: ``[{"instruction": "FROM", "value": "python:3.12 AS build", "line": 3, "stage": 0}, …]`` in
file order. ``instruction`` is upper case; ``value`` is the rest of the instruction as BuildKit joined it
(continuations removed, flags kept, a heredoc's body included); ``stage`` is the 0-based index of the
``FROM`` it belongs to (``null`` for an ``ARG`` before the first ``FROM``). Lines: each item (``/0``,
``/1`` …) at its first line. An unknown instruction (``docker build`` refuses it too) is a ParseFailure at
its line; so is an unterminated heredoc, at the line that opens it.
"""

from __future__ import annotations

import re
from typing import Any

from anops_policy.collectors.docker.syntax import INSTRUCTIONS, DockerfileSyntaxError, parse
from anops_policy.collectors.files.parsers.model import Document, ParseFailure

# BuildKit's parser is quadratic in the length of a continued instruction (dockerfiles.py has the numbers)
MAX_BYTES = 256 * 1024
_HEREDOC = re.compile(r"<<-?([\"']?)([A-Za-z_][A-Za-z0-9_]*)\1")


def parse_dockerfile(text: str) -> list[Document]:
    """One document: the instruction list."""
    size = len(text.encode("utf-8", "replace"))
    if size > MAX_BYTES:
        raise ParseFailure(f"{size} bytes: larger than the {MAX_BYTES} bytes a Dockerfile may have here")
    try:
        instructions = parse(text)
    except DockerfileSyntaxError as exc:
        raise ParseFailure(f"not a valid Dockerfile: {exc}", _error_line(text, str(exc))) from None
    items: list[dict[str, Any]] = []
    lines: dict[str, int] = {}
    stage: int | None = None
    for index, inst in enumerate(instructions):
        if inst.cmd not in INSTRUCTIONS:
            raise ParseFailure(f"unknown instruction {inst.original.split(None, 1)[0]!r}", inst.line)
        if inst.cmd == "FROM":
            stage = 0 if stage is None else stage + 1
        parts = inst.original.lstrip().split(None, 1)
        value = parts[1].strip() if len(parts) > 1 else ""
        items.append({"instruction": inst.cmd, "value": value, "line": inst.line, "stage": stage})
        lines[f"/{index}"] = inst.line
    first = instructions[0].line if instructions else 1
    return [Document(data=items, lines={"": first, **lines}, line=first)]


def _error_line(text: str, message: str) -> int | None:
    """BuildKit's messages carry no line: find it for the ones that have one."""
    if "NUL" in message and "\0" in text:
        return text.count("\n", 0, text.index("\0")) + 1
    if "heredoc" in message:
        rows = text.split("\n")
        for number, row in enumerate(rows):
            for match in _HEREDOC.finditer(row):
                word = match.group(2)
                if not any(later.strip() == word for later in rows[number + 1 :]):
                    return number + 1
    return None
