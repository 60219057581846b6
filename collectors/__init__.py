"""Built-in collectors, one package per family (or one module for a small one), listed explicitly in
``BUILTIN`` (no import-time discovery). Collectors may import collection, syntax and the shared leaves only."""

from __future__ import annotations

import importlib
from typing import Any

from anops_policy.collection.collector import CollectContext, Collector
from anops_policy.collection.parallel import Placement

# The grpc collector reads what the rust collector's checks of Rust test files left in the run's memo
# (``rust.asserts.MEMO_KEY``; a test keeps the two equal).
RUST_TEST_CHECKS = "rust_asserts.test_files"


class LazyCollector:
    """A built-in collector named here and imported the first time the run needs more than its name (its
    version, dependencies or facts): ``facts --only todos`` imports the todos collector alone, and a
    collector's analysis modules are loaded only by a run that uses it."""

    def __init__(self, name: str, module: str, cls: str) -> None:
        self.name = name
        self._where = (f"anops_policy.collectors.{module}", cls)
        self._target: Collector | None = None

    def target(self) -> Collector:
        if self._target is None:
            module, cls = self._where
            target: Collector = getattr(importlib.import_module(module), cls)()
            self._target = target
        return self._target

    @property
    def version(self) -> str:
        return self.target().version

    @property
    def depends_on(self) -> tuple[str, ...]:
        return self.target().depends_on

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        return self.target().collect(ctx)

    def __getattr__(self, attribute: str) -> Any:  # anything else a collector defines (e.g. SCHEMA)
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        return getattr(self.target(), attribute)


_WHERE = {
    "ci": ("ci", "CiCollector"),
    "coverage": ("results.coverage", "CoverageCollector"),
    "docs": ("docs", "DocsCollector"),
    "files": ("files", "FilesCollector"),
    "git": ("git", "GitCollector"),
    "grpc": ("grpc", "GrpcCollector"),
    "layout": ("layout", "LayoutCollector"),
    "logging": ("logging", "LoggingCollector"),
    "patterns": ("patterns", "PatternsCollector"),
    "python": ("python", "PythonCollector"),
    "rust": ("rust", "RustCollector"),
    "signoff": ("signoff", "SignoffCollector"),
    "tests": ("results.tests", "TestsCollector"),
    "todos": ("source", "TodosCollector"),
    # last in a process's order: BuildKit's parser (the `dockerfile` extension) starts Go runtime threads,
    # after which forking is unsafe and the patterns and todos collectors could no longer split their
    # parsing across processes (``collection.parallel.available``)
    "dockerfiles": ("docker.dockerfiles", "DockerfilesCollector"),
    "images": ("docker.images", "ImagesCollector"),
}
BUILTIN: dict[str, Collector] = {name: LazyCollector(name, *where) for name, where in _WHERE.items()}

# Where the parallel scheduler (``--jobs``) places them: the python, grpc and logging collectors share
# each Python module's summary through the run's memo, so they run in one worker; the grpc collector
# also reuses the rust collector's checks of Rust test files (shipped between workers, after rust ran).
# Cost hints (relative, measured on the 20,000-file benchmark tree: python ~46 s, rust ~37 s, grpc and
# logging a few seconds with the shared work, docs and todos ~2 s, the rest well under a second) start
# the long ones first.
PLACEMENT: dict[str, Placement] = {
    "python": Placement(group="python-ast", cost=46),
    "grpc": Placement(group="python-ast", cost=3, memo_in=(RUST_TEST_CHECKS,), after=("rust",)),
    "logging": Placement(group="python-ast", cost=3),
    "rust": Placement(cost=37),
    "docs": Placement(cost=2),
    "todos": Placement(cost=2),
    "patterns": Placement(cost=4),
}
