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
