"""Dockerfile syntax: the only module that imports the ``dockerfile`` package (BuildKit's own Go parser,
wrapped as a Python extension), plus the parser directives it does not report.

BuildKit's parser owns line continuations, the ``# escape=`` character, comments inside continuations,
JSON versus shell forms, flags and heredocs, so Dockerfiles are read exactly as ``docker build`` reads
them. It does not check instruction names (``docker build`` does that later), so unknown instructions
are reported by the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A parser directive is `# key=value` on one of the first lines; the first line that is anything else
# (a comment, a blank line, an instruction) ends them, exactly as BuildKit does.
_DIRECTIVE = re.compile(r"^#\s*([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*?)\s*$")
KNOWN_DIRECTIVES = ("syntax", "escape", "check")
INSTRUCTIONS = frozenset(
    {
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    }
)


class DockerfileSyntaxError(Exception):
    """The file is not a Dockerfile BuildKit can parse (``docker build`` would refuse it too)."""


@dataclass(frozen=True)
class Heredoc:
    name: str
    content: str


@dataclass(frozen=True)
class Instruction:
    """One instruction as BuildKit parsed it. ``values`` are BuildKit's arguments: the JSON array's items
    (``json``), the key/value pairs of ENV/LABEL, or the shell-form text after the flags."""

    cmd: str  # upper case as written ("hello" → "HELLO"; the caller flags unknown ones)
    sub_cmd: str | None  # ONBUILD's instruction
    json: bool
    original: str
    line: int
    end_line: int
    flags: tuple[str, ...]
    values: tuple[str, ...]
    heredocs: tuple[Heredoc, ...]


def read_directives(text: str) -> dict[str, str]:
    """Parser directives at the top of the file, lower-cased keys (``syntax``, ``escape``, ``check``)."""
    found: dict[str, str] = {}
    for line in text.lstrip("\ufeff").splitlines():
        match = _DIRECTIVE.match(line)
        if not match:
            break
        key = match.group(1).lower()
        if key in found:  # BuildKit rejects a repeated directive; treat the rest as comments
            break
        found[key] = match.group(2)
    return {k: v for k, v in found.items() if k in KNOWN_DIRECTIVES}


def parse(text: str) -> list[Instruction]:
    """Instructions in file order (1-based lines). Raises ``DockerfileSyntaxError``."""
    if "\0" in text:
        # the Go parser stops silently at a NUL byte; a Dockerfile never contains one
        raise DockerfileSyntaxError("contains a NUL byte")
    # imported on first use, never at start-up: loading the extension starts the Go runtime's threads,
    # and a process with native threads must not fork (parallel collection forks its workers)
    import dockerfile  # noqa: PLC0415

    try:
        commands = dockerfile.parse_string(text.lstrip("\ufeff"))
    except dockerfile.GoParseError as exc:
        raise DockerfileSyntaxError(str(exc)) from None
    out: list[Instruction] = []
    for c in commands:
        out.append(
            Instruction(
                cmd=str(c.cmd).upper(),
                sub_cmd=str(c.sub_cmd).upper() if c.sub_cmd else None,
                json=bool(c.json),
                original=str(c.original),
                line=int(c.start_line),
                end_line=int(c.end_line),
                flags=tuple(str(f) for f in c.flags),
                values=tuple(str(v) for v in c.value),
                heredocs=tuple(Heredoc(str(h.name), str(h.content)) for h in c.heredocs),
            )
        )
    return out
