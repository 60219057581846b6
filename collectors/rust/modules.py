"""A crate's files: which crate owns each ``.rs`` file, each file read and scanned once per crate, and the
files reachable from a target's root through ``mod name;`` declarations."""

from __future__ import annotations

import posixpath
from typing import Any

from anops_policy.collectors.rust.asserts import remember_checks
from anops_policy.collectors.rust.file_summary import RustFileSummary, summarise
from anops_policy.collectors.rust.scan import Scan, scan

from anops_policy.collection.collector import CollectContext
from anops_policy.collection.summary_cache import SummaryStore
from anops_policy.syntax.rust_source import RUST
from anops_policy.syntax.trees import source_trees


class Scans:
    """Each file read and summarised once per crate (``RustFileSummary``, from the per-file summary cache
    when ``store`` has it), and scanned in full only when a step needs its tokens (``get``). Unreadable
    files are skipped (recorded by ``ctx``)."""

    def __init__(self, ctx: CollectContext, problems: list[dict[str, Any]], store: SummaryStore | None = None) -> None:
        self.ctx = ctx
        self.problems = problems
        self.store = store
        self.cache: dict[str, Scan | None] = {}
        self.summaries: dict[str, RustFileSummary | None] = {}
        self.keys: dict[str, str] = {}  # path -> the summary's cache key (its content's digest)

    def summary(self, path: str) -> RustFileSummary | None:
        if path not in self.summaries:
            self.summaries[path] = self._summarise(path)
        return self.summaries[path]

    def _summarise(self, path: str) -> RustFileSummary | None:
        text = self.ctx.read_text(path)
        if text is None:
            self.cache[path] = None
            return None
        store = self.store if self.store is not None and self.store.enabled else None
        key = store.key(path, text) if store is not None else ""
        self.keys[path] = key
        found = store.get(key, RustFileSummary) if store is not None else None
        if found is None:
            sc = self.cache[path] = self._scan(path, text)
            found = summarise(path, sc)
            if store is not None:
                store.put(key, found, RustFileSummary)
        self.problems.extend({"path": path, "line": line, "message": msg} for line, msg in found.problems)
        if found.test_checks is not None:  # the grpc collector reads these files' checks, not their scans
            remember_checks(self.ctx.memo, path, text, found.test_checks)
        return found

    def get(self, path: str) -> Scan | None:
        """The file's full scan (read again when its summary came from the cache)."""
        if self.summary(path) is None:
            return None
        if path not in self.cache:
            text = self.ctx.read_text(path)
            self.cache[path] = self._scan(path, text) if text is not None else None
        return self.cache[path]

    def _scan(self, path: str, text: str) -> Scan:
        """The file scanned from the run's one tree-sitter parse of it (shared with the patterns collector)."""
        return scan(text, source_trees(self.ctx.memo).tree(path, text, RUST))

    def clear(self) -> None:
        """Crates' files are disjoint: keep one crate's token streams at a time."""
        self.cache.clear()
        self.summaries.clear()


def owners(files: list[str], crate_dirs: list[str]) -> dict[str, str]:
    """Each ``.rs`` file → the innermost crate directory containing it."""
    ordered = sorted(crate_dirs, key=len, reverse=True)
    out: dict[str, str] = {}
    for f in files:
        if not f.endswith(".rs"):
            continue
        for d in ordered:
            if d == "." or f.startswith(d + "/"):
                out[f] = d
                break
    return out


def mod_candidates(file: str, name: str, is_root: bool) -> list[str]:
    directory = posixpath.dirname(file)
    base_name = posixpath.basename(file)
    if is_root or base_name in ("mod.rs", "main.rs", "lib.rs"):
        base = directory
    else:
        base = posixpath.join(directory, base_name[:-3])
    return [posixpath.join(base, f"{name}.rs"), posixpath.join(base, name, "mod.rs")]


def module_closure(roots: list[str], files: set[str], scans: Scans) -> set[str]:
    """The files reachable from ``roots`` through ``mod name;`` declarations."""
    seen: set[str] = set()
    stack = [(r, True) for r in roots if r in files]
    while stack:
        path, is_root = stack.pop()
        if path in seen:
            continue
        seen.add(path)
        summary = scans.summary(path)
        if summary is None:
            continue
        for name in summary.mods:
            for candidate in mod_candidates(path, name, is_root):
                if candidate in files:
                    stack.append((candidate, False))
                    break
    return seen
