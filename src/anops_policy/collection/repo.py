"""Read-only, hermetic access to the evaluated directory for collectors.

Collectors never open files themselves: they list and read through ``Repo`` so that every collector
gets the same guarantees:

* git-aware listing (tracked and untracked-but-not-ignored files) restricted to the evaluated directory,
  or a walk honouring ``.gitignore`` files when there is no git;
* default excludes (``.git``, ``target/``, ``node_modules/``, virtualenvs, caches, ``.anops-policy/``)
  plus the config's ``collect.exclude`` globs;
* never following a symlink out of the root, and surviving symlink loops;
* skipping binary, oversized and non-UTF-8 files with a recorded reason instead of crashing;
* never listing a file whose *name* is not valid UTF-8: it is recorded in ``Repo.listing_skips``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from anops_policy.collection.git import Git, GitError
from anops_policy.collection.gitignore import GitIgnoreFile, gitignored, pattern_spec

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
# Each default exclude is a directory name (matched at any depth), so membership tests can replace patterns.
assert all(p.endswith("/") and "/" not in p[:-1] and not set("*?[!\\") & set(p) for p in DEFAULT_EXCLUDES)
_DEFAULT_EXCLUDED_DIRS = frozenset(p[:-1] for p in DEFAULT_EXCLUDES)
# git modes of a regular file (normal, executable) and of a symlink
_FILE_MODES = (b"100644", b"100755", b"120000")
# Directories a result-file glob never enters: VCS internals and our own state.
ALWAYS_EXCLUDED = (".git/", ".anops-policy/")
DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Skip:
    path: str
    reason: str


def _utf8(name: str) -> bool:
    """Whether a name from the file system is valid UTF-8 (else it holds surrogate escapes)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _probe(rel: str) -> str:
    """``rel`` itself when valid UTF-8, else the form patterns are matched against: U+FFFD for each
    undecodable byte (so ``*.py`` still matches it and a ``.gitignore`` can still ignore it)."""
    return rel if _utf8(rel) else os.fsencode(rel).decode("utf-8", errors="replace")


def _shown(name: str) -> str:
    """A printable form of a name that is not valid UTF-8: its undecodable bytes as ``\\xNN``."""
    return os.fsencode(name).decode("utf-8", errors="backslashreplace")


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
        self._exclude = pattern_spec([*DEFAULT_EXCLUDES, *exclude])
        self._extra_exclude = bool(exclude)
        # tracked files git listed as unchanged regular files or symlinks (see _git_files)
        self._vouched: set[str] = set()
        self._files: list[str] | None = None
        self._all_files: list[str] | None = None
        self._all_undecodable: list[str] = []
        # files the listing cannot return (a name that is not valid UTF-8): recorded, never listed
        self.listing_skips: list[Skip] = []

    # ---- listing -------------------------------------------------------------------------------------
    def files(self) -> list[str]:
        """Every regular file collectors may read, sorted (git-aware, excludes applied). A file whose name
        is not valid UTF-8 is never listed: it is recorded in ``listing_skips``."""
        if self._files is None:
            listed = self._git_files() if self.git is not None else None
            # paths git vouches for (tracked, unchanged regular files and symlinks) need no stat
            known: set[str] = set()
            if listed is None:
                paths, undecodable = self._walk(honour_gitignore=True)
            else:
                paths, undecodable, known = listed
                self._vouched = known
            self._files = sorted(
                p for p in paths if not self._excluded(p) and (p in known or self._is_file(p))
            )
            for rel in sorted(undecodable):
                if not self._exclude.match_file(_probe(rel)) and self._is_file(rel):
                    self._skip_listing(rel)
        return self._files

    def glob(self, patterns: Sequence[str], *, include_ignored: bool = False) -> list[str]:
        """Files matching gitwildmatch ``patterns``. ``include_ignored`` bypasses ``.gitignore`` and the
        default excludes (test results are untracked build output) but never leaves the root."""
        spec = pattern_spec(patterns)
        if include_ignored:
            if self._all_files is None:
                paths, self._all_undecodable = self._walk(honour_gitignore=False)
                self._all_files = sorted(paths)
            for rel in self._all_undecodable:
                if spec.match_file(_probe(rel)):
                    self._skip_listing(rel)
            pool = self._all_files
        else:
            pool = self.files()
        return [p for p in pool if spec.match_file(p)]

    def _skip_listing(self, rel: str) -> None:
        skip = Skip(_shown(rel), "file name is not valid UTF-8")
        if skip not in self.listing_skips:
            self.listing_skips.append(skip)

    def _git_files(self) -> tuple[list[str], list[str], set[str]] | None:
        """(files, files whose name is not valid UTF-8, files known to be regular files or symlinks) from
        git, or None when git fails. Tracked entries come with their mode and status tag (``-s -t``); the
        second listing names what git cannot vouch for: modified or deleted tracked files (a file may have
        become a directory) and untracked ones. Only those are checked on disk, so a clean checkout of
        20,000 files is listed without 20,000 ``stat`` calls."""
        git = self.git
        assert git is not None
        where = git.prefix or "."
        with ThreadPoolExecutor(max_workers=1) as pool:  # both git runs at once (they wait on the disk)
            changed_job = pool.submit(
                git.run_bytes, "ls-files", "-z", "--modified", "--others", "--exclude-standard", "--", where
            )
            try:
                staged = git.run_bytes("ls-files", "-z", "-s", "-t", "--", where)
                changed = changed_job.result()
            except GitError:
                return None
        paths: set[str] = set()
        undecodable: set[str] = set()
        vouched: set[str] = set()
        for raw in staged.split(b"\0"):
            meta, tab, name = raw.partition(b"\t")
            rel = git.to_repo_path(os.fsdecode(name)) if tab else None
            if rel is None:
                continue
            if not _utf8(rel):
                undecodable.add(rel)
                continue
            paths.add(rel)
            tag, _, mode = meta.partition(b" ")
            if tag == b"H" and mode[:6] in _FILE_MODES:
                vouched.add(rel)
        for raw in changed.split(b"\0"):
            rel = git.to_repo_path(os.fsdecode(raw)) if raw else None
            if rel is not None:
                (paths if _utf8(rel) else undecodable).add(rel)
                vouched.discard(rel)
        return list(paths), list(undecodable), vouched

    def _excluded(self, rel: str) -> bool:
        """Whether the default excludes or the config's ``collect.exclude`` leave ``rel`` out."""
        if self._extra_exclude:
            return self._exclude.match_file(rel)
        # only directory names (`target/`): a path is excluded when one of its folders has such a name
        folders = rel.split("/")[:-1]
        return bool(folders) and not _DEFAULT_EXCLUDED_DIRS.isdisjoint(folders)

    def _walk(self, *, honour_gitignore: bool) -> tuple[list[str], list[str]]:
        """(files, files whose name is not valid UTF-8) under the root, not entering (or listing)
        excluded and, when ``honour_gitignore``, git-ignored paths. A symlink is listed as a file, never
        followed (as git does)."""
        found: list[str] = []
        undecodable: list[str] = []
        ignores: dict[str, GitIgnoreFile] = {}
        excluded = self._exclude if honour_gitignore else pattern_spec(ALWAYS_EXCLUDED)
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            here = Path(dirpath)
            rel_dir = here.relative_to(self.root).as_posix()
            rel_dir = "" if rel_dir == "." else rel_dir
            if honour_gitignore and ".gitignore" in filenames and not (here / ".gitignore").is_symlink():
                text = self._read_small(here / ".gitignore")
                if text is not None:
                    ignores[_probe(rel_dir)] = GitIgnoreFile(text.splitlines())
            entries = [(name, not (here / name).is_symlink()) for name in dirnames]
            entries += [(name, False) for name in filenames]
            descend: list[str] = []
            for name, is_dir in entries:
                rel = f"{rel_dir}/{name}" if rel_dir else name
                probe = _probe(rel)
                if excluded.match_file(probe + "/" if is_dir else probe):
                    continue
                if honour_gitignore and gitignored(probe, is_dir, ignores):
                    continue
                if is_dir:
                    descend.append(name)
                else:
                    (found if probe is rel else undecodable).append(rel)
            dirnames[:] = sorted(descend)
        return found, undecodable

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
        if rel in self._vouched and not candidate.is_symlink():
            # git tracks no path through a symlinked folder and listed this one as an unchanged regular
            # file: it is its own real path (saves resolving every component, one lstat each)
            return candidate
        try:
            real = candidate.resolve(strict=True)
        except (OSError, RuntimeError) as exc:  # RuntimeError: symlink loop on older Pythons
            return Skip(rel, f"unresolvable ({type(exc).__name__}: symlink loop or missing target)")
        if real != self.root and self.root not in real.parents:
            return Skip(rel, "symlink points outside the evaluated directory")
        if not real.is_file():
            return Skip(rel, "not a regular file")
        return real

    def size(self, rel: str) -> int:
        """Bytes in the listed file ``rel`` (0 when it cannot be read: reading it then says why)."""
        try:
            return (self.root / rel).stat().st_size
        except OSError:
            return 0

    def _is_file(self, rel: str) -> bool:
        candidate = self.root / rel
        return candidate.is_symlink() or candidate.is_file()

    def read_bytes(self, rel: str, *, max_bytes: int | None = None) -> bytes | Skip:
        limit = self.max_file_bytes if max_bytes is None else max_bytes
        real = self.resolve(rel)
        if isinstance(real, Skip):
            return real
        try:
            with open(real, "rb") as fh:  # noqa: PTH123 - one open and one fstat per file: reads are hot
                size = os.fstat(fh.fileno()).st_size
                if size > limit:
                    return Skip(rel, f"larger than {limit} bytes ({size} bytes)")
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
