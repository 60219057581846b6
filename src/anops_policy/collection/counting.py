"""A repository that reports every file a collector reads: the progress line counts them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from anops_policy.collection.repo import DEFAULT_MAX_FILE_BYTES, Repo, Skip


class CountingRepo(Repo):
    """A ``Repo`` that reports every file a collector reads (``read_text`` reads through ``read_bytes``)."""

    def __init__(self, root: Path, *, on_read: Callable[[str], None], exclude: Sequence[str] = (),
                 max_file_bytes: int = DEFAULT_MAX_FILE_BYTES, use_git: bool = True) -> None:
        super().__init__(root, exclude=exclude, max_file_bytes=max_file_bytes, use_git=use_git)
        self._on_read = on_read

    def report_reads_to(self, on_read: Callable[[str], None]) -> None:
        """Send reads elsewhere (a worker process counts them and reports to its parent)."""
        self._on_read = on_read

    def read_bytes(self, rel: str, *, max_bytes: int | None = None) -> bytes | Skip:
        self._on_read(rel)
        return super().read_bytes(rel, max_bytes=max_bytes)
