"""Independent counts of test-result files, written with nothing but ``json`` and ``xml.etree``, against which
the ``tests`` collector's recounts are checked (a helper of the ``test_results_*`` modules, not a test)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

BUILD_FAILED = re.compile(r"^FAIL\s+(\S+) \[(build|setup) failed\]$")
TRX = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"


def count_go_events(text: str) -> dict[str, int]:
    """A test2json stream: one test per pass/fail/skip event that names a test; one failure per test that
    started and never finished (the binary died); one error per ``[build failed]``/``[setup failed]`` line
    (plain, or as an output event) or ``FailedBuild`` package failure; one failure per package that failed
    with none of these and no failing test."""
    out = {"tests": 0, "passed": 0, "failed": 0, "skipped": 0, "errors": 0}
    unbuilt: set[str] = set()
    finished: dict[tuple[str, str], bool] = {}  # (package, test) -> reported a result
    failing: set[str] = set()  # packages with a failing test
    package_failed: set[str] = set()
    for raw in text.splitlines():
        line = raw.strip()
        if not line.startswith("{"):
            if m := BUILD_FAILED.match(line):
                unbuilt.add(m[1])
            continue
        event = json.loads(line)
        action, package, test = event.get("Action"), event.get("Package", ""), event.get("Test")
        if test and action == "run":
            finished.setdefault((package, test), False)
        elif test and action in ("pass", "fail", "skip"):
            finished[(package, test)] = True
            out["tests"] += 1
            out[{"pass": "passed", "fail": "failed", "skip": "skipped"}[action]] += 1
            if action == "fail":
                failing.add(package)
        elif action == "output" and not test and (m := BUILD_FAILED.match(event["Output"].strip())):
            unbuilt.add(m[1])
        elif action == "fail" and not test:
            package_failed.add(package)
            if event.get("FailedBuild"):
                unbuilt.add(package)
    unfinished = {package for (package, _), done in finished.items() if not done}
    died = sum(1 for done in finished.values() if not done)
    silent = package_failed - unbuilt - unfinished - failing
    out["failed"] += died + len(silent)
    out["errors"] = len(unbuilt)
    out["tests"] += died + len(silent) + len(unbuilt)
    return out


def count_trx(path: Path) -> dict[str, int]:
    """A TRX file: every UnitTestResult without inner results, by its outcome attribute."""
    kinds = {
        "Passed": "passed", "Failed": "failed", "Timeout": "failed", "NotExecuted": "skipped",
        "Inconclusive": "skipped", "NotRunnable": "skipped",
    }
    out = {"tests": 0, "passed": 0, "failed": 0, "skipped": 0, "errors": 0}
    for result in ElementTree.parse(path).getroot().iter(f"{TRX}UnitTestResult"):
        if result.find(f"{TRX}InnerResults") is not None:
            continue
        out["tests"] += 1
        out[kinds.get(result.get("outcome") or "", "errors")] += 1
    return out
