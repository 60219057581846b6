"""Test evidence: the ``tests`` section (JUnit XML, cargo/libtest output) and the ``coverage`` section.

The collectors are ``tests.TestsCollector`` and ``coverage.CoverageCollector``, each imported by the
registry only when a run needs it. May import collection and the shared leaves."""
