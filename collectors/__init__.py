"""Built-in collectors, one module per fact key, listed explicitly (no import-time discovery)."""

from __future__ import annotations

from anops_policy.collectors.ci import CiCollector
from anops_policy.collectors.coverage import CoverageCollector
from anops_policy.collectors.dockerfiles import DockerfilesCollector
from anops_policy.collectors.docs import DocsCollector
from anops_policy.collectors.git import GitCollector
from anops_policy.collectors.grpc import GrpcCollector
from anops_policy.collectors.images import ImagesCollector
from anops_policy.collectors.layout import LayoutCollector
from anops_policy.collectors.logging import LoggingCollector
from anops_policy.collectors.python import PythonCollector
from anops_policy.collectors.rust import RustCollector
from anops_policy.collectors.signoff import SignoffCollector
from anops_policy.collectors.tests import TestsCollector
from anops_policy.collectors.todos import TodosCollector

from anops_policy.collect import Collector
from anops_policy.collect_parallel import Placement

BUILTIN: dict[str, Collector] = {
    "ci": CiCollector(),
    "coverage": CoverageCollector(),
    "dockerfiles": DockerfilesCollector(),
    "docs": DocsCollector(),
    "git": GitCollector(),
    "grpc": GrpcCollector(),
    "images": ImagesCollector(),
    "layout": LayoutCollector(),
    "logging": LoggingCollector(),
    "python": PythonCollector(),
    "rust": RustCollector(),
    "signoff": SignoffCollector(),
    "tests": TestsCollector(),
    "todos": TodosCollector(),
}

# Where the parallel scheduler (``--jobs``) places them: the python, grpc and logging collectors share
# each Python file's syntax tree through the run's memo, so they run in one worker; cost hints (relative,
# measured on the 20,000-file benchmark tree: python and rust ~40 s each, grpc ~7 s, docs and todos
# ~2 s, the rest well under a second) start the long ones first.
PLACEMENT: dict[str, Placement] = {
    "python": Placement(group="python-ast", cost=40),
    "grpc": Placement(group="python-ast", cost=7),
    "logging": Placement(group="python-ast", cost=5),
    "rust": Placement(cost=40),
    "docs": Placement(cost=2),
    "todos": Placement(cost=2),
}
