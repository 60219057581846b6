"""Real pytest output: a small suite written to a temp repository (a pass, a failure, a fixture error, a
skip, an xfail, parametrised cases, a test class) is run with ``--junitxml`` in both JUnit families, and
separately a module that fails to import; the collector's facts must match what the suite is known to
do, the source lines pytest reported, and junitparser's count of the same files."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from junitparser import JUnitXml

from anops_policy.config import RepoConfig
from anops_policy.pipeline.collect import collect_facts

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

SUITE = '''\
import pytest


@pytest.fixture
def broken():
    raise RuntimeError("fixture exploded")


def test_passes():
    assert 1 + 1 == 2


def test_fails():
    assert 1 + 1 == 3, "arithmetic is off"


def test_errors(broken):
    pass


@pytest.mark.skip(reason="not on this runner")
def test_skipped():
    pass


@pytest.mark.xfail(reason="known bug", strict=True)
def test_expected_failure():
    assert False


@pytest.mark.parametrize("n", [1, 2, 3])
def test_param(n):
    assert n != 3


class TestGroup:
    def test_in_class(self):
        assert True
'''

EXPECTED_STATUS = {
    "test_passes": "passed",
    "test_fails": "failed",
    "test_errors": "error",
    "test_skipped": "skipped",
    "test_expected_failure": "skipped",
    "test_param[1]": "passed",
    "test_param[2]": "passed",
    "test_param[3]": "failed",
    "test_in_class": "passed",
}


def run_pytest(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=repo, capture_output=True, text=True, timeout=300, check=False,
    )


def collect(repo: Path) -> dict[str, Any]:
    document = collect_facts(repo, RepoConfig(), now=NOW, only=["tests"], use_git=False)
    assert document["meta"]["collectors"]["tests"]["status"] == "ok", document["meta"]["collectors"]
    section: dict[str, Any] = document["tests"]
    return section


def start_line(source: str, name: str) -> int:
    """Where pytest says a test starts: its ``def`` line, or its first decorator."""
    lines = source.splitlines()
    index = next(i for i, line in enumerate(lines) if line.lstrip().startswith(f"def {name}("))
    while index > 0 and lines[index - 1].lstrip().startswith("@"):
        index -= 1
    return index + 1


@pytest.fixture(scope="module")
def pytest_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("pyrepo")
    (repo / "svc" / "tests").mkdir(parents=True)
    (repo / "svc" / "tests" / "test_behaviour.py").write_text(SUITE)
    (repo / "pytest.ini").write_text("[pytest]\n")  # rootdir here, whatever the caller's config
    for family, name in (("xunit1", "junit-xunit1.xml"), ("xunit2", "junit-xunit2.xml")):
        done = run_pytest(repo, f"--junitxml=reports/{name}", "-o", f"junit_family={family}", "svc/tests")
        assert done.returncode == 1, done.stdout + done.stderr  # 1: some tests failed
    (repo / "e2e").mkdir()
    (repo / "e2e" / "test_flow.py").write_text("import module_that_is_not_installed\n\n\ndef test_flow():\n    pass\n")
    done = run_pytest(repo, "--junitxml=reports/junit-e2e.xml", "e2e")
    assert done.returncode == 2, done.stdout + done.stderr  # 2: interrupted by a collection error
    return repo


def test_statuses_names_and_lines(pytest_repo: Path) -> None:
    facts = collect(pytest_repo)
    xunit1 = "reports/junit-xunit1.xml"
    assert facts["files"] == 3
    for name, status in EXPECTED_STATUS.items():
        ref = facts["by_qualified_name"][
            f"svc.tests.test_behaviour{'.TestGroup' if name == 'test_in_class' else ''}::{name}"
        ]
        assert ref["status"] == status, name
        assert ref["count"] == 2  # once per JUnit family
        assert ref["file"] == "svc/tests/test_behaviour.py"
    # the xunit1 file carries pytest's 0-based line, reported 1-based
    lines = {c["name"]: c.get("line") for c in facts["failing"] if c["path"] == xunit1}
    assert lines["test_fails"] == start_line(SUITE, "test_fails")
    assert lines["test_errors"] == start_line(SUITE, "test_errors")
    assert lines["test_param[3]"] == start_line(SUITE, "test_param")
    param = facts["by_base_name"]["test_param"]  # all variants, both files: the worst status wins
    assert (param["status"], param["count"]) == ("failed", 6)
    messages = {c["name"]: c["message"] for c in facts["failing"] if c["path"] == xunit1}
    assert messages["test_fails"].startswith("AssertionError: arithmetic is off")
    assert "fixture exploded" in messages["test_errors"]


def test_totals_match_pytest_and_junitparser(pytest_repo: Path) -> None:
    facts = collect(pytest_repo)
    for name in ("junit-xunit1.xml", "junit-xunit2.xml"):
        report = facts["reports"][f"reports/{name}"]
        assert report["producer"] == "pytest"
        assert "declared" not in report
        assert (report["tests"], report["passed"], report["failed"], report["errors"], report["skipped"]) == (
            9, 4, 2, 1, 2,
        )
        xml = JUnitXml.fromfile(str(pytest_repo / "reports" / name))
        xml.update_statistics()
        assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (9, 2, 1, 2)
    suite_ids = [s["id"] for s in facts["suites"] if s["path"] != "reports/junit-e2e.xml"]
    assert all("declared" not in s for s in facts["suites"]), "pytest's own totals agree with the recount"
    assert len(suite_ids) == 2


def test_collection_error_is_a_zero_test_suite(pytest_repo: Path) -> None:
    facts = collect(pytest_repo)
    report = facts["reports"]["reports/junit-e2e.xml"]
    assert (report["tests"], report["errors"], report["collection_errors"]) == (1, 1, 1)
    assert facts["zero_test_suites"] == ["reports/junit-e2e.xml::pytest"]
    assert facts["zero_test_files"] == ["reports/junit-e2e.xml"]
    assert facts["by_path"]["e2e/test_flow.py"]["collection_errors"] == 1
    failing = next(c for c in facts["failing"] if c["collection_error"])
    assert failing["file"] == "e2e/test_flow.py"
    assert "No module named 'module_that_is_not_installed'" in failing["message"]
    assert facts["ran"] is True and facts["all_passed"] is False
