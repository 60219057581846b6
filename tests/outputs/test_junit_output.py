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
    suites = [s for s in xml if s.name != "anops-policy notes"]
    notes = [p.value for s in xml if s.name == "anops-policy notes" for p in s.properties()]
    assert notes == report["notes"]
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


def test_control_characters_and_markup_do_not_break_the_xml(example: Path, run_cli: Any, ci_pack: Path) -> None:
    """A message with an escape character (not allowed in XML 1.0), markup and quotes stays well-formed;
    advisory failures are failures that say they do not block."""
    out = example.parent / "out"
    run = run_cli(".", "--now", NOW, "--policies", str(ci_pack), f"--output=junit={out / 'r.xml'}",
                  f"--output=json={out / 'r.json'}", cwd=example)
    assert run.exit_code == 1
    report = json.loads((out / "r.json").read_text())
    assert any("\x1b" in d["message"] for d in report["decisions"])
    xml = (out / "r.xml").read_text()
    assert "\x1b" not in xml
    _check(out / "r.xml", _without_escape(report))
    cases = [case for suite in JUnitXml.fromfile(str(out / "r.xml")) for case in suite]
    hostile = [r for case in cases if case.classname == "hostile-text" for r in case.result]
    assert hostile and all(r.message.startswith("<script>") and r.message.endswith("(advisory)") for r in hostile)
    assert any(isinstance(r, Error) for case in cases if case.classname == "broken-lookup" for r in case.result)


def _without_escape(report: dict[str, Any]) -> dict[str, Any]:
    for decision in report["decisions"]:
        decision["message"] = decision["message"].replace("\x1b", "\ufffd")
    return report
