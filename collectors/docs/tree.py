"""The repository listing as sets, for existence checks of the paths documents refer to (no file is
read; ignored files are checked on disk, inside the root)."""

from __future__ import annotations

from collections.abc import Sequence

from anops_policy.collection.collector import CollectContext


class Tree:
    """The listing as sets, for existence checks of referenced paths (no file is read)."""

    def __init__(self, ctx: CollectContext, files: Sequence[str]) -> None:
        self.ctx = ctx
        self.files = set(files)
        self.dirs: set[str] = {""}
        self.basenames: set[str] = set()
        for path in files:
            self.basenames.add(path.rsplit("/", 1)[-1])
            parts = path.split("/")
            for i in range(1, len(parts)):
                self.dirs.add("/".join(parts[:i]))
        # every "/"-aligned suffix of a listed path: ends_with() is a look-up, not a scan of the listing
        # per mention (a document naming 100,000 paths in a large tree would otherwise be quadratic)
        self.suffixes: set[str] = set()
        for path in (*self.files, *self.dirs):
            parts = path.split("/")
            self.suffixes.update("/".join(parts[i:]) for i in range(len(parts)))

    def is_file(self, path: str) -> bool:
        return path in self.files

    def exists(self, path: str) -> bool:
        path = path.strip("/")
        if path in self.files or path in self.dirs:
            return True
        # ignored or excluded but present (a build output a doc links to): check the disk, inside the root
        candidate = self.ctx.repo.root / path
        try:
            real = candidate.resolve()
        except (OSError, RuntimeError):
            return False
        return (real == self.ctx.repo.root or self.ctx.repo.root in real.parents) and candidate.exists()

    def ends_with(self, suffix: str) -> bool:
        return suffix.strip("/") in self.suffixes
