"""JUnit XML read back by an independent reader (junitparser): suites per checklist section, one case per
decision, and failure/error/skipped counts equal to the decisions' outcomes."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from junitparser import Error, Failure, JUnitXml, Skipped

GOLDEN = Path(__file__).resolve().parent / "golden"
NOW = "2026-11-26T12:00:00Z"


def _check(xml_path: Path, report: dict[str, Any]) -> None:
    xml = JUnitXml.fromfile(str(xml_path))
    suites = list(xml)
    sections = list(dict.fromkeys(item["section"] for item in report["items"]))
    assert [s.name for s in suites] == sections
    outcomes = Counter(d["outcome"] for d in report["decisions"])
    cases = [case for suite in suites for case in suite]
    assert len(cases) == len(report["decisions"])
    kinds = Counter(type(r).__name__ for case in cases for r in case.result)
    assert kinds["Failure"] == outcomes["fail"]
    assert kinds["Error"] == outcomes["error"]
    assert kinds["Skipped"] == outcomes["not_applicable"]
    # the declared totals agree with the cases (GitLab and Jenkins read either)
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (
        len(cases), outcomes["fail"], outcomes["error"], outcomes["not_applicable"])
    for suite in suites:
        assert suite.tests == len(list(suite))
    by_key = {(d["policy"], d["message"]) for d in report["decisions"]}
    for case in cases:
        for result in case.result:
            if isinstance(result, (Failure, Error)):
                assert result.message and result.text
                assert any(case.classname == policy and result.message.startswith(msg) for policy, msg in by_key)
            elif isinstance(result, Skipped):
                assert result.message


def test_golden_junit_parses_and_counts_match() -> None:
    _check(GOLDEN / "junit.xml", json.loads((GOLDEN / "json.json").read_text(encoding="utf-8")))


def test_live_junit_counts_match(example: Path, run_cli: Any) -> None:
    out = example.parent / "out"
    run = run_cli(".", "--now", NOW, f"--output=junit={out / 'r.xml'}", f"--output=json={out / 'r.json'}",
                  cwd=example)
    assert run.exit_code == 1
    report = json.loads((out / "r.json").read_text())
    assert any(d["outcome"] == "fail" for d in report["decisions"])
    _check(out / "r.xml", report)


def test_control_characters_do_not_break_the_xml(example: Path, run_cli: Any) -> None:
    """A TODO text quoting a control character still yields well-formed XML."""
    build = example / "ao-cli" / "src" / "build.rs"
    build.write_text(build.read_text() + "\n// TODO: strip \x1b[31m colour codes\n")
    out = example.parent / "out"
    run = run_cli(".", "--now", NOW, f"--output=junit={out / 'r.xml'}", f"--output=json={out / 'r.json'}",
                  cwd=example)
    assert run.exit_code == 1
    _check(out / "r.xml", json.loads((out / "r.json").read_text()))
