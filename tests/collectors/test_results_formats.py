"""The result formats beyond JUnit, file by file: every ``go test -json`` stream and every TRX file in the
``tests`` case folders is read with totals equal to an independent count (``results_counts``: plain ``json``
and ``xml.etree``); every other case file is read, an error entry or ignored, never silently skipped;
format sniffing is checked on small inputs; and hostile inputs in the new formats are error entries naming
the file and the line, never a traceback."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from anops_policy.collectors.results.gotest import looks_like_go_test_json
from anops_policy.collectors.results.sniff import unsupported_text
from results_counts import count_go_events, count_trx

from anops_policy.config import RepoConfig
from anops_policy.pipeline.collect import collect_facts

HERE = Path(__file__).parent
CASES = HERE / "tests" / "cases"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
KEYS = ("tests", "passed", "failed", "skipped", "errors")


def expected(case: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CASES / case / "expected.json").read_text())
    return data


def files_of(case: str, pattern: str) -> list[tuple[str, str]]:
    repo = CASES / case / "repo"
    return [(case, p.relative_to(repo).as_posix()) for p in sorted(repo.rglob(pattern))]


READ_FILES = [
    *[("go", c, p) for c, p in files_of("go-test-json", "*.json")],
    *[("trx", c, p) for c, p in files_of("trx", "*.trx")],
]


@pytest.mark.parametrize(("kind", "case", "path"), READ_FILES, ids=[p for _, _, p in READ_FILES])
def test_totals_equal_an_independent_count(kind: str, case: str, path: str) -> None:
    section = expected(case)
    errors = {e["path"] for e in section["errors"]}
    if path in errors:
        return  # a deliberately broken file: checked by the case's golden file
    report = section["reports"][path]
    file = CASES / case / "repo" / path
    theirs = count_go_events(file.read_text()) if kind == "go" else count_trx(file)
    assert {k: report[k] for k in KEYS} == theirs


@pytest.mark.parametrize("case", ["go-test-json", "trx", "junit-surefire-dotnet", "unsupported-formats"])
def test_every_case_file_is_read_or_named(case: str) -> None:
    section = expected(case)
    named = set(section["reports"]) | {e["path"] for e in section["errors"]} | {e["path"] for e in section["ignored"]}
    repo = CASES / case / "repo"
    for file in repo.rglob("*"):
        if file.is_file() and file.suffix in (".json", ".xml", ".trx", ".tap", ".txt"):
            assert file.relative_to(repo).as_posix() in named, file


def test_unsupported_formats_are_named_not_ignored() -> None:
    formats = {e["path"]: e.get("format") for e in expected("unsupported-formats")["errors"]}
    assert set(formats.values()) == {
        "nunit3-xml", "xunit-xml", "testng-xml", "ctest-xml", "tap", "go-test-verbose", "mocha-json", "jest-json",
        "playwright-json", "ctrf-json", "pytest-json-report", "cucumber-json",
    }


GO_EVENT = '{"Time":"2026-11-26T07:00:00Z","Action":"pass","Package":"example.com/x","Test":"TestX","Elapsed":0}'
SNIFF_CASES = [
    (GO_EVENT + "\n", "go-json"),
    ('{"ImportPath":"m/x [m/x.test]","Action":"build-fail"}\n', "go-json"),
    ("FAIL\texample.com/x [build failed]\n", "go-json"),
    ("=== RUN   TestX\n--- FAIL: TestX (0.00s)\nFAIL\texample.com/x [build failed]\nFAIL\n", "go-test-verbose"),
    ('{ "type": "test", "event": "ok", "name": "adds" }\n', None),  # libtest JSON, read by the cargo reader
    ("TAP version 14\nok 1 - a\n", "tap"),
    ("1..2\nok 1 - a\nnot ok 2 - b\n", "tap"),
    ('{"stats": {"passes": 1, "tests": 1}, "tests": []}', "mocha-json"),
    ('{"results": {"tool": {"name": "x"}, "summary": {}, "tests": []}}', "ctrf-json"),
    ('{"numTotalTests": 1, "testResults": []}', "jest-json"),
    ('{"name": "shop", "version": "1.0.0"}', None),
    ("[1, 2, 3]", None),
    ("plain words\n", None),
    ('{"Action": ' * 5, None),
]


@pytest.mark.parametrize(("text", "want"), SNIFF_CASES, ids=[w or "nothing" for _, w in SNIFF_CASES])
def test_sniffing(text: str, want: str | None) -> None:
    got = "go-json" if looks_like_go_test_json(text) else unsupported_text(text)
    assert got == want


def collect(root: Path) -> dict[str, Any]:
    document = collect_facts(root, RepoConfig(), now=NOW, only=["tests"], use_git=False)
    assert document["meta"]["collectors"]["tests"]["status"] == "ok", document["meta"]["collectors"]["tests"]
    section: dict[str, Any] = document["tests"]
    return section


def reasons(section: dict[str, Any]) -> dict[str, str]:
    return {e["path"]: e["reason"] for e in section["errors"]}


def test_hostile_go_streams_are_error_entries(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    deep = '{"Action":"output","Output":' + "[" * 100_000 + "]" * 100_000 + "}"
    (reports / "go-test-deep.json").write_text(GO_EVENT + "\n" + deep + "\n")
    (reports / "go-test-array.json").write_text(GO_EVENT + '\n{"Action":"run"} trailing\n')
    (reports / "go-test-action.json").write_text(GO_EVENT + '\n{"Action":7,"Package":"x"}\n')
    (reports / "go-test-null.json").write_text(GO_EVENT.replace('"TestX"', "null") + "\n" + GO_EVENT + "\n")
    section = collect(tmp_path)
    got = reasons(section)
    assert got["reports/go-test-deep.json"] == "line 2: JSON nested too deeply"
    assert got["reports/go-test-array.json"].startswith("line 2: malformed JSON event")
    assert got["reports/go-test-action.json"] == 'line 2: "Action" must be a string, not int'
    # a null Test is a package-level event: the file is read, with the one real test
    assert section["reports"]["reports/go-test-null.json"]["tests"] == 1


def test_a_huge_go_stream_is_read_in_bounded_time(tmp_path: Path) -> None:
    """40,000 events (3 MB) are read in about a second (the fact section's own size limit, 8 MiB, stops
    much larger runs at the section, by design)."""
    reports = tmp_path / "reports"
    reports.mkdir()
    lines = []
    for i in range(10_000):
        event = f'"Package":"example.com/big","Test":"TestCase{i}"'
        lines.append(f'{{"Action":"run",{event}}}')
        lines.append(f'{{"Action":"output",{event},"Output":"=== RUN   TestCase{i}\\n"}}')
        lines.append(f'{{"Action":"output",{event},"Output":"--- PASS: TestCase{i}\\n"}}')
        lines.append(f'{{"Action":"pass",{event},"Elapsed":0}}')
    (reports / "go-test-big.json").write_text("\n".join(lines) + "\n")
    section = collect(tmp_path)
    assert section["reports"]["reports/go-test-big.json"]["passed"] == 10_000


def test_trx_refuses_entities_and_reports_unknown_roots(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "bomb.trx").write_text(
        '<?xml version="1.0"?><!DOCTYPE TestRun [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        '<TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010" name="&b;"/>'
    )
    (reports / "empty.trx").write_text('<TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010"/>')
    got = reasons(collect(tmp_path))
    assert "refused, nothing expanded" in got["reports/bomb.trx"]
    assert got["reports/empty.trx"] == "not a TRX test run: <TestRun> has neither <Results> nor <ResultSummary>"


JEST_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="2" failures="0" errors="0" time="0.2">
  <testsuite name="cart" errors="0" failures="0" skipped="0" timestamp="2026-11-26T07:00:00" time="0.1" tests="2">
    <testcase classname="cart adds" name="cart adds" time="0.004"></testcase>
    <testcase classname="cart counts" name="cart counts" time="{fast}"></testcase>
    <testcase classname="cart prices" name="cart prices" time="0"></testcase>
    <testcase classname=" Test execution failure: could be caused by test hooks like 'afterAll'."
              name=" Test execution failure: could be caused by test hooks like 'afterAll'." time="0">
      <failure>{{"message":"db not closed"}}</failure>
    </testcase>
  </testsuite>
</testsuites>
"""


@pytest.mark.parametrize(("fast", "todo_status"), [("0.002", "skipped"), ("0", "passed")])
def test_jest_todos_only_when_unambiguous(tmp_path: Path, fast: str, todo_status: str) -> None:
    """jest-junit writes ``test.todo`` like a pass and leaves it out of ``tests``: the childless zero-time
    case is the todo only when it is the only candidate (a passing test that took 0 ms makes it ambiguous,
    and then the file's own word stands); jest-junit's hook-failure case is never taken for a todo."""
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "junit.xml").write_text(JEST_TEMPLATE.format(fast=fast))
    section = collect(tmp_path)
    assert section["by_name"]["cart prices"]["status"] == todo_status
    assert section["by_name"]["cart counts"]["status"] == "passed"
    report = section["reports"]["reports/junit.xml"]
    assert (report["tests"], report["failed"]) == (4, 1)
