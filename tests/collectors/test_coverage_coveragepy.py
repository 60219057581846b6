"""Real coverage.py output: a small package and its tests are written to a temp repository, measured with
``coverage run --branch -m pytest`` and reported as Cobertura XML, JSON and lcov. Per file and in total,
the collector's line counts must equal coverage.py's own JSON summary (``covered_lines``,
``num_statements``); the three reports of one run merge to the same numbers; and moving the paths to
another machine's checkout (what CI uploads) or running from a sub-project changes nothing."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import RepoConfig
from anops_policy.pipeline.collect import collect_facts

pytest.importorskip("coverage", reason="coverage.py is a test dependency: pip install coverage")

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CI_CHECKOUT = "/home/runner/work/shop/shop"

PACKAGE = {
    "svc/pkg/__init__.py": "",
    "svc/pkg/calc.py": '''\
def add(a, b):
    return a + b


def divide(a, b):
    if b == 0:
        raise ZeroDivisionError("b is zero")
    return a / b


def unused():
    total = 0
    for i in range(3):
        total += i
    return total
''',
    "svc/pkg/text.py": '''\
def shout(text):
    return text.upper() + "!"


def whisper(text):
    return text.lower()
''',
    "svc/tests/test_pkg.py": '''\
from pkg.calc import add, divide
from pkg.text import shout


def test_add():
    assert add(1, 2) == 3


def test_divide():
    assert divide(4, 2) == 2


def test_shout():
    assert shout("hi") == "HI!"
''',
}


def run(cwd: Path, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "coverage", *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def collect(repo: Path, results: list[str]) -> dict[str, Any]:
    config = RepoConfig(raw={"collect": {"results": results}})
    document = collect_facts(repo, config, now=NOW, only=["coverage"], use_git=False)
    assert document["meta"]["collectors"]["coverage"]["status"] == "ok", document["meta"]["collectors"]
    section: dict[str, Any] = document["coverage"]
    return section


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("covrepo")
    for rel, text in PACKAGE.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    svc = repo / "svc"
    (svc / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    # measured from the sub-project, as a service's own CI job does; reports land in the repository root
    run(svc, "run", "--branch", "--source=pkg", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")
    run(svc, "xml", "-o", "../reports/coverage.xml")
    run(svc, "json", "-o", "../reports/coverage.json")
    run(svc, "lcov", "-o", "../reports/lcov.info")
    return repo


def coveragepy_summary(repo: Path) -> dict[str, tuple[int, int]]:
    """coverage.py's own per-file figures: repository path -> (num_statements, covered_lines)."""
    data = json.loads((repo / "reports" / "coverage.json").read_text())
    return {
        f"svc/{name}" if not name.startswith("svc/") else name: (
            entry["summary"]["num_statements"], entry["summary"]["covered_lines"],
        )
        for name, entry in data["files"].items()
    }


def test_each_format_matches_coveragepy(measured: Path) -> None:
    expected = coveragepy_summary(measured)
    assert set(expected) == {"svc/pkg/__init__.py", "svc/pkg/calc.py", "svc/pkg/text.py"}
    totals = json.loads((measured / "reports" / "coverage.json").read_text())["totals"]
    for report in ("reports/coverage.xml", "reports/coverage.json", "reports/lcov.info"):
        facts = collect(measured, [report])
        assert facts["files"] == 1 and facts["errors"] == [] and facts["unmapped_count"] == 0, report
        got = {path: (e["lines_valid"], e["lines_covered"]) for path, e in facts["by_path"].items()}
        if report.endswith("lcov.info"):  # coverage.py's lcov omits files without statements
            got.setdefault("svc/pkg/__init__.py", (0, 0))
        assert got == expected, report
        assert (facts["totals"]["lines_valid"], facts["totals"]["lines_covered"]) == (
            totals["num_statements"], totals["covered_lines"],
        ), report
        assert facts["totals"]["line_rate"] == round(totals["covered_lines"] / totals["num_statements"], 6)
        entry = facts["reports"][report]
        assert abs(entry["declared_line_rate"] - entry["line_rate"]) < 1e-4, "the report's own rate agrees"
        assert facts["by_path"]["svc/pkg/__init__.py"]["line_rate"] == 1.0 or report.endswith("lcov.info")


def test_the_three_reports_merge_to_the_same_numbers(measured: Path) -> None:
    alone = collect(measured, ["reports/coverage.json"])
    merged = collect(measured, ["reports/**"])
    assert merged["files"] == 3
    assert merged["totals"] == alone["totals"]
    assert {p: e["line_rate"] for p, e in merged["by_path"].items()} == {
        p: e["line_rate"] for p, e in alone["by_path"].items()
    }
    assert merged["by_dir"]["svc/pkg"] == {**merged["totals"]}
    assert merged["by_path"]["svc/pkg/calc.py"]["reports"] == [
        "reports/coverage.json", "reports/coverage.xml", "reports/lcov.info",
    ]


def test_paths_from_another_machine_map_the_same(measured: Path, tmp_path: Path) -> None:
    """CI uploads reports whose absolute paths name the runner's checkout, not this directory."""
    moved = tmp_path / "moved"
    for rel, text in PACKAGE.items():
        (moved / rel).parent.mkdir(parents=True, exist_ok=True)
        (moved / rel).write_text(text)
    (moved / "reports").mkdir()
    here = str(measured)
    for name in ("coverage.xml", "coverage.json", "lcov.info"):
        report = (measured / "reports" / name).read_text()
        (moved / "reports" / name).write_text(report.replace(here, CI_CHECKOUT))
    xml = (moved / "reports" / "coverage.xml").read_text()
    assert re.search(rf"<source>{re.escape(CI_CHECKOUT)}/svc</source>", xml)  # measured in the sub-project
    before = collect(measured, ["reports/**"])
    after = collect(moved, ["reports/**"])
    assert after["by_path"] == before["by_path"]
    assert after["totals"] == before["totals"]
    assert after["unmapped_count"] == 0
