"""Real Go test results: the module in ``producers/go`` (a passing test, a table test with two subtests, a
failing test, a skipped test, a package without test files and a package that does not compile) is run with
``go test -json ./...`` and with ``gotestsum --junitfile --jsonfile``, offline, and the collector's totals
must equal an independent count of the same files: the test2json events counted with plain ``json`` (plus
the ``[build failed]`` lines), and the JUnit cases counted by junitparser (plus the errors gotestsum's root
declares for the package it leaves out).

Debian's ``golang-go`` and ``gotestsum`` provide the tools (``.ci/run`` installs them); without them the
tests skip, saying so."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from junitparser import JUnitXml
from results_counts import count_go_events

from anops_policy.config import RepoConfig
from anops_policy.pipeline.collect import collect_facts

HERE = Path(__file__).parent
MODULE = HERE / "producers" / "go"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
GO = shutil.which("go")
GOTESTSUM = shutil.which("gotestsum")

pytestmark = pytest.mark.skipif(
    GO is None, reason="go is not installed (Debian package golang-go; .ci/run installs it)"
)


def go_env(tmp: Path) -> dict[str, str]:
    """Offline and hermetic: no module proxy, no toolchain download, caches in the test's folder."""
    return {
        **os.environ,
        "GOFLAGS": "-mod=mod",
        "GOCACHE": str(tmp / "gocache"),
        "GOPATH": str(tmp / "gopath"),
        "GOTOOLCHAIN": "local",
        "GOPROXY": "off",
        "GOSUMDB": "off",
        "CGO_ENABLED": "0",
        "GO111MODULE": "on",
    }


@pytest.fixture(scope="module")
def go_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of each producer over a copy of the module; the outputs land in the copy's ``reports/``."""
    tmp = tmp_path_factory.mktemp("go")
    repo = tmp / "repo"
    shutil.copytree(MODULE, repo)
    reports = repo / "reports"
    reports.mkdir()
    env = go_env(tmp)
    assert GO is not None
    run = subprocess.run(
        [GO, "test", "-json", "./..."], cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode != 0, "the module has a failing test and a package that does not build"
    (reports / "go-test.json").write_text(run.stdout)
    (reports / "go-test-with-stderr.json").write_text(run.stdout + run.stderr)
    if GOTESTSUM is not None:
        subprocess.run(
            [GOTESTSUM, "--format", "standard-quiet", "--junitfile", str(reports / "junit-gotestsum.xml"),
             "--jsonfile", str(reports / "gotestsum.json"), "--", "./..."],
            cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False,
        )
    document = collect_facts(repo, RepoConfig(), now=NOW, only=["tests"], use_git=False)
    assert document["meta"]["collectors"]["tests"]["status"] == "ok", document["meta"]["collectors"]["tests"]
    return {"repo": repo, "stdout": run.stdout, "stderr": run.stderr, "tests": document["tests"]}


def totals(report: dict[str, Any]) -> dict[str, int]:
    return {k: report[k] for k in ("tests", "passed", "failed", "skipped", "errors")}


def test_go_test_json_equals_an_independent_count(go_run: dict[str, Any]) -> None:
    reports = go_run["tests"]["reports"]
    for name in ("go-test.json", "go-test-with-stderr.json"):
        text = (go_run["repo"] / "reports" / name).read_text()
        assert totals(reports[f"reports/{name}"]) == count_go_events(text), name
    # what the module is known to do: TestAdd, TestHalf, TestHalf/even, TestHalf/odd pass; one failure;
    # one skip; the broken package is one build failure
    assert totals(reports["reports/go-test.json"]) == {"tests": 7, "passed": 4, "failed": 1, "skipped": 1, "errors": 1}
    assert reports["reports/go-test.json"]["build_failed"] is True
    assert reports["reports/go-test.json"]["collection_errors"] == 1


def test_go_test_json_cases(go_run: dict[str, Any]) -> None:
    tests = go_run["tests"]
    by_name = tests["by_name"]
    assert by_name["TestHalf/odd"]["status"] == "passed"
    assert by_name["TestNeedsDatabase"]["status"] == "skipped"
    failing = {(f["path"], f["name"]): f for f in tests["failing"]}
    failure = failing[("reports/go-test.json", "TestAddFailsOnPurpose")]
    assert failure["message"] == "calc_test.go:28: Add(2, 2) = 4, want 5"
    assert failure["classname"] == "example.com/anops/gocalc/calc"
    build = failing[("reports/go-test-with-stderr.json", "[build failed]")]
    assert build["collection_error"] is True
    assert build["message"].startswith("broken/broken_test.go:6:14: cannot use")
    # the package without test files is an empty harness, not a zero-test suite
    assert not any(s.endswith("/nofiles") for s in tests["zero_test_suites"] if "go-test" in s)


@pytest.mark.skipif(GOTESTSUM is None, reason="gotestsum is not installed (Debian package gotestsum)")
def test_gotestsum_junit_equals_junitparser_plus_declared_errors(go_run: dict[str, Any]) -> None:
    """gotestsum (with Go < 1.24) leaves the package that did not build out of its JUnit file and counts
    its compile-error lines only in the root's ``errors``: the collector reads that as one build failure."""
    path = go_run["repo"] / "reports" / "junit-gotestsum.xml"
    xml = JUnitXml.fromfile(str(path))
    theirs = {"tests": 0, "passed": 0, "failed": 0, "skipped": 0, "errors": 0}
    for suite in xml:
        for case in suite:
            theirs["tests"] += 1
            kinds = {type(r).__name__ for r in case.result}
            order = (("Error", "errors"), ("Failure", "failed"), ("Skipped", "skipped"))
            theirs[next((key for kind, key in order if kind in kinds), "passed")] += 1
    declared_errors = int(xml._elem.get("errors") or 0)
    build_errors = 1 if declared_errors > theirs["errors"] else 0
    theirs["tests"] += build_errors
    theirs["errors"] += build_errors
    report = go_run["tests"]["reports"]["reports/junit-gotestsum.xml"]
    assert report["producer"] == "gotestsum"
    assert totals(report) == theirs
    # the same run read through go test -json gives the same totals
    assert totals(report) == totals(go_run["tests"]["reports"]["reports/go-test.json"])


@pytest.mark.skipif(GOTESTSUM is None, reason="gotestsum is not installed (Debian package gotestsum)")
def test_gotestsum_jsonfile_is_read_as_go_test_json(go_run: dict[str, Any]) -> None:
    """gotestsum's --jsonfile is go test -json without the non-JSON lines, so with Go < 1.24 the build
    failure is not in it (documented in the README): its count is the test events'."""
    text = (go_run["repo"] / "reports" / "gotestsum.json").read_text()
    report = go_run["tests"]["reports"]["reports/gotestsum.json"]
    assert report["format"] == "go-test-json"
    assert totals(report) == count_go_events(text)
