"""A crate's files: which crate owns each ``.rs`` file, each file read and scanned once per crate, and the
files reachable from a target's root through ``mod name;`` declarations."""

from __future__ import annotations

import posixpath
from typing import Any

from anops_policy.collectors.rust.asserts import remember_test_file
from anops_policy.collectors.rust.scan import Scan, scan

from anops_policy.collection.collector import CollectContext


class Scans:
    """Each file read and scanned once; unreadable files are skipped (recorded by ``ctx``)."""

    def __init__(self, ctx: CollectContext, problems: list[dict[str, Any]]) -> None:
        self.ctx = ctx
        self.problems = problems
        self.cache: dict[str, Scan | None] = {}

    def get(self, path: str) -> Scan | None:
        if path not in self.cache:
            text = self.ctx.read_text(path)
            sc = scan(text) if text is not None else None
            if sc is not None and text is not None:
                self.problems.extend({"path": path, "line": line, "message": msg} for line, msg in sc.problems)
                if "/tests/" in f"/{path}":  # the grpc collector reads these files' checks, not their scans
                    remember_test_file(self.ctx.memo, path, text, sc)
            self.cache[path] = sc
        return self.cache[path]


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
        sc = scans.get(path)
        if sc is None:
            continue
        for name in sc.mods:
            for candidate in mod_candidates(path, name, is_root):
                if candidate in files:
                    stack.append((candidate, False))
                    break
    return seen
