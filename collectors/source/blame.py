"""Ages of TODO markers: the author date of the commit that wrote each marker line, as ``git blame`` says.

``git blame`` is one process per file, so on a tree with a thousand files holding markers it costs seconds.
Most such files were never changed after they were added, and for those blame's answer is known without
running it: every line comes from the one commit that added the file. So ages are computed in two steps:

1. one ``git log`` over all marker files (plus one ``git diff-tree`` per adding commit, to rule out renames,
   which blame would follow) finds the files that were added in a single commit, never touched again and
   are unchanged in the working tree; their lines all get that commit's author date;
2. ``git blame`` (``-L n,n`` per marker line) in a few threads for every other file, under an overall
   time budget: when it runs out, the remaining files keep no age and the section says ``partial``.

A file that step 1 cannot prove simple goes to step 2, so the answer is blame's either way
(``tests/collectors/test_todos_blame.py`` runs both paths on dated histories).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from anops_policy.collection.collector import CollectContext
from anops_policy.collection.git import Git, GitError

BLAME_WORKERS = 4
UNCOMMITTED = -1
PATHSPEC_CHUNK_BYTES = 256 * 1024  # of path arguments per git run (well under ARG_MAX)
MAX_ADDING_COMMITS = 64  # rename checks (one diff-tree each) before the rest is left to blame
_BLAME_HEADER = re.compile(r"^([0-9a-f]{40}) [0-9]+ ([0-9]+)")
_LOG_HEADER = "\x01"


def add_ages(ctx: CollectContext, items: list[dict[str, Any]], *, enabled: bool, budget_s: float) -> dict[str, str]:
    """Set ``age_days`` on ``items`` (in place) and return the section's ``blame`` status."""
    if not enabled:
        return {"status": "skipped", "reason": "disabled by collect.options.todos.blame"}
    git = ctx.git
    if git is None:
        return {"status": "skipped", "reason": "not a git repository"}
    if not items:
        return {"status": "ok"}
    lines: dict[str, list[int]] = {}
    for it in items:
        lines.setdefault(it["path"], []).append(it["line"])
    deadline = time.monotonic() + budget_s
    top_paths = [git.to_top_path(p) for p in lines]
    with ThreadPoolExecutor(max_workers=3) as pool:  # the independent git runs at once (each mostly waits)
        tracked_job = pool.submit(lambda: "".join(git.run("ls-files", "-z", "--", *c) for c in chunks(top_paths)))
        head_job = pool.submit(git.run, "rev-parse", "--is-shallow-repository", "--verify", "-q", "HEAD", check=False)
        history_job = pool.submit(history, git, sorted(lines), timeout=budget_s)
        try:
            tracked_out = tracked_job.result()
            shallow_text, _, head_text = head_job.result().partition("\n")
        except GitError as exc:
            return {"status": "skipped", "reason": str(exc)}
        found = history_job.result()
    has_head, shallow = bool(head_text.strip()), shallow_text.strip() == "true"
    tracked = {git.to_repo_path(p) for p in tracked_out.split("\0") if p}
    now = ctx.now.astimezone(UTC)
    ages: dict[tuple[str, int], int] = {}
    to_blame = sorted(p for p in lines if p in tracked) if has_head else []
    for path, path_lines in lines.items():
        if path not in to_blame:  # untracked or no commit yet: as new as it gets
            ages.update({(path, ln): 0 for ln in path_lines})
    left = deadline - time.monotonic()
    quick = added_once(git, to_blame, found, timeout=left) if left > 0 and found is not None else {}
    for path, epoch in quick.items():
        ages.update({(path, ln): _age(now, epoch) for ln in lines[path]})
    needing = len(to_blame)
    to_blame = [p for p in to_blame if (p, lines[p][0]) not in ages]
    failed, unfinished = _blame_all(ctx, to_blame, lines, now=now, ages=ages, deadline=deadline)
    for it in items:
        age = ages.get((it["path"], it["line"]))
        if age is not None:
            it["age_days"] = age
    if unfinished:
        return {"status": "partial", "reason": (
            f"blame time budget of {budget_s:g}s ran out: {unfinished} of {needing} "
            "files with markers have no ages (raise collect.options.todos.blame_budget_s)"
        )}
    if failed:
        return {"status": "partial", "reason": f"git blame failed for {len(failed)} file(s), e.g. {failed[0]}"}
    if shallow:
        return {"status": "partial", "reason": (
            "shallow clone: lines older than the clone's history show the age of its oldest commit"
        )}
    return {"status": "ok"}


def _age(now: datetime, epoch: int) -> int:
    return max(0, (now - datetime.fromtimestamp(epoch, UTC)).days)


def chunks(paths: Sequence[str], max_bytes: int = PATHSPEC_CHUNK_BYTES) -> Iterable[list[str]]:
    """``paths`` in runs whose command-line size stays under ``max_bytes`` (ARG_MAX)."""
    chunk: list[str] = []
    size = 0
    for path in paths:
        if chunk and size + len(path) + 1 > max_bytes:
            yield chunk
            chunk, size = [], 0
        chunk.append(path)
        size += len(path) + 1
    if chunk:
        yield chunk


# ---- step 1: files added once and never changed -------------------------------------------------------


@dataclass(frozen=True)
class History:
    """What ``git`` says of some paths (top-level paths): those changed from HEAD in the index or the working
    tree, and path -> the commits of HEAD's history that touch it, with their author times."""

    changed: set[str]
    commits: dict[str, list[tuple[str, int]]]


def history(git: Git, paths: Sequence[str], *, timeout: float) -> History | None:
    """``git diff-index`` and ``git log`` over ``paths`` (evaluated-directory-relative); None when git fails
    (there may be no HEAD yet) or runs out of time, which leaves every file to blame."""
    start = time.monotonic()
    # literal pathspecs: a file named `*.py` or `:x` means that file, not a pattern or magic
    literal = [f":(literal){git.to_top_path(p)}" for p in paths]
    changed: set[str] = set()
    commits: dict[str, list[tuple[str, int]]] = {}
    try:
        for chunk in chunks(literal):
            left = timeout - (time.monotonic() - start)
            changed.update(git.run("diff-index", "--name-only", "-z", "HEAD", "--", *chunk, timeout=left).split("\0"))
            left = timeout - (time.monotonic() - start)
            out = git.run("log", "--no-renames", f"--format={_LOG_HEADER}%H %at", "--name-only", "-z", "HEAD",
                          "--", *chunk, timeout=left)
            _parse_log(out, commits)
    except (GitError, ValueError):
        return None
    return History(changed, commits)


def added_once(git: Git, paths: Sequence[str], found: History, *, timeout: float) -> dict[str, int]:
    """path -> author time, for the ``paths`` (tracked, evaluated-directory-relative) whose whole content
    comes from the single commit that added them: exactly one commit in HEAD's history touches the path
    (``found``, a ``history`` of at least these paths), that commit adds it (``A`` with rename detection,
    as blame would see it: not a rename target) and the working tree has no change to it. Any git failure
    leaves the files to blame (an empty answer)."""
    if not paths:
        return {}
    start = time.monotonic()
    top = {git.to_top_path(p): p for p in paths}
    once: dict[str, tuple[str, int]] = {}
    for path, seen in found.commits.items():
        if len(seen) == 1 and path in top and path not in found.changed:
            once[path] = seen[0]
    by_commit: dict[str, list[str]] = {}
    for path, (sha, _) in once.items():
        by_commit.setdefault(sha, []).append(path)
    out_times: dict[str, int] = {}
    for sha in sorted(by_commit, key=lambda c: -len(by_commit[c]))[:MAX_ADDING_COMMITS]:
        left = timeout - (time.monotonic() - start)
        try:
            added = _added_paths(git, sha, timeout=left)
        except GitError:
            return out_times
        for path in by_commit[sha]:
            if path in added:
                out_times[top[path]] = once[path][1]
    return out_times


def _parse_log(out: str, commits: dict[str, list[tuple[str, int]]]) -> None:
    """``git log --format=\\x01%H %at --name-only -z`` → path -> [(commit, author time)]. With ``-z`` the
    names after a header are NUL-separated and the next header follows a NUL (a path never holds \\x01
    in practice; if one did, the ValueError leaves everything to blame)."""
    sha, epoch = "", 0
    for raw in out.split("\0"):
        name = raw.strip("\n")
        if name.startswith(_LOG_HEADER):
            header, _, first = name[1:].partition("\n")
            sha_text, epoch_text = header.split(" ")
            sha, epoch = sha_text, int(epoch_text)
            name = first.strip("\n")
        if name and sha:
            commits.setdefault(name, []).append((sha, epoch))


def _added_paths(git: Git, sha: str, *, timeout: float) -> set[str]:
    """Top-level paths that commit ``sha`` adds, with rename detection over the whole commit (blame
    follows a file across a rename: its lines then come from before this commit)."""
    out = git.run("diff-tree", "-r", "-M", "--root", "--no-commit-id", "--name-status", "-z", sha, timeout=timeout)
    fields = out.split("\0")
    added: set[str] = set()
    i = 0
    while i < len(fields) - 1:
        status = fields[i]
        if status.startswith(("R", "C")):
            i += 3
            continue
        if status == "A":
            added.add(fields[i + 1])
        i += 2
    return added


# ---- step 2: git blame ----------------------------------------------------------------------------------


def _blame_all(
    ctx: CollectContext, paths: Sequence[str], lines: Mapping[str, list[int]], *, now: datetime,
    ages: dict[tuple[str, int], int], deadline: float,
) -> tuple[list[str], int]:
    """Blame ``paths`` in a few threads until done or out of time: (failed paths, unfinished count)."""
    failed: list[str] = []
    pending: dict[Future[dict[int, int]], str] = {}
    queue = list(paths)
    with ThreadPoolExecutor(max_workers=BLAME_WORKERS) as pool:

        def submit() -> None:
            while queue and len(pending) < BLAME_WORKERS:
                path = queue.pop(0)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    queue.insert(0, path)
                    return
                pending[pool.submit(_blame_file, ctx, path, lines[path], remaining)] = path

        submit()
        while pending:
            left = max(0.0, deadline - time.monotonic())
            done, _ = wait(pending, timeout=left, return_when=FIRST_COMPLETED)
            if not done:
                break
            for future in done:
                path = pending.pop(future)
                try:
                    times = future.result()
                except GitError:
                    failed.append(path)
                    continue
                for line, epoch in times.items():
                    ages[(path, line)] = 0 if epoch == UNCOMMITTED else _age(now, epoch)
            submit()
        unfinished = len(queue) + len(pending)
        for future in pending:
            future.cancel()
    return sorted(failed), unfinished


def _blame_file(ctx: CollectContext, path: str, lines: Iterable[int], timeout: float) -> dict[int, int]:
    """final line -> author time (epoch seconds) of the commit that wrote it (``UNCOMMITTED`` for lines
    changed in the working tree)."""
    assert ctx.git is not None
    ranges = [arg for ln in sorted(set(lines)) for arg in ("-L", f"{ln},{ln}")]
    top_path = ctx.git.to_top_path(path)
    out = ctx.git.run("blame", "--line-porcelain", "--root", *ranges, "--", top_path, timeout=timeout)
    times: dict[int, int] = {}
    current: int | None = None
    uncommitted = False
    for row in out.split("\n"):
        header = _BLAME_HEADER.match(row)
        if header:
            current = int(header.group(2))
            uncommitted = header.group(1) == "0" * 40
        elif row.startswith("author-time ") and current is not None:
            times[current] = UNCOMMITTED if uncommitted else int(row.split()[1])
    return times
