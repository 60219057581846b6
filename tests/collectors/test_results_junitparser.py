"""Every JUnit file in the ``tests`` case folders and in examples/anops: the collector's recount equals an
independent count by junitparser (used only here).

junitparser counts result elements per case (``<failure>``, ``<error>``, ``<skipped>``) recursively through
nested suites; the collector gives each case one status. The two agree on every file here because no
case carries two result elements (``test_case_with_failure_and_error`` covers that, where they must
differ). One documented extension: googletest marks disabled tests only with ``status="notrun"``, which
junitparser reads as passed; the collector counts them as skipped, and so does the independent count
below.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from junitparser import JUnitXml

from anops_policy.config import RepoConfig, load_config
from anops_policy.pipeline.collect import collect_facts

HERE = Path(__file__).parent
REPO_ROOT = HERE.parent.parent
EXAMPLE = REPO_ROOT / "examples" / "anops"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CASES = sorted(
    p for p in (HERE / "tests" / "cases").iterdir()
    if (p / "repo").is_dir() and "status" not in json.loads((p / "expected.json").read_text())  # collected
)
GLOB_CASES = ("globs", "default-globs")  # their point is which files are NOT read


def junitparser_counts(path: Path) -> dict[str, int]:
    xml = JUnitXml.fromfile(str(path))
    out = {"tests": 0, "failed": 0, "errors": 0, "skipped": 0, "passed": 0}
    for suite in xml:
        suite.update_statistics()  # junitparser's own recount, through nested suites
        out["tests"] += suite.tests
        out["failed"] += suite.failures
        out["errors"] += suite.errors
        out["skipped"] += suite.skipped
        for case in suite:
            if case.is_passed:
                if case._elem.get("status") == "notrun":  # googletest DISABLED_ (see module docstring)
                    out["skipped"] += 1
                else:
                    out["passed"] += 1
    return out


def collected(root: Path, config: RepoConfig, *, use_git: bool) -> dict[str, Any]:
    document = collect_facts(root, config, now=NOW, only=["tests"], use_git=use_git)
    assert document["meta"]["collectors"]["tests"]["status"] == "ok", document["meta"]["collectors"]
    section: dict[str, Any] = document["tests"]
    return section


def collected_reports(root: Path, config: RepoConfig, *, use_git: bool) -> dict[str, Any]:
    reports: dict[str, Any] = collected(root, config, use_git=use_git)["reports"]
    return reports


def case_reports(case: Path, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    work = tmp_path / "repo"
    shutil.copytree(case / "repo", work, symlinks=True)
    config = load_config(case / "config.yaml") if (case / "config.yaml").is_file() else RepoConfig()
    return work, collected_reports(work, config, use_git=False)


def compare(root: Path, reports: dict[str, Any]) -> int:
    compared = 0
    for path, report in reports.items():
        if report["format"] != "junit":
            continue
        theirs = junitparser_counts(root / path)
        ours = {k: report[k] for k in ("tests", "failed", "errors", "skipped", "passed")}
        assert ours == theirs, path
        compared += 1
    return compared


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_totals_equal_junitparser(case: Path, tmp_path: Path) -> None:
    root, reports = case_reports(case, tmp_path)
    junit_files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.xml"))
    compared = compare(root, reports)
    read = [p for p in junit_files if reports.get(p, {}).get("format") == "junit"]
    assert compared == len(read)
    if case.name.startswith("junit-"):
        assert compared >= 2, "a producer case without JUnit files"


def test_every_junit_case_file_is_read_or_reported() -> None:
    """No JUnit-looking file in the case folders slips past both `reports` and `errors`/`ignored`."""
    for case in CASES:
        expected = (case / "expected.json").read_text()
        for xml in (case / "repo").rglob("*.xml"):
            rel = xml.relative_to(case / "repo").as_posix()
            if case.name in GLOB_CASES:
                continue
            assert f'"{rel}"' in expected, f"{case.name}: {rel} is neither read nor listed"


def test_example_totals_equal_junitparser() -> None:
    config = load_config(EXAMPLE / "anops-policy.yaml")
    reports = collected_reports(EXAMPLE, config, use_git=True)
    assert compare(EXAMPLE, reports) == 3


def test_case_with_failure_and_error(tmp_path: Path) -> None:
    """pytest reports a test that fails and then errors in teardown as ONE case with both elements:
    junitparser counts a failure and an error; the collector gives the case one status, error (the
    worst), so passed + failed + errors + skipped == tests still holds."""
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "junit.xml").write_text(
        '<testsuites name="pytest tests"><testsuite name="pytest" errors="1" failures="1" skipped="0" tests="1">'
        '<testcase classname="t" name="test_x"><failure message="boom">f</failure>'
        '<error message="failed on teardown with &quot;OSError&quot;">e</error></testcase>'
        "</testsuite></testsuites>"
    )
    section = collected(tmp_path, RepoConfig(), use_git=False)
    report = section["reports"]["reports/junit.xml"]
    assert junitparser_counts(tmp_path / "reports" / "junit.xml") == {
        "tests": 1, "failed": 1, "errors": 1, "skipped": 0, "passed": 0,
    }
    assert (report["tests"], report["failed"], report["errors"], report["passed"]) == (1, 0, 1, 0)
    # pytest's own declared figures count elements too; they are kept beside the recount
    assert section["suites"][0]["declared"] == {"errors": 1, "failures": 1, "skipped": 0, "tests": 1}
    assert section["by_name"]["test_x"]["status"] == "error"


def test_nested_testsuites_from_merge_tools(tmp_path: Path) -> None:
    """Merging tools sometimes wrap whole files' ``<testsuites>`` in another one. junitparser only looks
    at ``<testsuite>`` children of the root and sees no test; the collector reads through."""
    (tmp_path / "reports").mkdir()
    merged = tmp_path / "reports" / "junit-merged.xml"
    merged.write_text(
        '<testsuites name="merged"><testsuites name="a"><testsuite name="s1"><testcase name="t1"/></testsuite>'
        '</testsuites><testsuites name="b"><testsuite name="s2"><testcase name="t2"><failure message="x"/>'
        "</testcase></testsuite></testsuites></testsuites>"
    )
    assert junitparser_counts(merged)["tests"] == 0
    report = collected_reports(tmp_path, RepoConfig(), use_git=False)["reports/junit-merged.xml"]
    assert (report["suites"], report["tests"], report["passed"], report["failed"]) == (2, 2, 1, 1)
