"""JUnit-style XML test results, from any of the common producers, into the one result model (``ResultFile``
→ ``Suite`` → ``Case``, in ``model``).

Dialects differ in small ways that matter for facts:

* roots: ``<testsuites>`` (pytest, jest, vitest, nextest, playwright, googletest, bazel, go-junit-report)
  or a bare ``<testsuite>`` (Surefire, Gradle, Ant, rspec, old pytest); phpunit nests suites
  (root → test-suite → class → data provider);
* status: ``<failure>``/``<error>``/``<skipped>`` children, googletest's ``status="notrun"`` for disabled
  tests (no child element), Surefire/nextest ``<flakyFailure>`` (passed on a retry) and ``<rerunFailure>``
  (extra attempts of a failing test, not extra tests);
* pytest writes 0-based ``line`` attributes and reports a module that failed to import as a test case
  with ``<error message="collection failure">``; jest-junit and go-junit-report have similar
  "the suite never ran" pseudo cases. Those count as errors *and* as ``collection_errors``, so a suite
  made only of them is a zero-test suite.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element

from anops_policy.collectors.results.junit_dialects import (
    fix_file,
    fix_suite,
    is_jest_suite_failure,
    jest_suite_failure_message,
)
from anops_policy.collectors.results.messages import MAX_MESSAGE_CHARS, first_line, rust_panic_summary
from anops_policy.collectors.results.model import (
    STATUS_RANK,
    Case,
    ResultFile,
    ResultFileError,
    Suite,
    count,
    disagreement,
)
from anops_policy.collectors.results.paths import PathMapper, dotnet_class_file
from anops_policy.collectors.results.safe_xml import local, parse_float, parse_int

MAX_TYPE_CHARS = 200

# Pseudo test cases that stand for "this file/suite never ran", by producer convention.
PYTEST_COLLECTION_MESSAGE = "collection failure"
GO_BUILD_FAILED_NAMES = ("[build failed]", "[setup failed]")
GENERIC_MESSAGES = frozenset({"failed", "failure", "skipped", "error", "build error"})
GO_RUN_MARKERS = ("=== RUN", "=== PAUSE", "=== CONT", "=== NAME", "--- FAIL:", "--- SKIP:")
SOURCE_EXTENSIONS = (".py", ".java", ".kt", ".scala", ".groovy")


def is_coverage_root(root: Element) -> str | None:
    """A reason to leave the file to the coverage collector, when it is a coverage report."""
    tag = local(root.tag)
    if tag == "coverage" and (root.find("packages") is not None or root.get("line-rate") is not None):
        return "Cobertura coverage report (read by the coverage collector)"
    if tag == "report" and root.find("sessioninfo") is not None:
        return "JaCoCo coverage report (not read)"
    return None


def parse_junit(path: str, root: Element, mapper: PathMapper) -> ResultFile:
    tag = local(root.tag)
    if tag not in ("testsuites", "testsuite"):
        raise ResultFileError(
            f"not JUnit XML: root element <{tag or '?'}> (expected <testsuites> or <testsuite>)"
        )
    producer = detect_producer(root)
    parser = _JUnitReader(producer, mapper)
    result = ResultFile(path=path, format="junit", producer=producer)
    if tag == "testsuite":
        parser.suite(root, result.suites, parent_name="")
    else:
        parser.suites(root, result.suites)
    fix_file(result, root)
    recount = count(c for s in result.suites for c in s.cases)
    result.declared = disagreement(declared_totals(root), recount)
    return result


def detect_producer(root: Element) -> str:
    """Best-effort name of the tool that wrote the file (changes how ``line`` and pseudo cases read)."""
    name = root.get("name") or ""
    first_suite = root if local(root.tag) == "testsuite" else next(
        (c for c in root if local(c.tag) == "testsuite"), None
    )
    suite_name = first_suite.get("name", "") if first_suite is not None else ""
    schema = " ".join(v for k, v in root.attrib.items() if local(k) == "noNamespaceSchemaLocation")
    if name == "pytest tests" or suite_name == "pytest":
        return "pytest"
    if name == "jest tests":
        return "jest"
    if name == "vitest tests":
        return "vitest"
    if name == "nextest-run":
        return "nextest"
    if "surefire" in schema or "failsafe" in schema or _has_property(first_suite, "surefire."):
        return "surefire"
    go_suite = next((s for s in _suites(root) if _has_property(s, "go.version")), None)
    if go_suite is not None:  # go-junit-report numbers its suites (id="0"); gotestsum does not
        return "go-junit-report" if go_suite.get("id") is not None else "gotestsum"
    if first_suite is not None and (first_suite.get("package") or "").lower().endswith((".dll", ".exe")):
        return "dotnet"  # JunitXml.TestLogger (dotnet test --logger junit): one suite per test assembly
    if name == "AllTests" or any(c.get("result") is not None for c in root.iter("testcase")):
        return "googletest"
    if any(c.get("assertions") is not None for c in root.iter("testcase")):
        return "phpunit"
    return "junit"


def _suites(root: Element, limit: int = 50) -> list[Element]:
    if local(root.tag) == "testsuite":
        return [root]
    return [c for c in root if local(c.tag) == "testsuite"][:limit]


def _has_property(suite: Element | None, prefix: str) -> bool:
    properties = next((c for c in suite if local(c.tag) == "properties"), None) if suite is not None else None
    return properties is not None and any((p.get("name") or "").startswith(prefix) for p in properties)


def declared_count(elem: Element, key: str) -> int | None:
    """A count the element states; a negative one (`tests="-1"`) says nothing, so the recount stands."""
    value = parse_int(elem.get(key))
    return value if value is not None and value >= 0 else None


def declared_totals(elem: Element) -> dict[str, int]:
    out: dict[str, int] = {}
    for key in ("tests", "failures", "errors"):
        value = declared_count(elem, key)
        if value is not None:
            out[key] = value
    # googletest and nextest count disabled tests apart; googletest's root has `disabled` but no
    # `skipped`, so skips are only compared where the element states them
    skipped = [declared_count(elem, k) for k in ("skipped", "skip")]
    if any(v is not None for v in skipped):
        out["skipped"] = sum(v for v in skipped if v is not None) + (declared_count(elem, "disabled") or 0)
    return out


class _JUnitReader:
    def __init__(self, producer: str, mapper: PathMapper) -> None:
        self.producer = producer
        self.mapper = mapper
        self._classname_files: dict[str, str | None] = {}

    def suites(self, elem: Element, out: list[Suite]) -> None:
        """The children of a ``<testsuites>``; merge tools sometimes nest ``<testsuites>`` too."""
        loose = [c for c in elem if local(c.tag) == "testcase"]
        if loose:  # cases directly under <testsuites>: keep them in a suite named like the root
            suite = Suite(name=elem.get("name") or "")
            suite.cases = [self.case(c, suite.name) for c in loose]
            out.append(suite)
        for child in elem:
            if local(child.tag) == "testsuite":
                self.suite(child, out, parent_name="")
            elif local(child.tag) == "testsuites":
                self.suites(child, out)

    def suite(self, elem: Element, out: list[Suite], parent_name: str) -> list[Case]:
        """Read one ``<testsuite>`` (recursively); returns every case inside it for its recount."""
        name = elem.get("name") or parent_name
        suite = Suite(name=name, time=parse_float(elem.get("time")))
        children = [c for c in elem if local(c.tag) == "testsuite"]
        index = len(out)
        inside: list[Case] = []
        for child in elem:
            tag = local(child.tag)
            if tag == "testcase":
                case = self.case(child, name, suite_file=elem.get("file"))
                suite.cases.append(case)
                inside.append(case)
            elif tag == "testsuite":
                inside.extend(self.suite(child, out, name))
        dropped = {id(c) for c in fix_suite(self.producer, suite, elem)}
        if dropped:
            inside = [c for c in inside if id(c) not in dropped]
        suite.declared = disagreement(declared_totals(elem), count(inside))
        if suite.cases or not children:
            out.insert(index, suite)
        return inside

    def case(self, elem: Element, suite_name: str, suite_file: str | None = None) -> Case:
        name = elem.get("name") or ""
        classname = elem.get("classname") or elem.get("class") or ""
        status, outcome = "passed", None
        flaky = False
        for child in elem:
            tag = local(child.tag)
            if tag in ("flakyFailure", "flakyError"):
                flaky = True
                continue
            rank = {"error": "error", "failure": "failed", "skipped": "skipped"}.get(tag)
            if rank is not None and STATUS_RANK[rank] > STATUS_RANK[status]:
                status, outcome = rank, child
        notrun = elem.get("status") == "notrun" or elem.get("result") in ("skipped", "suppressed")
        if status == "passed" and notrun:
            status = "skipped"  # googletest: disabled tests carry no child element
        case = Case(name, classname, status, time=parse_float(elem.get("time")), flaky=flaky)
        if outcome is not None:
            case.message = _message(outcome, name)
            case.type = (outcome.get("type") or "")[:MAX_TYPE_CHARS]
        case.collection_error = status == "error" and self._is_collection_error(case, outcome)
        if case.collection_error and outcome is not None and is_jest_suite_failure(case):
            case.message = jest_suite_failure_message(outcome.text) or case.message
        elif case.collection_error and outcome is not None:
            detail = _last_error_line(outcome.text)
            if detail and detail not in case.message:
                case.message = f"{case.message}: {detail}"[:MAX_MESSAGE_CHARS]
        case.file, case.line = self._location(elem, case, suite_name, suite_file)
        return case

    def _is_collection_error(self, case: Case, outcome: Element | None) -> bool:
        message = outcome.get("message") if outcome is not None else None
        if message == PYTEST_COLLECTION_MESSAGE:
            return True
        return is_jest_suite_failure(case) or case.name in GO_BUILD_FAILED_NAMES

    def _location(
        self, elem: Element, case: Case, suite_name: str, suite_file: str | None
    ) -> tuple[str | None, int | None]:
        line = parse_int(elem.get("line"))
        if line is not None and self.producer == "pytest":
            line += 1  # pytest reports the 0-based line of the test function
        if line is not None and line < 1:
            line = None
        raw_file = elem.get("file") or elem.get("filepath") or suite_file
        if raw_file:
            mapped = self.mapper.map(raw_file)
            if mapped is not None:
                return mapped, line
        # No usable file attribute: the class name often is the file (pytest, vitest, playwright) or
        # names it (Java). A pytest module that failed to import is named by the case name.
        hint = case.classname or (case.name if case.collection_error else "") or ""
        mapped = self._file_from_classname(hint) if hint else None
        if mapped is None and self.producer == "dotnet" and case.classname:
            mapped = dotnet_class_file(case.classname, self.mapper)
        if mapped is None and _path_like(suite_name):  # vitest and playwright name suites by spec file
            mapped = self._file_from_classname(suite_name)
        return mapped, line if mapped is not None else None

    def _file_from_classname(self, classname: str) -> str | None:
        if classname in self._classname_files:
            return self._classname_files[classname]
        found: str | None = None
        if _path_like(classname):
            found = self.mapper.map(classname)
        elif re.fullmatch(r"[\w.$-]+", classname):
            parts = classname.split("$", 1)[0].split(".")
            for k in range(len(parts), 0, -1):
                stem = "/".join(parts[:k])
                for ext in SOURCE_EXTENSIONS:
                    found = self.mapper.map(stem + ext)
                    if found is not None:
                        break
                if found is not None:
                    break
        self._classname_files[classname] = found
        return found


def _message(outcome: Element, case_name: str) -> str:
    """The first line of the message attribute; when that is absent or a placeholder (go-junit-report's
    ``Failed``, ``Build error``), the first informative line of the element's text: not a go ``=== RUN``
    marker, not phpunit's repetition of the test id, a bare ``file:line`` (googletest) joined to the
    line after it, a Rust panic header joined to its message."""
    attribute = first_line(outcome.get("message"))
    located = bool(attribute) and LOCATION_ONLY.match(attribute) is not None
    if attribute and attribute.lower() not in GENERIC_MESSAGES and not located:
        return attribute
    source = outcome.get("message") if located else outcome.text
    lines = [
        line.strip() for line in (source or "").splitlines()
        if line.strip() and not line.lstrip().startswith(GO_RUN_MARKERS) and f"::{case_name}" not in line
    ]
    if not lines:
        return attribute
    panic = rust_panic_summary(lines)
    if panic:
        return panic
    if LOCATION_ONLY.match(lines[0]) and len(lines) > 1:
        return f"{lines[0].rstrip(':')}: {lines[1]}"[:MAX_MESSAGE_CHARS]
    return lines[0][:MAX_MESSAGE_CHARS]


LOCATION_ONLY = re.compile(r"^\S+:\d+(?::\d+)?:?$")


def _path_like(name: str) -> bool:
    return bool(name) and " " not in name and (
        "/" in name or "\\" in name or re.search(r"\.([cm]?[jt]sx?|rb|py|go|rs|php)$", name) is not None
    )


def _last_error_line(text: str | None) -> str:
    """The exception line at the end of a Python traceback (``E   ModuleNotFoundError: ...``)."""
    for raw in reversed((text or "").splitlines()):
        line = raw.strip()
        if line:
            return re.sub(r"^E\s+", "", line)[:MAX_MESSAGE_CHARS]
    return ""
