"""Which language a file is written in: from its name (extension, ``Dockerfile``/``Containerfile``) or
its shebang line; None for files that are not code."""

from __future__ import annotations

import re

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
