"""Evidence that a crate's integration tests mock the external commands it runs: ``PATH`` overridden for
a command or the process, fake executables written by the tests, and the program replaced through the
environment variable that chooses it (``.env("EDITOR", "touch")``, ``.env("DOCKER", fake)``)."""

from __future__ import annotations

import re

from anops_policy.collectors.rust.scan import Scan
from anops_policy.collectors.rust.tokens import IDENT, NUM, STR

# variables by which programs conventionally let the user choose another program
PROGRAM_VARIABLES = frozenset({"EDITOR", "VISUAL", "PAGER", "GIT_EDITOR", "GIT_PAGER", "BROWSER", "SHELL", "DIFF"})
PROGRAM_VARIABLE = re.compile(r"^[A-Z][A-Z0-9_]*_(BIN|CMD|COMMAND|EXE|EXECUTABLE|PROGRAM|PATH_TO_BIN)$")


def is_program_variable(name: str, program_envs: frozenset[str], programs: frozenset[str]) -> bool:
    """An environment variable that chooses a program: one the crate's code reads for a spawn, a
    conventional one (``EDITOR``, ``PAGER``, ``*_BIN``), or a spawned program's name in capitals
    (``DOCKER`` for ``docker``)."""
    return (
        name in program_envs
        or name in PROGRAM_VARIABLES
        or bool(PROGRAM_VARIABLE.match(name))
        or name in {p.rsplit("/", 1)[-1].upper().replace("-", "_") for p in programs}
    )


def mocking_evidence(
    sc: Scan, program_envs: frozenset[str] = frozenset(), programs: frozenset[str] = frozenset()
) -> list[tuple[int, str]]:
    """(line, kind) of ``PATH`` overrides (``path_override``), programs replaced through the variable that
    chooses them (``program_env_override``: ``.env("EDITOR", "touch")``, ``env::set_var("DOCKER", fake)``,
    the variable read by a spawn of the crate, ``program_envs``, or a conventional one) and fake executables
    written by a test (``fake_executable``: an executable mode set on a file, e.g. ``from_mode(0o755)``,
    and the ``#!/…`` script literals written next to it). A ``#!`` literal alone is data (a parser's test
    input), not a fake executable."""
    toks, match = sc.tokens, sc.match
    out: list[tuple[int, str]] = []
    scripts: list[int] = []
    for i, t in enumerate(toks):
        if t.kind == IDENT and t.text in ("env", "envs", "set_var") and i + 1 < len(toks) and toks[i + 1].is_punct("("):
            inner = toks[i + 2 : match.get(i + 1, i + 1)]
            if any(x.kind == STR and x.text == "PATH" for x in inner):
                out.append((t.line, "path_override"))
            elif any(
                x.kind == STR and is_program_variable(x.text, program_envs, programs)
                for x in (inner if t.text == "envs" else inner[:1])
            ):
                out.append((t.line, "program_env_override"))
        elif t.kind == STR and t.text.startswith("#!/"):
            scripts.append(t.line)
        elif (
            t.kind == IDENT and t.text in ("from_mode", "set_mode") and i + 2 < len(toks) and toks[i + 1].is_punct("(")
        ):
            mode = toks[i + 2].text
            # an executable bit for the owner: 0o7xx, 0o5xx, 0o3xx, 0o1xx
            if toks[i + 2].kind == NUM and mode.startswith("0o") and mode[2:].lstrip("0")[:1] in ("1", "3", "5", "7"):
                out.append((t.line, "fake_executable"))
    if out:
        out.extend((line, "fake_executable") for line in scripts)
    return sorted(set(out))
