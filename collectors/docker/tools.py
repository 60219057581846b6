"""Build tools: packages that compile, build, fetch or version code, which a runtime image does not need."""

from __future__ import annotations

import re

_TOOLS: dict[str, str] = {
    # compilers and toolchains
    "gcc": "compiler",
    "g++": "compiler",
    "gcc-c++": "compiler",
    "cpp": "compiler",
    "clang": "compiler",
    "build-essential": "compiler",
    "build-base": "compiler",
    "@development tools": "compiler",
    "@development-tools": "compiler",
    "golang": "compiler",
    "golang-go": "compiler",
    "go": "compiler",
    "rustc": "compiler",
    "rust": "compiler",
    "cargo": "compiler",
    "gfortran": "compiler",
    # build systems
    "make": "build",
    "cmake": "build",
    "autoconf": "build",
    "automake": "build",
    "libtool": "build",
    "ninja-build": "build",
    "meson": "build",
    # version control
    "git": "vcs",
    "mercurial": "vcs",
    "subversion": "vcs",
    # downloaders
    "curl": "download",
    "wget": "download",
}
_VERSIONED_COMPILER = re.compile(r"^(?:gcc|g\+\+|clang|cpp)-\d+(?:\.\d+)*$")


def tool_kind(package: str) -> str | None:
    """``compiler``/``build``/``vcs``/``download`` for a build tool package name, else None."""
    name = package.lower()
    if name in _TOOLS:
        return _TOOLS[name]
    if _VERSIONED_COMPILER.match(name):
        return "compiler"
    return None
