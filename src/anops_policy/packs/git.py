"""Packs in git repositories (``git+URL#REF:PATH``), through the git command: REF is resolved to a commit
with ``ls-remote`` (a re-pointed branch or tag is a new commit), that one commit is fetched shallowly into
a scratch repository, and PATH is read from it — an archive file (``pack build`` output, signed or not),
or a pack folder, which is built into an archive here (unsigned: it can only be pinned)."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

from anops_policy.errors import ConfigError
from anops_policy.packs.archive import MAX_ARCHIVE_BYTES, MAX_MEMBER_BYTES, MAX_MEMBERS, Archive, read_archive
from anops_policy.packs.fetch_errors import Unreachable
from anops_policy.packs.sources import Source

TIMEOUT_S = 120.0
_SHA = re.compile(r"^[0-9a-f]{40}$")
# no prompts, no user or system config (hooks, helpers, rewrites) that could change what is fetched
_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_ASKPASS": "true", "LC_ALL": "C"}


def _git(args: list[str], source: Source, what: str, cwd: Path | None = None) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=TIMEOUT_S, check=False,
                              env={**os.environ, **_ENV})
    except FileNotFoundError:
        raise ConfigError(f"{source.text}: git is not installed; git sources need the git command") from None
    except subprocess.TimeoutExpired:
        raise Unreachable(f"{source.text}: {what}: git did not finish within {TIMEOUT_S:.0f}s") from None
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace")
        network = [line.strip() for line in stderr.splitlines() if any(m in line for m in _NETWORK)]
        if network:
            raise Unreachable(f"{source.text}: {what}: unreachable: {network[0][:300]}")
        raise ConfigError(f"{source.text}: {what}: {_first_error(stderr) or f'git exited {done.returncode}'}")
    return done.stdout


# what git (and ssh, curl under it) print when the remote does not answer, as opposed to a wrong URL or ref
_NETWORK = ("Could not resolve host", "Could not resolve hostname", "Connection refused", "Connection timed out",
            "Failed to connect", "Network is unreachable", "No route to host", "Operation timed out",
            "Connection reset", "early EOF", "The remote end hung up unexpectedly")


def _first_error(stderr: str) -> str:
    """The line that says what went wrong: git's first ``fatal:``/``error:`` line (its last lines are advice,
    such as "Please make sure you have the correct access rights"), else ssh's, else the first line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for prefix in ("fatal:", "error:", "ssh:"):
        for line in lines:
            if line.startswith(prefix):
                return line[:300]
    return lines[0][:300] if lines else ""


def resolve(source: Source) -> str:
    """The commit REF names now."""
    if _SHA.match(source.tag):
        return source.tag
    out = _git(["ls-remote", "--", source.location, source.tag], source, "resolve ref").decode("utf-8", "replace")
    refs: dict[str, str] = {}
    for line in out.splitlines():
        sha, _, name = line.partition("\t")
        refs[name] = sha
    for name in (f"refs/tags/{source.tag}^{{}}", f"refs/tags/{source.tag}", f"refs/heads/{source.tag}", source.tag):
        if name in refs and _SHA.match(refs[name]):
            return refs[name]
    raise ConfigError(f"{source.text}: no branch or tag '{source.tag}' in {source.location}")


def fetch(source: Source, commit: str) -> Archive:
    """PATH at ``commit`` as an archive."""
    from anops_policy.packs.build import folder_archive  # noqa: PLC0415 - build needs the policy engine

    with tempfile.TemporaryDirectory(prefix="anops-pack-git-") as tmp:
        repo = Path(tmp) / "repo"
        _git(["init", "-q", "--bare", str(repo)], source, "prepare")
        _git(["-c", "protocol.version=2", "fetch", "-q", "--no-tags", "--depth=1", "--", source.location, commit],
             source, f"fetch {commit[:12]}", cwd=repo)
        listing = _git(["ls-tree", "-r", "-l", "-z", f"{commit}:{source.path}"], source, f"read {source.path}",
                       cwd=repo) if _is_tree(repo, commit, source) else b""
        where = f"{source.text} (commit {commit[:12]})"
        if not listing:
            data = _git(["cat-file", "blob", f"{commit}:{source.path}"], source, f"read {source.path}", cwd=repo)
            if len(data) > MAX_ARCHIVE_BYTES:
                raise ConfigError(f"{where}: larger than {MAX_ARCHIVE_BYTES} bytes; refusing it")
            return read_archive(data, where)
        folder = Path(tmp) / "pack"
        _write_tree(repo, commit, source, listing, folder, where)
        _, archive = folder_archive(folder, where, run_tests=False)
        return archive


def _is_tree(repo: Path, commit: str, source: Source) -> bool:
    kind = _git(["cat-file", "-t", f"{commit}:{source.path}"], source, f"find {source.path}", cwd=repo)
    return kind.strip() == b"tree"


def _write_tree(repo: Path, commit: str, source: Source, listing: bytes, folder: Path, where: str) -> None:
    entries = [e for e in listing.split(b"\0") if e]
    if len(entries) > MAX_MEMBERS:
        raise ConfigError(f"{where}: more than {MAX_MEMBERS} files; refusing it")
    for entry in entries:
        meta, _, name_bytes = entry.partition(b"\t")
        mode, kind, sha, size = meta.decode().split()
        name = name_bytes.decode("utf-8", "replace")
        if kind != "blob" or mode not in ("100644", "100755") or ".." in name.split("/") or name.startswith("/"):
            continue  # links, submodules: never followed; such a file is simply not part of the pack
        if int(size) > MAX_MEMBER_BYTES:
            raise ConfigError(f"{where}: {name} is larger than {MAX_MEMBER_BYTES} bytes; refusing it")
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_git(["cat-file", "blob", sha], source, f"read {name}", cwd=repo))
