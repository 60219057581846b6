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
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
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
# Each default exclude is a directory name (matched at any depth), so membership tests can replace patterns.
assert all(p.endswith("/") and "/" not in p[:-1] and not set("*?[!\\") & set(p) for p in DEFAULT_EXCLUDES)
_DEFAULT_EXCLUDED_DIRS = frozenset(p[:-1] for p in DEFAULT_EXCLUDES)
# git modes of a regular file (normal, executable) and of a symlink
_FILE_MODES = (b"100644", b"100755", b"120000")
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

    def run_bytes(self, *args: str, timeout: float = GIT_TIMEOUT_S, check: bool = True) -> bytes:
        """``run`` without decoding: stdout as git wrote it (file names are bytes, not always UTF-8)."""
        try:
            out = subprocess.run(
                ["git", "-c", "core.quotepath=off", "-C", str(self.toplevel), *args],
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise GitError(f"git {args[0]} timed out after {timeout:.0f}s") from None
        except OSError as exc:
            raise GitError(f"git unavailable: {exc}") from None
        if check and out.returncode != 0:
            stderr = out.stderr.decode("utf-8", errors="replace")
            raise GitError(f"git {' '.join(args[:2])} failed: {stderr.strip()[:300]}")
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
    lines = list(patterns)
    try:
        spec = pathspec.GitIgnoreSpec.from_lines(lines)
        spec.match_file("probe")
    except ValueError:  # a malformed pattern: the caller reports it
        raise
    except Exception:  # google-re2, when installed, refuses sets past its memory budget (~2,500 globs)
        spec = pathspec.GitIgnoreSpec.from_lines(lines, backend="simple")
    return spec


# ---- .gitignore without git: git's own rules (gitignore(5), wildmatch.c) -------------------------------

_POSIX_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9A-Fa-f",
}


def _wild_class(pattern: str, start: int) -> tuple[str, int] | None:
    """The regex for the wildmatch bracket expression at ``pattern[start] == "["`` and the index after
    it; None when it is malformed (git then matches nothing with the whole pattern)."""
    i = start + 1
    negated = i < len(pattern) and pattern[i] in "!^"
    if negated:
        i += 1
    members: list[str] = []
    previous: str | None = None  # the last single character (a range's low end)
    first = True
    while True:
        if i >= len(pattern):
            return None
        char = pattern[i]
        if char == "]" and not first:
            break
        first = False
        if char == "\\":
            i += 1
            if i >= len(pattern):
                return None
            previous = pattern[i]
            members.append(re.escape(previous))
            i += 1
        elif char == "-" and previous is not None and i + 1 < len(pattern) and pattern[i + 1] != "]":
            i += 1
            high = pattern[i]
            if high == "\\":
                i += 1
                if i >= len(pattern):
                    return None
                high = pattern[i]
            if previous <= high:
                members.append(f"{re.escape(previous)}-{re.escape(high)}")
            previous = None
            i += 1
        elif char == "[" and pattern.startswith(":", i + 1):
            close = pattern.find("]", i + 2)
            if close == -1:
                return None
            if pattern[close - 1] != ":" or close - 1 < i + 2:  # not a [:class:]: a literal "["
                previous = char
                members.append(re.escape(char))
                i += 1
                continue
            name = pattern[i + 2 : close - 1]
            if name not in _POSIX_CLASSES:
                return None
            members.append(_POSIX_CLASSES[name])
            previous = None
            i = close + 1
        else:
            previous = char
            members.append(re.escape(char))
            i += 1
    chars = "".join(members)
    return (f"[^/{chars}]" if negated else f"(?!/)[{chars}]"), i + 1


def _wildmatch_regex(pattern: str) -> re.Pattern[str]:
    """git's wildmatch with WM_PATHNAME as a regex: ``*``, ``?`` and classes stay inside a directory,
    ``**`` between slashes (or at an end) spans directories, a backslash quotes the next character."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if i + 1 >= len(pattern):
                return re.compile("(?!)")  # a trailing backslash: the pattern is invalid, matches nothing
            out.append(re.escape(pattern[i + 1]))
            i += 2
        elif char == "*":
            end = i
            while end < len(pattern) and pattern[end] == "*":
                end += 1
            spans = end - i >= 2 and (i == 0 or pattern[i - 1] == "/") and (end == len(pattern) or pattern[end] == "/")
            if spans and end == len(pattern):
                out.append(".*")
                i = end
            elif spans:
                out.append("(?:.*/)?")  # `**/`: zero or more directories
                i = end + 1
            else:
                out.append("[^/]*")
                i = end
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            bracket = _wild_class(pattern, i)
            if bracket is None:
                return re.compile("(?!)")
            out.append(bracket[0])
            i = bracket[1]
        else:
            out.append(re.escape(char))
            i += 1
    return re.compile("(?s:" + "".join(out) + r")\Z")


def _strip_trailing_spaces(line: str) -> str:
    """Trailing spaces are dropped unless quoted with a backslash (gitignore(5))."""
    end = len(line)
    while end > 0 and line[end - 1] == " ":
        backslashes = 0
        while end - 2 - backslashes >= 0 and line[end - 2 - backslashes] == "\\":
            backslashes += 1
        if backslashes % 2:
            break
        end -= 1
    return line[:end]


@dataclass(frozen=True)
class _IgnoreRule:
    regex: re.Pattern[str]
    negated: bool
    directory_only: bool
    basename_only: bool  # no slash in the pattern: it matches a name at any depth


class _GitIgnoreFile:
    """The patterns of one ``.gitignore``; paths are relative to the directory that holds it."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.rules: list[_IgnoreRule] = []
        for raw in lines:
            line = _strip_trailing_spaces(raw)
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            if negated:
                line = line[1:]
            directory_only = line.endswith("/")
            if directory_only:
                line = line.rstrip("/")
            if not line:
                continue
            basename_only = "/" not in line
            self.rules.append(_IgnoreRule(_wildmatch_regex(line.lstrip("/")), negated, directory_only, basename_only))

    def decide(self, rel: str, is_dir: bool) -> bool | None:
        """True: ignored, False: re-included by a negation, None: no pattern matches. The last
        matching pattern wins."""
        for rule in reversed(self.rules):
            if rule.directory_only and not is_dir:
                continue
            if rule.regex.match(rel.rsplit("/", 1)[-1] if rule.basename_only else rel):
                return not rule.negated
        return None


def _gitignored(rel: str, is_dir: bool, ignores: Mapping[str, _GitIgnoreFile]) -> bool:
    """Whether ``.gitignore`` files (by the directory holding them, "" for the root) ignore ``rel``: the
    deepest file with a matching pattern decides. The caller checks the parent directories first: git
    never re-includes anything inside an ignored directory."""
    parts = rel.split("/")
    for depth in range(len(parts) - 1, -1, -1):
        spec = ignores.get("/".join(parts[:depth]))
        if spec is not None:
            decision = spec.decide("/".join(parts[depth:]), is_dir)
            if decision is not None:
                return decision
    return False


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
        self._exclude = _spec([*DEFAULT_EXCLUDES, *exclude])
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
        spec = _spec(patterns)
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
        ignores: dict[str, _GitIgnoreFile] = {}
        excluded = self._exclude if honour_gitignore else _spec(ALWAYS_EXCLUDED)
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            here = Path(dirpath)
            rel_dir = here.relative_to(self.root).as_posix()
            rel_dir = "" if rel_dir == "." else rel_dir
            if honour_gitignore and ".gitignore" in filenames and not (here / ".gitignore").is_symlink():
                text = self._read_small(here / ".gitignore")
                if text is not None:
                    ignores[_probe(rel_dir)] = _GitIgnoreFile(text.splitlines())
            entries = [(name, not (here / name).is_symlink()) for name in dirnames]
            entries += [(name, False) for name in filenames]
            descend: list[str] = []
            for name, is_dir in entries:
                rel = f"{rel_dir}/{name}" if rel_dir else name
                probe = _probe(rel)
                if excluded.match_file(probe + "/" if is_dir else probe):
                    continue
                if honour_gitignore and _gitignored(probe, is_dir, ignores):
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
