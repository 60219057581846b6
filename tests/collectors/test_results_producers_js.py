"""Real JavaScript test results: the project in ``producers/js`` (passing, failing, skipped and todo tests,
nested describes, and a test file that cannot even load) is run with jest + jest-junit and with vitest's
JUnit reporter; the collector's totals must equal an independent count, each producer's own ``--json``
report of the same run (``numPassedTests``, ``numFailedTests``, ``numPendingTests`` + ``numTodoTests``, and
the test files that failed to run as collection errors).

The npm packages are pinned in ``producers/js/package.json`` and installed outside the repository by
``.ci/run`` (into ``$ANOPS_JS_PRODUCERS``, default ``~/.cache/anops-policy/js-producers``); without them the
tests skip, saying how to install them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import RepoConfig
from anops_policy.pipeline.collect import collect_facts

HERE = Path(__file__).parent
PROJECT = HERE / "producers" / "js"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
NODE = shutil.which("node")
PREFIX = Path(os.environ.get("ANOPS_JS_PRODUCERS") or Path.home() / ".cache" / "anops-policy" / "js-producers")
MODULES = PREFIX / "node_modules"
JEST = MODULES / "jest" / "bin" / "jest.js"
VITEST = MODULES / "vitest" / "vitest.mjs"
INSTALL = (
    f"mkdir -p {PREFIX} && cp {PROJECT / 'package.json'} {PREFIX} && "
    f"npm install --prefix {PREFIX} --no-audit --no-fund --ignore-scripts"
)

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


def project(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(PROJECT, repo)
    (repo / "node_modules").symlink_to(MODULES, target_is_directory=True)
    (repo / "reports").mkdir()
    return repo


def node(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run(
        [NODE, *args], cwd=repo, env={**os.environ, "CI": "true", **(env or {})},
        capture_output=True, text=True, timeout=300, check=False,
    )


def collected(repo: Path) -> dict[str, Any]:
    # node_modules is a symlink out of the tree: the collector never follows it, and the default globs
    # skip dependency folders anyway
    (repo / "node_modules").unlink()
    document = collect_facts(repo, RepoConfig(), now=NOW, only=["tests"], use_git=False)
    assert document["meta"]["collectors"]["tests"]["status"] == "ok", document["meta"]["collectors"]["tests"]
    section: dict[str, Any] = document["tests"]
    return section


def own_count(report: dict[str, Any]) -> dict[str, int]:
    """The runner's own --json report (jest's format; vitest writes the same one): tests that ran or were
    skipped, plus one error per test file that failed before any test ran (jest counts those itself in
    ``numRuntimeErrorTestSuites``; vitest lists them as failed files without assertion results)."""
    unloaded = report.get("numRuntimeErrorTestSuites")
    if unloaded is None:
        unloaded = sum(
            1 for r in report["testResults"] if r.get("status") == "failed" and not r.get("assertionResults")
        )
    return {
        "tests": report["numTotalTests"] + unloaded,
        "passed": report["numPassedTests"],
        "failed": report["numFailedTests"],
        "skipped": report["numPendingTests"] + report["numTodoTests"],
        "errors": unloaded,
        "collection_errors": unloaded,
    }


def totals(report: dict[str, Any]) -> dict[str, int]:
    return {k: report[k] for k in ("tests", "passed", "failed", "skipped", "errors", "collection_errors")}


@pytest.mark.skipif(not JEST.is_file(), reason=f"jest is not installed: {INSTALL}")
def test_jest_junit_equals_jests_own_count(tmp_path: Path) -> None:
    repo = project(tmp_path)
    run = node(
        repo, str(JEST), "--ci", "--no-cache", "--reporters=default", "--reporters=jest-junit",
        "--json", "--outputFile=reports/jest-report.json",
        env={
            "JEST_JUNIT_OUTPUT_DIR": "reports",
            "JEST_JUNIT_OUTPUT_NAME": "junit-jest.xml",
            "JEST_JUNIT_REPORT_TEST_SUITE_ERRORS": "true",  # jest-junit leaves a file that failed to run out otherwise
        },
    )
    assert run.returncode == 1, run.stderr[-2000:]
    own = json.loads((repo / "reports" / "jest-report.json").read_text())
    tests = collected(repo)
    report = tests["reports"]["reports/junit-jest.xml"]
    assert report["producer"] == "jest"
    assert totals(report) == own_count(own)
    assert totals(report) == {"tests": 7, "passed": 3, "failed": 1, "skipped": 2, "errors": 1, "collection_errors": 1}
    assert tests["by_name"]["cents formats with a currency sign"]["status"] == "skipped"  # test.todo
    broken = next(f for f in tests["failing"] if f["collection_error"])
    assert broken["file"] == "src/broken.test.js"
    assert broken["message"] == (
        "Test suite failed to run: Cannot find module './no-such-module' from 'src/broken.test.js'"
    )
    # jest's --json report is a format the collector names but does not read
    assert {"path": "reports/jest-report.json", "format": "jest-json"}.items() <= next(
        e for e in tests["errors"] if e["path"] == "reports/jest-report.json"
    ).items()


@pytest.mark.skipif(not VITEST.is_file(), reason=f"vitest is not installed: {INSTALL}")
def test_vitest_junit_equals_vitests_own_count(tmp_path: Path) -> None:
    repo = project(tmp_path)
    run = node(
        repo, str(VITEST), "run", "--globals", "--reporter=default", "--reporter=junit", "--reporter=json",
        "--outputFile.junit=reports/junit-vitest.xml", "--outputFile.json=reports/vitest-report.json",
    )
    assert run.returncode == 1, run.stderr[-2000:]
    own = json.loads((repo / "reports" / "vitest-report.json").read_text())
    tests = collected(repo)
    report = tests["reports"]["reports/junit-vitest.xml"]
    assert report["producer"] == "vitest"
    assert totals(report) == own_count(own)
    assert totals(report) == {"tests": 7, "passed": 3, "failed": 1, "skipped": 2, "errors": 1, "collection_errors": 1}
    failure = tests["by_qualified_name"]["src/money.test.js::add > fails on purpose"]
    assert (failure["status"], failure["file"]) == ("failed", "src/money.test.js")
    broken = next(f for f in tests["failing"] if f["collection_error"])
    assert (broken["file"], broken["name"]) == ("src/broken.test.js", "src/broken.test.js")
