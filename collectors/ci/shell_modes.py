"""How a shell treats a failing command (errexit, pipefail): the mode of each CI system's named shells and
of a script's shebang line."""

from __future__ import annotations

from dataclasses import dataclass

from anops_policy.collectors.ci.command_words import SHELLS


@dataclass(frozen=True)
class Mode:
    """How the shell treats a failing command: ``errexit`` (stop at the first failure outside the
    shell's exemptions) and ``pipefail`` (a pipeline fails when any part fails). ``label`` names it;
    ``posix`` is False for a shell whose scripts are not POSIX shell (PowerShell, cmd, a named interpreter),
    read by the same grammar only as far as it goes."""

    errexit: bool
    pipefail: bool
    label: str
    posix: bool = True


def mode_for_shell(shell: str | None, *, default: Mode) -> Mode | None:
    """The failure mode of a named shell (GitHub ``shell:``/CircleCI ``shell:``), None when the step is
    not a shell script (``python``)."""
    if not shell:
        return default
    s = shell.strip()
    name = s.split()[0].rsplit("/", 1)[-1] if s else ""
    flags = s.split()[1:]
    if name == "python":
        return None
    if s == "bash":
        return Mode(True, True, "bash -eo pipefail")
    if s == "sh":
        return Mode(True, False, "sh -e")
    if name in ("pwsh", "powershell"):
        return Mode(False, False, name, posix=False)
    if name == "cmd":
        return Mode(False, False, "cmd", posix=False)
    if name in SHELLS:
        errexit = any(f.startswith("-") and "e" in f[1:] and not f.startswith("--") for f in flags)
        pipefail = "pipefail" in flags
        return Mode(errexit, pipefail, s.replace("{0}", "").strip())
    return Mode(False, False, s, posix=False)


def mode_from_shebang(text: str) -> Mode:
    first = text.split("\n", 1)[0]
    if first.startswith("#!"):
        parts = first[2:].split()
        if parts and parts[0].endswith("/env"):
            parts = parts[1:]
        flags = [p for p in parts[1:] if p.startswith("-")]
        errexit = any("e" in f[1:] for f in flags if not f.startswith("--"))
        name = parts[0].rsplit("/", 1)[-1] if parts else "sh"
        return Mode(errexit, False, f"{name} script" + (" -e" if errexit else ""))
    return Mode(False, False, "sh script")
