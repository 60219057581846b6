""".NET TRX files (``dotnet test --logger trx``, Visual Studio, ``vstest.console``): the ``TestRun`` document of
the ``http://microsoft.com/schemas/VisualStudio/TeamTest/2010`` namespace (vstst.xsd).

``Results`` holds one ``UnitTestResult`` per result, with ``testId`` pointing at the ``UnitTest`` of
``TestDefinitions`` (its ``storage`` is the test assembly, its ``TestMethod`` the class and method) and an
``outcome`` from vstest's TRX ``TestOutcome`` enumeration. A data-driven result (MSTest ``DataRow``) nests
its rows under ``InnerResults``: the rows are the cases, the parent is not counted again. Outcomes:

* ``Passed``, ``PassedButRunAborted``, ``Completed``, ``Warning`` → passed;
* ``Failed``, ``Timeout`` → failed; ``Error``, ``Aborted``, ``Disconnected`` → error;
* ``NotExecuted`` (vstest writes skipped, ``None`` and ``NotFound`` tests so), ``NotRunnable``,
  ``Inconclusive``, ``Pending``, ``InProgress`` → skipped;
* anything else → error, with the unknown outcome in the message (never a silent pass).

Each assembly (``storage``) is a suite. ``ResultSummary/Counters`` (``total``, ``passed``, ``failed`` + ``timeout``) are
the file's declared totals, compared with the recount like JUnit's.
"""

from __future__ import annotations

import posixpath
import re
from xml.etree.ElementTree import Element

from anops_policy.collectors.results.messages import first_line
from anops_policy.collectors.results.model import Case, ResultFile, ResultFileError, Suite, count, disagreement
from anops_policy.collectors.results.paths import PathMapper, dotnet_class_file, normalise
from anops_policy.collectors.results.safe_xml import local, parse_int

OUTCOMES = {
    "passed": "passed", "passedbutrunaborted": "passed", "completed": "passed", "warning": "passed",
    "failed": "failed", "timeout": "failed",
    "error": "error", "aborted": "error", "disconnected": "error",
    "notexecuted": "skipped", "notrunnable": "skipped", "inconclusive": "skipped", "pending": "skipped",
    "inprogress": "skipped",
}
DURATION = re.compile(r"^(?:(?P<days>\d+)\.)?(?P<h>\d+):(?P<m>\d+):(?P<s>\d+(?:\.\d+)?)$")
RESULT_TAGS = ("UnitTestResult", "TestResult", "TestResultAggregation", "GenericTestResult", "ManualTestResult")


def is_trx_root(root: Element) -> bool:
    return local(root.tag) == "TestRun"


def parse_trx(path: str, root: Element, mapper: PathMapper) -> ResultFile:
    definitions = _definitions(root)
    result = ResultFile(path=path, format="trx", producer="dotnet")
    suites: dict[str, Suite] = {}
    results = _child(root, "Results")
    if results is None and _child(root, "ResultSummary") is None:
        raise ResultFileError("not a TRX test run: <TestRun> has neither <Results> nor <ResultSummary>")
    files: dict[str, str | None] = {}
    for elem in _leaf_results(results):
        test_id = elem.get("testId") or ""
        classname, method, storage = definitions.get(test_id, ("", "", ""))
        suite_name = posixpath.basename(normalise(storage)) if storage else (root.get("name") or "")
        suite = suites.get(suite_name)
        if suite is None:
            suite = suites[suite_name] = Suite(name=suite_name)
        suite.cases.append(_case(elem, classname, method, mapper, files))
    result.suites = list(suites.values())
    result.declared = disagreement(_declared(root), count(c for s in result.suites for c in s.cases))
    return result


def _definitions(root: Element) -> dict[str, tuple[str, str, str]]:
    """testId → (class name without assembly qualification, method name, storage)."""
    out: dict[str, tuple[str, str, str]] = {}
    definitions = _child(root, "TestDefinitions")
    for test in definitions if definitions is not None else ():
        method = _child(test, "TestMethod")
        classname = (method.get("className") or "") if method is not None else ""
        out[test.get("id") or ""] = (
            classname.split(",", 1)[0].strip(),
            (method.get("name") or "") if method is not None else "",
            test.get("storage") or "",
        )
    return out


def _leaf_results(results: Element | None) -> list[Element]:
    """Every result without inner results, in document order (a data-driven parent stands for its rows)."""
    out: list[Element] = []
    stack = list(reversed(list(results))) if results is not None else []
    while stack:
        elem = stack.pop()
        if local(elem.tag) not in RESULT_TAGS:
            continue
        inner = _child(elem, "InnerResults")
        rows = [c for c in inner if local(c.tag) in RESULT_TAGS] if inner is not None else []
        if rows:
            stack.extend(reversed(rows))
        else:
            out.append(elem)
    return out


def _case(elem: Element, classname: str, method: str, mapper: PathMapper, files: dict[str, str | None]) -> Case:
    name = elem.get("testName") or method
    outcome = elem.get("outcome") or ""
    status = OUTCOMES.get(outcome.lower())
    case = Case(name=name, classname=classname, status=status or "error", time=_seconds(elem.get("duration")))
    output = _child(elem, "Output")
    error_info = _child(output, "ErrorInfo") if output is not None else None
    message_elem = _child(error_info, "Message") if error_info is not None else None
    message = first_line(message_elem.text if message_elem is not None else "")
    if status is None:
        case.message = f"unknown TRX outcome '{outcome[:50]}'" + (f": {message}" if message else "")
    elif status != "passed":
        case.message = message or f"TRX outcome '{outcome}'"
    if classname:
        if classname not in files:
            files[classname] = dotnet_class_file(classname, mapper)
        case.file = files[classname]
    return case


def _declared(root: Element) -> dict[str, int]:
    summary = _child(root, "ResultSummary")
    counters = _child(summary, "Counters") if summary is not None else None
    if counters is None:
        return {}
    out: dict[str, int] = {}
    for key, attributes in (("tests", ("total",)), ("passed", ("passed",)), ("failures", ("failed", "timeout"))):
        values = [parse_int(counters.get(a)) for a in attributes]
        if values[0] is not None and values[0] >= 0:
            out[key] = sum(v for v in values if v is not None and v >= 0)
    return out


def _seconds(value: str | None) -> float | None:
    """``hh:mm:ss.fffffff`` (a .NET TimeSpan, ``d.hh:mm:ss`` past a day)."""
    m = DURATION.match((value or "").strip())
    if m is None:
        return None
    return int(m["days"] or 0) * 86400 + int(m["h"]) * 3600 + int(m["m"]) * 60 + float(m["s"])


def _child(elem: Element | None, name: str) -> Element | None:
    if elem is None:
        return None
    return next((c for c in elem if local(c.tag) == name), None)
