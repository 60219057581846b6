"""``git``: commit, branch, dirty state and last-change times of the repository containing the evaluated
directory, restricted to that directory (``.anops-policy/`` never makes the tree dirty)."""

from __future__ import annotations

from typing import Any

from anops_policy.collection.collector import CollectContext
from anops_policy.collection.git import GitError
from anops_policy.errors import CollectorFailed, NotConfigured

STATE_DIR = ".anops-policy/"


class GitCollector:
    name = "git"
    version = "1"
    depends_on: tuple[str, ...] = ()

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        git = ctx.git
        if git is None:
            raise NotConfigured(
                "the evaluated directory is not inside a git repository", "run `git init` or evaluate a checkout"
            )
        try:
            head = git.run("rev-parse", "--verify", "-q", "HEAD", check=False).strip() or None
            branch = git.run("rev-parse", "--abbrev-ref", "HEAD", check=False).strip() or None
            status = git.run("status", "--porcelain=v1", "-z", "--untracked-files=normal", "--", git.prefix or ".")
            last = (
                git.run("log", "-1", "--format=%cI", "--", git.prefix or ".", check=False).strip() or None
                if head
                else None
            )
        except GitError as exc:
            raise CollectorFailed(str(exc)) from None
        dirty_paths: list[str] = []
        entries = status.split("\0")
        index = 0
        while index < len(entries):
            entry = entries[index]
            index += 1
            if len(entry) < 4:
                continue
            if entry[0] in "RC":  # renames carry the source path as the next entry
                index += 1
            rel = git.to_repo_path(entry[3:])
            if rel is not None and not rel.startswith(STATE_DIR):
                dirty_paths.append(rel)
        wanted = self._requested_paths(ctx)
        last_change = {path: self._last_change(ctx, path) if head else None for path in wanted}
        return {
            "available": True,
            "commit": head,
            "branch": None if branch == "HEAD" else branch,
            "dirty": bool(dirty_paths),
            "dirty_paths": sorted(dirty_paths)[:200],
            "last_commit_time": _utc(last),
            "last_change": last_change,
        }

    @staticmethod
    def _requested_paths(ctx: CollectContext) -> list[str]:
        paths = {str(p) for p in ctx.options("git").get("paths", [])}
        paths.update(str(v) for v in ctx.config.docs.values())
        paths.update(ctx.config.list_value("release_files") or [])
        return sorted(p for p in paths if not any(ch in p for ch in "*?["))

    @staticmethod
    def _last_change(ctx: CollectContext, path: str) -> str | None:
        assert ctx.git is not None
        try:
            out = ctx.git.run("log", "-1", "--format=%cI", "--", ctx.git.to_top_path(path), check=False)
        except GitError:
            return None
        return _utc(out.strip() or None)


def _utc(stamp: str | None) -> str | None:
    """Git's ISO 8601 with offset → UTC ``...Z`` so facts compare as strings and parse as timestamps."""
    if not stamp:
        return None
    from datetime import UTC, datetime  # noqa: PLC0415

    return datetime.fromisoformat(stamp).astimezone(UTC).isoformat().replace("+00:00", "Z")
