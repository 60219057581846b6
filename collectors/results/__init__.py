"""Test evidence: the ``tests`` section (JUnit XML, cargo/libtest output) and the ``coverage`` section.

May import collection and the shared leaves."""

from __future__ import annotations

from anops_policy.collectors.results.coverage import CoverageCollector
from anops_policy.collectors.results.tests import TestsCollector

__all__ = ["CoverageCollector", "TestsCollector"]
