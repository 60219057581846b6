"""JUnit-style XML test results, from any of the common producers, into one model (``ResultFile`` →
``Suite`` → ``Case``); plus the two pieces the ``tests`` and ``coverage`` collectors share: safe XML
parsing and mapping the paths a tool wrote (absolute CI paths, paths relative to a sub-project) onto
repository paths.

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

import math
import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from anops_policy.collection.collector import CollectContext
from anops_policy.errors import CollectorFailed, NotConfigured

MAX_MESSAGE_CHARS = 500
MAX_TYPE_CHARS = 200
COUNT_KEYS = ("tests", "passed", "failed", "errors", "skipped", "collection_errors", "flaky")
STATUS_COUNT_KEY = {"passed": "passed", "failed": "failed", "error": "errors", "skipped": "skipped"}
# declared attribute -> recount key
DECLARED_KEY = {
    "tests": "tests", "failures": "failed", "errors": "errors", "skipped": "skipped", "passed": "passed"
}
STATUS_RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}  # worst wins when one must be chosen

# Pseudo test cases that stand for "this file/suite never ran", by producer convention.
PYTEST_COLLECTION_MESSAGE = "collection failure"
JEST_SUITE_FAILED_NAME = "Test suite failed to run"
GO_BUILD_FAILED_NAMES = ("[build failed]", "[setup failed]")
GENERIC_MESSAGES = frozenset({"failed", "failure", "skipped", "error", "build error"})
GO_RUN_MARKERS = ("=== RUN", "=== PAUSE", "=== CONT", "=== NAME", "--- FAIL:", "--- SKIP:")
SOURCE_EXTENSIONS = (".py", ".java", ".kt", ".scala", ".groovy")


class ResultFileError(Exception):
    """A result file that cannot be read as what it claims to be (the message is the reason)."""


# ---- safe XML ---------------------------------------------------------------------------------------
def parse_xml(data: bytes) -> Element:
    """Parse untrusted XML: no entity declarations (billion laughs), no external entities or DTD
    fetches. A DOCTYPE without entities (old Cobertura, JaCoCo) is allowed."""
    try:
        root: Element = SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        name = getattr(exc, "name", None) or getattr(exc, "value", None) or "?"
        raise ResultFileError(
            f"XML declares entity '{name}' ({type(exc).__name__}): refused, nothing expanded or fetched"
        ) from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        reason = _strip_position(str(exc))
        raise ResultFileError(f"malformed XML at line {line}, column {column}: {reason}") from None
    except (ValueError, LookupError, RecursionError) as exc:  # an unknown encoding declaration is a LookupError
        raise ResultFileError(f"unreadable XML: {exc}") from None
    return root


def _strip_position(message: str) -> str:
    return re.sub(r":? line \d+, column \d+$", "", message)


def local(tag: Any) -> str:
    """Tag without its ``{namespace}``; comments and processing instructions have no string tag."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def first_line(text: str | None, limit: int = MAX_MESSAGE_CHARS) -> str:
    for raw in (text or "").splitlines():
        line = raw.strip()
        if line:
            return line[:limit]
    return ""


def parse_float(value: str | None) -> float | None:
    """``time`` attributes: plain floats, but old Surefire wrote locale thousands separators (1,234.5)."""
    if value is None:
        return None
    try:
        out = float(value.replace(",", "").strip())
    except ValueError:
        return None
    return out if math.isfinite(out) else None


def parse_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        number = parse_float(value)
        return int(number) if number is not None and number.is_integer() else None


# ---- paths ------------------------------------------------------------------------------------------
class PathMapper:
    """Map a path written by a test or coverage tool onto a repository path (one of ``files``).

    Tools write paths relative to where they ran (a sub-project), or absolute paths on the CI machine
    (``/home/runner/work/app/app/svc/x.py``). A path maps when, after joining it to each candidate base
    directory, it is a repository file, lies under the evaluated root, or shares a whole-component
    suffix with exactly one repository file (the path ends with the file, or the file ends with the
    path), longer than any other such match. Ambiguous or foreign paths (site-packages, the Rust
    standard library) map to None.
    """

    def __init__(self, files: Iterable[str], root: Path) -> None:
        self.files = set(files)
        self.root = root.as_posix().rstrip("/")
        self._by_base: dict[str, list[str]] = defaultdict(list)
        for path in self.files:
            self._by_base[path.rsplit("/", 1)[-1]].append(path)
        self._cache: dict[tuple[str, tuple[str, ...]], str | None] = {}

    def map(self, raw: str, bases: Sequence[str] = ()) -> str | None:
        key = (raw, tuple(bases))
        if key not in self._cache:
            self._cache[key] = self._map(raw, bases)
        return self._cache[key]

    def exists(self, path: str) -> bool:
        return path in self.files

    def _map(self, raw: str, bases: Sequence[str]) -> str | None:
        path = normalise(raw)
        if not path:
            return None
        candidates = [] if is_absolute(path) else [normalise(f"{b}/{path}") for b in bases if b]
        candidates.append(path)
        for cand in candidates:
            rel = self._relative(cand)
            if rel is not None and rel in self.files:
                return rel
        for cand in candidates:
            found = self._by_suffix(cand)
            if found is not None:
                return found
        return None

    def _relative(self, path: str) -> str | None:
        if not is_absolute(path):
            return path
        lead = self.root + "/"
        return path[len(lead):] if path.startswith(lead) else None

    def _by_suffix(self, path: str) -> str | None:
        """The repository file that ends with ``path`` (a path relative to a sub-project or source root)
        or that ``path`` ends with (an absolute path from another machine); the longest such match
        wins, and a tie is ambiguous."""
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if not parts:
            return None
        best: list[str] = []
        best_len = 0
        for option in self._by_base.get(parts[-1], ()):
            option_parts = option.split("/")
            shared = _common_suffix(parts, option_parts)
            if shared not in (len(parts), len(option_parts)):
                continue
            if shared > best_len:
                best, best_len = [option], shared
            elif shared == best_len:
                best.append(option)
        return best[0] if len(best) == 1 else None


def _common_suffix(a: list[str], b: list[str]) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def normalise(raw: str) -> str:
    path = raw.strip().replace("\\", "/")
    if path.startswith("file://"):
        path = path[len("file://"):]
    absolute = is_absolute(path)
    path = posixpath.normpath(path) if path else ""
    if path == ".":
        return ""
    while path.startswith("./"):
        path = path[2:]
    if not absolute:
        path = path.lstrip("/")
    return path


def is_absolute(path: str) -> bool:
    return path.startswith("/") or bool(re.match(r"^[A-Za-z]:/", path))


# ---- model ------------------------------------------------------------------------------------------
@dataclass
class Case:
    name: str
    classname: str
    status: str  # passed | failed | error | skipped
    time: float | None = None
    file: str | None = None  # repository path of the test's source, when known
    line: int | None = None
    message: str = ""
    type: str = ""
    collection_error: bool = False
    flaky: bool = False


@dataclass
class Suite:
    name: str
    cases: list[Case] = field(default_factory=list)
    time: float | None = None
    declared: dict[str, int] | None = None  # the element's own totals when they disagree with a recount
    harness: bool = False  # an automatic cargo harness (unit tests of a target, doc-tests): may be empty


@dataclass
class ResultFile:
    path: str
    format: str  # junit | cargo-human | cargo-json
    producer: str
    suites: list[Suite] = field(default_factory=list)
    declared: dict[str, int] | None = None
    build_failed: bool = False


def count(cases: Iterable[Case]) -> dict[str, int]:
    out = dict.fromkeys(COUNT_KEYS, 0)
    for case in cases:
        out["tests"] += 1
        out[STATUS_COUNT_KEY[case.status]] += 1
        out["collection_errors"] += case.collection_error
        out["flaky"] += case.flaky
    return out


def disagreement(declared: dict[str, int], recount: dict[str, int]) -> dict[str, int] | None:
    """The declared totals when any declared figure differs from the recount, else None."""
    for key, value in declared.items():
        if recount.get(DECLARED_KEY[key]) != value:
            return dict(sorted(declared.items()))
    return None


# ---- JUnit XML --------------------------------------------------------------------------------------
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
    if "surefire" in schema or "failsafe" in schema:
        return "surefire"
    if name == "AllTests" or any(c.get("result") is not None for c in root.iter("testcase")):
        return "googletest"
    if any(c.get("assertions") is not None for c in root.iter("testcase")):
        return "phpunit"
    return "junit"


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
        if case.collection_error and outcome is not None:
            detail = _last_error_line(outcome.text)
            if detail and detail not in case.message:
                case.message = f"{case.message}: {detail}"[:MAX_MESSAGE_CHARS]
        case.file, case.line = self._location(elem, case, suite_name, suite_file)
        return case

    def _is_collection_error(self, case: Case, outcome: Element | None) -> bool:
        message = outcome.get("message") if outcome is not None else None
        if message == PYTEST_COLLECTION_MESSAGE:
            return True
        return case.name == JEST_SUITE_FAILED_NAME or case.name in GO_BUILD_FAILED_NAMES

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


PANIC = re.compile(r"^thread '(?P<name>[^']*)'(?: \(\d+\))? panicked at (?P<rest>.*)$")
LOCATION_ONLY = re.compile(r"^\S+:\d+(?::\d+)?:?$")


def rust_panic_summary(lines: Sequence[str]) -> str:
    """``thread 'x' panicked at src/lib.rs:16:18:`` + the next line (Rust >= 1.73), or the one-line
    ``panicked at 'msg', src/lib.rs:16:5`` of older Rust, as ``panicked at <where>: <message>``."""
    stripped = [line.strip() for line in lines]
    for index, line in enumerate(stripped):
        m = PANIC.match(line)
        if m is None:
            continue
        rest = m["rest"].strip()
        if rest.endswith(":"):
            follow = next((nxt for nxt in stripped[index + 1:] if nxt), "")
            return f"panicked at {rest} {follow}".strip()[:MAX_MESSAGE_CHARS]
        return f"panicked at {rest}"[:MAX_MESSAGE_CHARS]
    return ""


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


# ---- configuration shared by the tests and coverage collectors ------------------------------------------
def result_globs(
    config_results: list[str] | None, options: Any, defaults: Sequence[str]
) -> tuple[list[str], str]:
    """The globs to read and where they came from: ``collect.options.<collector>.globs``, else the config's
    ``collect.results``, else the defaults."""
    own = options.get("globs") if hasattr(options, "get") else None
    if own is not None:
        if not isinstance(own, list) or not all(isinstance(g, str) for g in own):
            raise ValueError("globs must be a list of strings")
        return list(own), "options"
    if config_results is not None:
        return list(config_results), "config"
    return list(defaults), "default"


# Dependency trees the default globs skip (an explicit glob may still name them): installed packages ship
# their own test data and coverage files, never ours.
DEPENDENCY_DIRS = frozenset({"node_modules", ".venv", "venv", "site-packages", "dist-packages"})


@dataclass(frozen=True)
class ResultSelection:
    """The result files a collector reads, and the limits it reads them with."""

    globs: list[str]
    source: str
    paths: list[str]
    max_bytes: int
    max_files: int


def _positive_int(options: Any, key: str, default: int) -> int:
    value = options.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{key} must be a positive integer")
    return value


def select_result_files(
    ctx: CollectContext, name: str, defaults: Sequence[str], what: str, *, max_bytes: int, max_files: int
) -> ResultSelection:
    """Globs (options, else ``collect.results``, else defaults) and matching files for the ``tests`` and
    ``coverage`` collectors. Result files are build outputs: the globs bypass ``.gitignore``."""
    options = ctx.options(name)
    try:
        globs, source = result_globs(ctx.config.results, options, defaults)
        byte_limit = _positive_int(options, "max_file_bytes", max_bytes)
        file_limit = _positive_int(options, "max_files", max_files)
    except ValueError as exc:
        raise CollectorFailed(f"collect.options.{name}: {exc}") from None
    if not globs:
        raise NotConfigured(
            f"collect.results is an empty list, so no {what} are read",
            "list their globs under collect.results, or drop the key to use the defaults",
        )
    paths = ctx.glob(globs, include_ignored=True)
    if source == "default":
        paths = [p for p in paths if not DEPENDENCY_DIRS.intersection(p.split("/")[:-1])]
    return ResultSelection(globs, source, paths, byte_limit, file_limit)
