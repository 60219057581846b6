"""Mapping the paths a test or coverage tool wrote (absolute CI paths, paths relative to a sub-project)
onto repository paths."""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path


class PathMapper:
    """Map a path written by a test or coverage tool onto a repository path (one of ``files``).

    Tools write paths relative to where they ran (a sub-project), or absolute paths on the CI machine
    (``/home/runner/work/app/app/svc/x.py``). A path maps when, after joining it to each candidate base
    directory, it is a repository file, lies under the evaluated root, or shares a whole-component
    suffix with exactly one repository file (the path ends with the file, or the file ends with the
    path), longer than any other such match. Ambiguous or foreign paths (site-packages, the Rust
    standard library) map to None.
    """

    def __init__(self, files: Iterable[str], root: Path) -> None:
        self.files = set(files)
        self.root = root.as_posix().rstrip("/")
        self._by_base: dict[str, list[str]] = defaultdict(list)
        for path in self.files:
            self._by_base[path.rsplit("/", 1)[-1]].append(path)
        self._cache: dict[tuple[str, tuple[str, ...]], str | None] = {}

    def map(self, raw: str, bases: Sequence[str] = ()) -> str | None:
        key = (raw, tuple(bases))
        if key not in self._cache:
            self._cache[key] = self._map(raw, bases)
        return self._cache[key]

    def exists(self, path: str) -> bool:
        return path in self.files

    def _map(self, raw: str, bases: Sequence[str]) -> str | None:
        path = normalise(raw)
        if not path:
            return None
        candidates = [] if is_absolute(path) else [normalise(f"{b}/{path}") for b in bases if b]
        candidates.append(path)
        for cand in candidates:
            rel = self._relative(cand)
            if rel is not None and rel in self.files:
                return rel
        for cand in candidates:
            found = self._by_suffix(cand)
            if found is not None:
                return found
        return None

    def _relative(self, path: str) -> str | None:
        if not is_absolute(path):
            return path
        lead = self.root + "/"
        return path[len(lead):] if path.startswith(lead) else None

    def _by_suffix(self, path: str) -> str | None:
        """The repository file that ends with ``path`` (a path relative to a sub-project or source root)
        or that ``path`` ends with (an absolute path from another machine); the longest such match
        wins, and a tie is ambiguous."""
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if not parts:
            return None
        best: list[str] = []
        best_len = 0
        for option in self._by_base.get(parts[-1], ()):
            option_parts = option.split("/")
            shared = _common_suffix(parts, option_parts)
            if shared not in (len(parts), len(option_parts)):
                continue
            if shared > best_len:
                best, best_len = [option], shared
            elif shared == best_len:
                best.append(option)
        return best[0] if len(best) == 1 else None


def _common_suffix(a: list[str], b: list[str]) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def normalise(raw: str) -> str:
    path = raw.strip().replace("\\", "/")
    if path.startswith("file://"):
        path = path[len("file://"):]
    absolute = is_absolute(path)
    path = posixpath.normpath(path) if path else ""
    if path == ".":
        return ""
    while path.startswith("./"):
        path = path[2:]
    if not absolute:
        path = path.lstrip("/")
    return path


def is_absolute(path: str) -> bool:
    return path.startswith("/") or bool(re.match(r"^[A-Za-z]:/", path))


DOTNET_EXTENSIONS = (".cs", ".fs", ".vb")


def dotnet_class_file(classname: str, mapper: PathMapper) -> str | None:
    """The source file of a .NET test class (``Shop.Tests.CartTests`` → ``tests/Shop.Tests/CartTests.cs``):
    the namespace as folders when the repository has it, else a file named like the class that is unique
    in the repository. Nested classes (``Outer+Inner``) live in the outer class's file."""
    name = classname.split("+", 1)[0].split("`", 1)[0].strip()
    if not re.fullmatch(r"[\w.]+", name):
        return None
    parts = name.split(".")
    for ext in DOTNET_EXTENSIONS:
        found = mapper.map("/".join(parts) + ext) or mapper.map(parts[-1] + ext)
        if found is not None:
            return found
    return None
