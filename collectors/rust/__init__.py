"""``rust``: every Cargo crate — its targets, dependencies, integration tests and the CLI subcommands they
run, unit-test counts, and per non-test source file the console output, panics, logging and error
handling a production-readiness policy asks about.

Manifests are parsed with ``tomllib`` (``manifest``); sources are read as tokens off their tree-sitter
trees (``tokens``/``scan``/``metrics``, through ``anops_policy.syntax``), so comments, nested block
comments, strings and raw strings never match; integration tests are followed through helper functions
to the subcommands they invoke (``integration``/``cli``). Everything is pre-aggregated per crate (counts,
``by_path`` maps, booleans) and per file.
"""

from __future__ import annotations

import posixpath
from typing import Any

from anops_policy.collection.collector import CollectContext
from anops_policy.errors import NotConfigured
from anops_policy.syntax.python_ast import gc_paused


class RustCollector:
    name = "rust"
    version = "2"  # 2: sources read off tree-sitter trees (the summaries of version 1 came from a hand-written lexer)
    depends_on: tuple[str, ...] = ()

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        # token streams and the checks kept for the grpc collector hold no reference cycles; with the
        # cyclic GC running, its passes over them made the collector ~25% slower (measured, 20k tree)
        with gc_paused():
            return self._collect(ctx)

    def _collect(self, ctx: CollectContext) -> dict[str, Any]:
        files = ctx.files()
        manifest_paths = [p for p in files if posixpath.basename(p) == "Cargo.toml"]
        if not manifest_paths:
            raise NotConfigured("no Cargo.toml in the repository", "the rust collector reads Cargo crates")
        # the analysis modules load only for a repository with Rust (start-up of every other run)
        from anops_policy.collectors.rust.crates import collect_crates  # noqa: PLC0415

        return collect_crates(ctx, self, files, manifest_paths)
