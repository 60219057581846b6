"""Built-in collectors, one package per family (or one module for a small one), listed explicitly in
``BUILTIN`` (no import-time discovery). Collectors may import collection, syntax and the shared leaves only."""

from __future__ import annotations

from anops_policy.collectors.ci import CiCollector
from anops_policy.collectors.docker import DockerfilesCollector, ImagesCollector
from anops_policy.collectors.docs import DocsCollector
from anops_policy.collectors.files import FilesCollector
from anops_policy.collectors.git import GitCollector
from anops_policy.collectors.grpc import GrpcCollector
from anops_policy.collectors.layout import LayoutCollector
from anops_policy.collectors.logging import LoggingCollector
from anops_policy.collectors.patterns import PatternsCollector
from anops_policy.collectors.python import PythonCollector
from anops_policy.collectors.results import CoverageCollector, TestsCollector
from anops_policy.collectors.rust import RustCollector
from anops_policy.collectors.rust.asserts import MEMO_KEY as RUST_TEST_CHECKS
from anops_policy.collectors.signoff import SignoffCollector
from anops_policy.collectors.source import TodosCollector

from anops_policy.collection.collector import Collector
from anops_policy.collection.parallel import Placement

BUILTIN: dict[str, Collector] = {
    "ci": CiCollector(),
    "coverage": CoverageCollector(),
    "dockerfiles": DockerfilesCollector(),
    "docs": DocsCollector(),
    "files": FilesCollector(),
    "git": GitCollector(),
    "grpc": GrpcCollector(),
    "images": ImagesCollector(),
    "layout": LayoutCollector(),
    "logging": LoggingCollector(),
    "patterns": PatternsCollector(),
    "python": PythonCollector(),
    "rust": RustCollector(),
    "signoff": SignoffCollector(),
    "tests": TestsCollector(),
    "todos": TodosCollector(),
}

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
