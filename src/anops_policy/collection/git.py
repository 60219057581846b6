"""The git repository that contains the evaluated directory: read-only ``git`` commands with a timeout,
and paths translated between its top level and the evaluated directory."""

from __future__ import annotations

import subprocess
from pathlib import Path

GIT_TIMEOUT_S = 60.0


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
