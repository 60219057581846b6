"""Reading one simple command's words: the wrappers and runners that run another command (``sudo``,
``uv run``, ``python -m``), positional arguments and flag values."""

from __future__ import annotations

import re
from collections.abc import Sequence

ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SIMPLE_WRAPPERS = {"sudo", "env", "time", "command", "exec", "nice", "nohup", "stdbuf", "unbuffer",
                    "dbus-run-session", "catchsegv", "xvfb-run", "timeout", "retry", "dotenv", "chronic"}
_VALUE_FLAGS_WRAPPERS = {"-u", "--user", "-g", "-n", "-s", "--server-args", "-k", "--kill-after", "-e", "-o",
                         "-i", "-t", "--signal", "-C", "--chdir"}
_RUNNERS = {("uv", "run"), ("poetry", "run"), ("pipenv", "run"), ("pdm", "run"), ("hatch", "run"),
            ("rye", "run"), ("conda", "run"), ("micromamba", "run"), ("mamba", "run"), ("bundle", "exec"),
            ("pnpm", "exec"), ("pnpm", "dlx"), ("pipx", "run"), ("yarn", "dlx")}
_RUNNER_VALUE_FLAGS = {"--with", "--group", "--extra", "-p", "--python", "--directory", "--project", "-n", "--name",
                       "-e", "--env", "--package", "--from", "--env-file", "--prefix"}
_PYTHONS = re.compile(r"^(python|python3|python3\.\d+|py|pypy3?)$")
SHELLS = {"bash", "sh", "zsh", "dash", "ksh"}
NPM_BUILTINS = {"install", "i", "ci", "add", "remove", "rm", "uninstall", "update", "upgrade", "audit", "exec",
                 "publish", "pack", "link", "version", "config", "cache", "init", "create", "dlx", "why", "list",
                 "ls", "outdated", "login", "logout", "set", "info", "workspace", "workspaces", "prune", "dedupe",
                 "rebuild", "build", "start", "setup", "import", "store", "env", "fetch", "patch", "plugin"}


def strip_wrappers(words: list[str]) -> list[str]:
    w = list(words)
    for _ in range(12):
        while w and ASSIGN.match(w[0]):
            w = w[1:]
        if not w:
            return w
        head = w[0].rsplit("/", 1)[-1]
        if head in _SIMPLE_WRAPPERS:
            w = w[1:]
            while w and (w[0].startswith("-") or ASSIGN.match(w[0]) or (head == "timeout" and re.match(r"^\d", w[0]))):
                flag = w[0]
                w = w[1:]
                if flag in _VALUE_FLAGS_WRAPPERS and w:
                    w = w[1:]
            if head == "dotenv" and w[:1] == ["--"]:
                w = w[1:]
            continue
        if len(w) > 1 and (head, w[1]) in _RUNNERS:
            w = w[2:]
            while w and w[0].startswith("-"):
                flag = w[0]
                w = w[1:]
                if flag in _RUNNER_VALUE_FLAGS and w:
                    w = w[1:]
            if w[:1] == ["--"]:
                w = w[1:]
            continue
        if head in ("npx", "bunx", "uvx"):
            w = w[1:]
            while w and w[0].startswith("-"):
                w = w[1:]
            continue
        if _PYTHONS.match(head):
            rest = w[1:]
            while rest and rest[0] in ("-u", "-B", "-X", "-W", "-O", "-I", "-E", "-s"):
                rest = rest[2:] if rest[0] in ("-X", "-W") else rest[1:]
            if len(rest) > 1 and rest[0] == "-m":
                w = [rest[1], *rest[2:]]
                continue
            return w
        if head == "coverage" and len(w) > 1 and w[1] == "run":
            rest = w[2:]
            while rest and rest[0].startswith("-") and rest[0] != "-m":
                rest = rest[1:]
            if rest[:1] == ["-m"]:
                rest = rest[1:]
            w = rest
            continue
        return w
    return w


def positional(args: Sequence[str], value_flags: set[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a == "--":
            continue
        if a.startswith("-"):
            if a in value_flags:
                skip = True
            continue
        out.append(a)
    return out


def flag_value(args: Sequence[str], *names: str) -> str | None:
    for i, a in enumerate(args):
        for name in names:
            if a == name and i + 1 < len(args):
                return args[i + 1]
            if a.startswith(name + "=") and len(name) > 2:  # --flag=value, Go's -flag=value
                return a[len(name) + 1:]
            if not name.startswith("--") and len(name) == 2 and a.startswith(name) and len(a) > 2:
                return a[2:]
    return None
