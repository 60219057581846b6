"""Read-only, hermetic access to the evaluated directory for collectors.

Collectors never open files themselves: they list and read through ``Repo`` so that every collector
gets the same guarantees:

* git-aware listing (tracked and untracked-but-not-ignored files) restricted to the evaluated directory,
  or a walk honouring ``.gitignore`` files when there is no git;
* default excludes (``.git``, ``target/``, ``node_modules/``, virtualenvs, caches, ``.anops-policy/``)
  plus the config's ``collect.exclude`` globs;
* never following a symlink out of the root, and surviving symlink loops;
* skipping binary, oversized and non-UTF-8 files with a recorded reason instead of crashing.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

DEFAULT_EXCLUDES = (
    ".git/",
    ".anops-policy/",
    "target/",
    "node_modules/",
    ".venv/",
    "venv/",
    "__pycache__/",
    ".tox/",
    ".nox/",
    ".mypy_cache/",
    ".pytest_cache/",
    ".ruff_cache/",
)
# Directories a result-file glob never enters: VCS internals and our own state.
ALWAYS_EXCLUDED = (".git/", ".anops-policy/")
DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024
GIT_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Skip:
    path: str
    reason: str


class GitError(Exception):
    pass


class Git:
    """The git repository that contains the evaluated directory (read-only commands only)."""

    def __init__(self, toplevel: Path, prefix: str) -> None:
        self.toplevel = toplevel
        # the evaluated directory relative to the top level, POSIX, "" when it is the top level
        self.prefix = prefix

    @classmethod
    def discover(cls, root: Path) -> Git | None:
        try:
            out = subprocess.run(
                ["git", "-C", str(root), "rev-parse", "--show-toplevel"],
                capture_output=True,
                text=True,
                timeout=GIT_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        if out.returncode != 0:
            return None
        top = Path(out.stdout.strip()).resolve()
        try:
            prefix = root.resolve().relative_to(top).as_posix()
        except ValueError:
            return None
        return cls(top, "" if prefix == "." else prefix)

    def run(self, *args: str, timeout: float = GIT_TIMEOUT_S, check: bool = True) -> str:
        """Run ``git ARGS`` at the top level and return stdout (raises ``GitError``)."""
        try:
            out = subprocess.run(
                ["git", "-c", "core.quotepath=off", "-C", str(self.toplevel), *args],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                encoding="utf-8",
                errors="replace",
            )
        except subprocess.TimeoutExpired:
            raise GitError(f"git {args[0]} timed out after {timeout:.0f}s") from None
        except OSError as exc:
            raise GitError(f"git unavailable: {exc}") from None
        if check and out.returncode != 0:
            raise GitError(f"git {' '.join(args[:2])} failed: {out.stderr.strip()[:300]}")
        return out.stdout

    def to_repo_path(self, top_relative: str) -> str | None:
        """Top-level-relative path → evaluated-directory-relative path (None when outside it)."""
        if not self.prefix:
            return top_relative
        lead = self.prefix + "/"
        return top_relative[len(lead) :] if top_relative.startswith(lead) else None

    def to_top_path(self, repo_path: str) -> str:
        return f"{self.prefix}/{repo_path}" if self.prefix else repo_path


def _spec(patterns: Iterable[str]) -> pathspec.GitIgnoreSpec:
    # git's own wildmatch/gitignore rules (`**`, anchoring, directory-only patterns)
    return pathspec.GitIgnoreSpec.from_lines(list(patterns))


class Repo:
    """The evaluated directory. Paths in and out are POSIX and relative to ``root``."""

    def __init__(
        self,
        root: Path,
        *,
        exclude: Sequence[str] = (),
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        use_git: bool = True,
    ) -> None:
        self.root = root.resolve()
        self.max_file_bytes = max_file_bytes
        self.git = Git.discover(self.root) if use_git else None
        self._exclude = _spec([*DEFAULT_EXCLUDES, *exclude])
        self._files: list[str] | None = None
        self._all_files: list[str] | None = None

    # ---- listing -------------------------------------------------------------------------------------
    def files(self) -> list[str]:
        """Every regular file collectors may read, sorted (git-aware, excludes applied)."""
        if self._files is None:
            listed = self._git_files() if self.git is not None else None
            if listed is None:
                listed = self._walk(honour_gitignore=True)
            self._files = sorted(p for p in listed if not self._exclude.match_file(p) and self._is_file(p))
        return self._files

    def glob(self, patterns: Sequence[str], *, include_ignored: bool = False) -> list[str]:
        """Files matching gitwildmatch ``patterns``. ``include_ignored`` bypasses ``.gitignore`` and the
        default excludes (test results are untracked build output) but never leaves the root."""
        spec = _spec(patterns)
        if include_ignored:
            if self._all_files is None:
                always = _spec(ALWAYS_EXCLUDED)
                self._all_files = sorted(p for p in self._walk(honour_gitignore=False) if not always.match_file(p))
            pool = self._all_files
        else:
            pool = self.files()
        return [p for p in pool if spec.match_file(p)]

    def _git_files(self) -> list[str] | None:
        assert self.git is not None
        try:
            out = self.git.run(
                "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", self.git.prefix or "."
            )
        except GitError:
            return None
        paths: set[str] = set()
        for top_rel in out.split("\0"):
            if top_rel:
                rel = self.git.to_repo_path(top_rel)
                if rel is not None:
                    paths.add(rel)
        return list(paths)

    def _walk(self, *, honour_gitignore: bool) -> list[str]:
        found: list[str] = []
        ignores: list[tuple[str, pathspec.GitIgnoreSpec]] = []
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            rel_dir = Path(dirpath).relative_to(self.root).as_posix()
            rel_dir = "" if rel_dir == "." else rel_dir
            if honour_gitignore and ".gitignore" in filenames:
                text = self._read_small(Path(dirpath) / ".gitignore")
                if text is not None:
                    ignores.append((rel_dir, _spec(text.splitlines())))

            def ignored(rel: str, is_dir: bool) -> bool:
                probe = rel + "/" if is_dir else rel
                if self._exclude.match_file(probe) if honour_gitignore else _spec(ALWAYS_EXCLUDED).match_file(probe):
                    return True
                for base, spec in ignores:
                    if base and not rel.startswith(base + "/"):
                        continue
                    if spec.match_file(probe[len(base) + 1 :] if base else probe):
                        return True
                return False

            dirnames[:] = sorted(d for d in dirnames if not ignored(f"{rel_dir}/{d}" if rel_dir else d, True))
            for name in filenames:
                rel = f"{rel_dir}/{name}" if rel_dir else name
                if not (honour_gitignore and ignored(rel, False)):
                    found.append(rel)
        return found

    @staticmethod
    def _read_small(path: Path) -> str | None:
        try:
            return path.read_text(encoding="utf-8", errors="replace")[:65536]
        except OSError:
            return None

    # ---- reading -------------------------------------------------------------------------------------
    def resolve(self, rel: str) -> Path | Skip:
        """The real path of ``rel`` if it stays inside the root and is a regular file, else a Skip."""
        candidate = self.root / rel
        try:
            real = candidate.resolve(strict=True)
        except (OSError, RuntimeError) as exc:  # RuntimeError: symlink loop on older Pythons
            return Skip(rel, f"unresolvable ({type(exc).__name__}: symlink loop or missing target)")
        if real != self.root and self.root not in real.parents:
            return Skip(rel, "symlink points outside the evaluated directory")
        if not real.is_file():
            return Skip(rel, "not a regular file")
        return real

    def _is_file(self, rel: str) -> bool:
        candidate = self.root / rel
        return candidate.is_symlink() or candidate.is_file()

    def read_bytes(self, rel: str, *, max_bytes: int | None = None) -> bytes | Skip:
        limit = self.max_file_bytes if max_bytes is None else max_bytes
        real = self.resolve(rel)
        if isinstance(real, Skip):
            return real
        try:
            size = real.stat().st_size
            if size > limit:
                return Skip(rel, f"larger than {limit} bytes ({size} bytes)")
            with real.open("rb") as fh:
                data = fh.read(limit + 1)
        except OSError as exc:
            return Skip(rel, f"unreadable: {exc.strerror or exc}")
        if len(data) > limit:
            return Skip(rel, f"larger than {limit} bytes")
        return data

    def read_text(self, rel: str, *, max_bytes: int | None = None) -> str | Skip:
        data = self.read_bytes(rel, max_bytes=max_bytes)
        if isinstance(data, Skip):
            return data
        if b"\0" in data[:8192]:
            return Skip(rel, "binary file")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Skip(rel, f"not UTF-8 (invalid byte at offset {exc.start})")
