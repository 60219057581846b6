"""What a matched file is, when it is not a format the ``tests`` collector reads: test results in a format it
does not read (named, so the report says which file and which format went unread, never ignored), or a file
that is not a test result at all (left to the coverage collector, or plain noise).

Recognised but not read (``UNSUPPORTED``): NUnit 3 and NUnit 2 XML, xUnit.net XML, TestNG XML, CTest XML,
TAP, ``go test -v`` text, and the JSON reports of Mocha, jest/vitest (``--json``), Playwright, CTRF,
pytest-json-report and Cucumber.
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree.ElementTree import Element

from anops_policy.collectors.results.gotest import looks_like_go_test_verbose
from anops_policy.collectors.results.safe_xml import local

UNSUPPORTED = {
    "nunit3-xml": "NUnit 3 XML (<test-run>)",
    "nunit2-xml": "NUnit 2 XML (<test-results>)",
    "xunit-xml": "xUnit.net XML (<assemblies>)",
    "testng-xml": "TestNG XML (<testng-results>)",
    "ctest-xml": "CTest XML (<Site><Testing>)",
    "tap": "TAP (Test Anything Protocol)",
    "go-test-verbose": "go test -v text output",
    "mocha-json": "Mocha JSON report",
    "jest-json": "jest/vitest JSON report (--json)",
    "playwright-json": "Playwright JSON report",
    "ctrf-json": "CTRF JSON report",
    "pytest-json-report": "pytest-json-report JSON",
    "cucumber-json": "Cucumber JSON report",
}
ADVICE = "not read by the tests collector: also write JUnit XML (or go test -json / TRX) where collect.results finds it"
TAP_LINE = re.compile(r"^(not )?ok\b", re.M)
MAX_JSON_SNIFF_BYTES = 4 * 1024 * 1024  # larger JSON files are named by their first bytes only


def unsupported_xml(root: Element) -> str | None:
    """The id of a known test-result XML format this collector does not read, from its root."""
    tag = local(root.tag)
    if tag == "test-run" and (root.get("testcasecount") is not None or root.find("test-suite") is not None):
        return "nunit3-xml"
    if tag == "test-results" and root.find("test-suite") is not None:
        return "nunit2-xml"
    if tag in ("assemblies", "assembly") and (root.find("assembly") is not None or root.find("collection") is not None):
        return "xunit-xml"
    if tag == "testng-results":
        return "testng-xml"
    if tag == "Site" and root.find("Testing") is not None:
        return "ctest-xml"
    return None


def unsupported_text(text: str) -> str | None:
    """The id of a known test-result text or JSON format this collector does not read."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("{", "[")):
        return _json_format(stripped)
    head = stripped[:200_000]
    if re.match(r"TAP version \d+", head) or (re.search(r"^1\.\.\d+\s*$", head, re.M) and TAP_LINE.search(head)):
        return "tap"
    if looks_like_go_test_verbose(head):
        return "go-test-verbose"
    return None


def _json_format(text: str) -> str | None:
    if len(text) > MAX_JSON_SNIFF_BYTES:
        return _json_format_by_keys(text[:4096])
    try:
        data: Any = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if isinstance(data, list):
        first = data[0] if data else None
        if isinstance(first, dict) and "elements" in first and "keyword" in first:
            return "cucumber-json"
        return None
    if not isinstance(data, dict):
        return None
    results = data.get("results")
    if isinstance(results, dict) and "tool" in results and "tests" in results:
        return "ctrf-json"
    if "numTotalTests" in data and "testResults" in data:
        return "jest-json"
    stats = data.get("stats")
    if isinstance(stats, dict) and "passes" in stats and ("tests" in data or "failures" in data):
        return "mocha-json"
    if isinstance(stats, dict) and "expected" in stats and "unexpected" in stats and "suites" in data:
        return "playwright-json"
    if "summary" in data and "tests" in data and "created" in data:
        return "pytest-json-report"
    return None


def _json_format_by_keys(head: str) -> str | None:
    keys = (('"numTotalTests"', "jest-json"), ('"passes"', "mocha-json"), ('"unexpected"', "playwright-json"))
    for key, format_id in keys:
        if key in head:
            return format_id
    if '"results"' in head and '"tool"' in head:
        return "ctrf-json"
    return None


def not_results(text: str, lower_path: str) -> str | None:
    """Why a text file is not test results, when it is something known."""
    if re.search(r"^SF:", text, re.M) and "end_of_record" in text:
        return "lcov coverage report (read by the coverage collector)"
    if text.lstrip().startswith("{") and '"files"' in text[:4096] and '"meta"' in text:
        return "coverage.py JSON report (read by the coverage collector)"
    if lower_path.endswith(".txt") and re.match(r"-+\r?\nTest set: ", text.lstrip("\ufeff")):
        return "Maven Surefire text summary (its TEST-*.xml is the result file)"
    return None
