"""Evidence that a crate's integration tests mock the external commands it runs: ``PATH`` overridden for
a command or the process, and fake executables written by the tests."""

from __future__ import annotations

from anops_policy.collectors.rust.lexer import IDENT, NUM, STR
from anops_policy.collectors.rust.scan import Scan


def mocking_evidence(sc: Scan) -> list[tuple[int, str]]:
    """(line, kind) of ``PATH`` overrides (``path_override``) and fake executables written by a test
    (``fake_executable``: an executable mode set on a file, e.g. ``from_mode(0o755)``, and the ``#!/…``
    script literals written next to it). A ``#!`` literal alone is data (a parser's test input), not a fake
    executable."""
    toks, match = sc.tokens, sc.match
    out: list[tuple[int, str]] = []
    scripts: list[int] = []
    for i, t in enumerate(toks):
        if t.kind == IDENT and t.text in ("env", "envs", "set_var") and i + 1 < len(toks) and toks[i + 1].is_punct("("):
            inner = toks[i + 2 : match.get(i + 1, i + 1)]
            if any(x.kind == STR and x.text == "PATH" for x in inner):
                out.append((t.line, "path_override"))
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
