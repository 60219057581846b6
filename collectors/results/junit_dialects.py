"""Where a JUnit producer's real output says less (or more) than its test cases, checked against each
producer's own output:

* **jest-junit** (17, with jest 30): a ``test.todo`` is written as a ``<testcase>`` with no child, as if it
  had passed, and left out of the suite's ``tests``/``skipped`` attributes. When exactly as many childless,
  zero-time cases as the suite's missing count exist, they are the todos and count as skipped (jest's own
  summary does; its extra case for a failing ``beforeAll``/``afterAll`` hook is not one of them). With
  ``reportTestSuiteErrors``, a test file that failed to run is a case with
  ``classname="Test suite failed to run"`` and an ``<error>``, followed by a second ``<failure>`` case for the
  same file (the suite's ``testExecError``): one collection error, the duplicate is not counted again. jest-junit's
  default leaves such a file out entirely, which no reader can see: turn ``reportTestSuiteErrors`` on.
* **vitest** (3): a test file that failed to load is one case named like its suite (the file path) with a
  ``<failure>``: a collection error (status error), like jest-junit's.
* **gotestsum** (1.8, with Go < 1.24): a package that did not build is not in the file at all; only the
  root's ``errors`` attribute counts its compile-error lines. When the root declares more errors than its
  cases hold, one ``[build failed]`` collection error stands for them, so the build failure is never a
  silent zero.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from anops_policy.collectors.results.messages import MAX_MESSAGE_CHARS
from anops_policy.collectors.results.model import Case, ResultFile, Suite, count
from anops_policy.collectors.results.safe_xml import local, parse_int

JEST_SUITE_FAILED = "Test suite failed to run"
JEST_HOOK_FAILURE = "Test execution failure"  # jest-junit's extra case for a failing beforeAll/afterAll
JEST_TODO_MESSAGE = "todo (jest-junit writes it as a case without <skipped/>)"


def is_jest_suite_failure(case: Case) -> bool:
    return JEST_SUITE_FAILED in (case.name, case.classname)


def jest_suite_failure_message(text: str | None) -> str:
    """``● Test suite failed to run`` is followed by what stopped the file (``Cannot find module …``)."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    for index, line in enumerate(lines):
        if JEST_SUITE_FAILED in line:
            following = lines[index + 1:index + 2]
            return f"{JEST_SUITE_FAILED}: {following[0]}"[:MAX_MESSAGE_CHARS] if following else ""
    return ""


def fix_suite(producer: str, suite: Suite, elem: Element) -> list[Case]:
    """Adjust the cases read directly from one ``<testsuite>`` for the producer's quirks; returns the cases
    that were dropped as duplicates (not counted anywhere)."""
    if producer == "jest":
        dropped = _jest_duplicate_suite_failures(suite)
        _jest_todos(suite, elem)
        return dropped
    if producer == "vitest":
        _vitest_file_failures(suite)
    return []


def _jest_duplicate_suite_failures(suite: Suite) -> list[Case]:
    seen: set[tuple[str, str]] = set()
    kept: list[Case] = []
    dropped: list[Case] = []
    for case in suite.cases:
        key = (case.classname, case.name)
        if is_jest_suite_failure(case) and case.status in ("error", "failed"):
            if key in seen:
                dropped.append(case)
                continue
            seen.add(key)
            case.status, case.collection_error = "error", True
        kept.append(case)
    suite.cases = kept
    return dropped


def _jest_todos(suite: Suite, elem: Element) -> None:
    declared = parse_int(elem.get("tests"))
    if declared is None or declared < 0:
        return
    real = [c for c in suite.cases if not c.collection_error and not _is_hook_failure(c.name, c.classname)]
    missing = len(real) - declared
    if missing <= 0:
        return
    childless = {id(c) for c, e in zip(real, _case_elements(elem), strict=False) if not _has_child(e)}
    candidates = [c for c in real if c.status == "passed" and c.time == 0 and id(c) in childless]
    if len(candidates) == missing:
        for case in candidates:
            case.status, case.message = "skipped", JEST_TODO_MESSAGE


def _case_elements(elem: Element) -> list[Element]:
    """The ``<testcase>`` children except the suite-failure pseudo cases (kept in step with ``real``)."""
    out = []
    for child in elem:
        if local(child.tag) != "testcase":
            continue
        name, classname = child.get("name") or "", child.get("classname") or ""
        if JEST_SUITE_FAILED in (name, classname) or _is_hook_failure(name, classname):
            continue
        out.append(child)
    return out


def _is_hook_failure(name: str, classname: str) -> bool:
    return JEST_HOOK_FAILURE in name or JEST_HOOK_FAILURE in classname


def _has_child(elem: Element) -> bool:
    return any(isinstance(c.tag, str) for c in elem)


def _vitest_file_failures(suite: Suite) -> None:
    for case in suite.cases:
        if case.status == "failed" and case.name == suite.name and case.classname == suite.name:
            case.status, case.collection_error = "error", True


def fix_file(result: ResultFile, root: Element) -> None:
    if result.producer != "gotestsum" or local(root.tag) != "testsuites":
        return
    declared = parse_int(root.get("errors"))
    recount = count(c for s in result.suites for c in s.cases)
    if declared is None or declared <= recount["errors"]:
        return
    missing = declared - recount["errors"]
    message = (
        f"gotestsum counted {missing} build error line(s) that no test case records: "
        "a package did not build and is missing from this file"
    )
    suite = Suite(name="[build failed]")
    suite.cases.append(Case("[build failed]", "", "error", message=message, collection_error=True))
    result.suites.append(suite)
    result.build_failed = True
