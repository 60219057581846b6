"""``go test -json`` event streams (test2json: one JSON object per line), as ``go test -json ./...`` or
``gotestsum --jsonfile`` write them, possibly with ``go test``'s stderr merged in (``2>&1``).

What counts:

* every test that reports a result is a case: ``TestX`` and each subtest ``TestX/sub`` alike (the parent
  passes or fails on its own line, as ``go test`` and gotestsum's JUnit count it); the package-level
  ``pass``/``fail``/``skip`` lines (no ``Test``) are not tests, and a ``[no test files]`` package is an empty
  harness suite, not a zero-test suite;
* a package that did not build (Go < 1.24: a plain ``FAIL\\tpkg [build failed]`` line, or that line as an
  ``output`` event; Go >= 1.24: ``build-output``/``build-fail`` events and ``"FailedBuild"`` on the package's
  ``fail``) is one ``[build failed]`` case (``[setup failed]`` likewise) with status error and
  ``collection_error``, named by the first compile error, exactly as go-junit-report writes it in JUnit;
* a test that started but never reported (the binary panicked, timed out or exited) failed; a package that
  failed with no failing test (``TestMain`` exiting non-zero, a leaked goroutine check) gets one
  ``[package failed]`` case, so a failing package is never a silent zero.
"""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from anops_policy.collectors.results.messages import MAX_MESSAGE_CHARS
from anops_policy.collectors.results.model import Case, ResultFile, ResultFileError, Suite
from anops_policy.collectors.results.paths import PathMapper

ACTIONS = ("run", "pass", "fail", "skip", "output", "start", "pause", "cont", "bench", "build-output", "build-fail")
EVENT = re.compile(r'^\s*\{.*"Action"\s*:\s*"(?:' + "|".join(ACTIONS) + r')"', re.M)
PLAIN_FAILED = re.compile(r"^FAIL\s+(?P<pkg>\S+) \[(?P<what>build|setup) failed\]\s*$")
BUILD_HEADER = re.compile(r"^# (?P<pkg>\S+)(?: \[[^\]]+\])?\s*$")
VERBOSE_TEXT = re.compile(r"^(=== RUN|--- (PASS|FAIL|SKIP):)", re.M)
MARKERS = ("=== RUN", "=== PAUSE", "=== CONT", "=== NAME", "--- PASS:", "--- FAIL:", "--- SKIP:", "--- BENCH:")
SUMMARY = re.compile(r"^(PASS|FAIL|ok\s|FAIL\s|\?\s|exit status \d+$|coverage: )")
KEPT_LINES = 5  # informative output lines kept per test (only the first becomes the message)
KEPT_PACKAGE_LINES = 20
STATUS = {"pass": "passed", "fail": "failed", "skip": "skipped"}


def looks_like_go_test_json(text: str) -> bool:
    """Does the text hold test2json events, or only the plain ``[build failed]`` line a Go < 1.24 run
    prints when nothing built? (``go test -v`` text, which has ``=== RUN`` lines, is not this format.)"""
    head = text[:200_000]
    if EVENT.search(head):
        return True
    plain = [line for line in head.splitlines() if line.strip()]
    return bool(plain) and any(PLAIN_FAILED.match(line) for line in plain) and not VERBOSE_TEXT.search(head)


def looks_like_go_test_verbose(text: str) -> bool:
    """``go test -v`` human output (what go-junit-report reads): not read here, but recognised."""
    head = text[:200_000]
    return bool(
        re.search(r"^=== RUN\s+Test", head, re.M) and re.search(r"^(--- (PASS|FAIL|SKIP)|ok\s|FAIL)", head, re.M)
    )


@dataclass
class _Test:
    case: Case
    lines: list[str] = field(default_factory=list)
    done: bool = False


@dataclass
class _Package:
    name: str
    tests: dict[str, _Test] = field(default_factory=dict)
    status: str | None = None  # pass | fail | skip, from the package-level line
    elapsed: float | None = None
    no_test_files: bool = False
    failed_stage: str | None = None  # build | setup
    lines: deque[str] = field(default_factory=lambda: deque(maxlen=KEPT_PACKAGE_LINES))


class GoTestParser:
    def __init__(self, path: str, mapper: PathMapper) -> None:
        self.path = path
        self.mapper = mapper
        self.result = ResultFile(path=path, format="go-test-json", producer="go")
        self.packages: dict[str, _Package] = {}
        self.build_output: dict[str, list[str]] = {}  # import path (first word) -> compile errors
        self.header: str | None = None  # the package of the last plain "# pkg" build header

    def parse(self, text: str) -> ResultFile:
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line:
                continue
            if line.startswith("{"):
                self._event(_load(line, number), number)
            else:
                self._plain(line)
        for package in self.packages.values():
            self.result.suites.append(self._suite(package))
        self.result.build_failed = any(p.failed_stage is not None for p in self.packages.values())
        return self.result

    # ---- input ---------------------------------------------------------------------------------------
    def _event(self, event: dict[str, Any], number: int) -> None:
        action = _text(event, "Action", number)
        if action in ("build-output", "build-fail"):
            key = _text(event, "ImportPath", number).split(" ", 1)[0]
            if action == "build-output":
                self._build_line(key, _text(event, "Output", number))
            return
        package = self._package(_text(event, "Package", number))
        test = _text(event, "Test", number)
        output = _text(event, "Output", number)
        if test:
            self._test_event(package, test, action, output, event.get("Elapsed"))
            return
        if action == "output":
            self._package_line(package, output)
        elif action in STATUS:
            package.status = action
            elapsed = event.get("Elapsed")
            package.elapsed = float(elapsed) if isinstance(elapsed, int | float) else None
            if action == "fail" and event.get("FailedBuild"):
                package.failed_stage = package.failed_stage or "build"

    def _test_event(self, package: _Package, name: str, action: str, output: str, elapsed: Any) -> None:
        test = package.tests.get(name)
        if test is None:
            test = _Test(Case(name=name, classname=package.name, status="passed"))
            package.tests[name] = test
        if action == "output":
            text = output.strip()
            if text and not text.startswith(MARKERS) and len(test.lines) < KEPT_LINES:
                test.lines.append(text)
        elif action in STATUS:
            test.case.status, test.done = STATUS[action], True
            if isinstance(elapsed, int | float):
                test.case.time = float(elapsed)

    def _package_line(self, package: _Package, output: str) -> None:
        line = output.strip()
        if m := PLAIN_FAILED.match(line):
            package.failed_stage = m["what"]
        elif line.endswith("[no test files]"):
            package.no_test_files = True
        elif line:
            package.lines.append(line)

    def _plain(self, line: str) -> None:
        """A line that is not an event: stderr merged into the stream (``# pkg`` build headers and compile
        errors) or Go < 1.24's plain ``FAIL pkg [build failed]``."""
        if m := PLAIN_FAILED.match(line):
            self._package(m["pkg"]).failed_stage = m["what"]
            self.header = None
        elif m := BUILD_HEADER.match(line):
            self.header = m["pkg"]
        elif self.header is not None:
            self._build_line(self.header, line)

    def _build_line(self, key: str, output: str) -> None:
        kept = self.build_output.setdefault(key, [])
        line = output.strip()
        if line and not BUILD_HEADER.match(line) and len(kept) < KEPT_LINES:
            kept.append(line)

    def _package(self, name: str) -> _Package:
        package = self.packages.get(name)
        if package is None:
            package = self.packages[name] = _Package(name)
        return package

    # ---- output --------------------------------------------------------------------------------------
    def _suite(self, package: _Package) -> Suite:
        suite = Suite(name=package.name, time=package.elapsed, harness=package.no_test_files)
        unfinished = [t for t in package.tests.values() if not t.done]
        for test in package.tests.values():
            case = test.case
            if not test.done:
                case.status = "failed"
                case.message = _unfinished_message(test, package)
            elif case.status in ("failed", "skipped"):
                case.message = test.lines[0][:MAX_MESSAGE_CHARS] if test.lines else self._subtest_message(package, case)
            suite.cases.append(case)
        if package.failed_stage is not None:
            suite.cases.append(self._stage_case(package))
        elif package.status == "fail" and not unfinished and not any(c.status == "failed" for c in suite.cases):
            message = _last_informative(package) or "the package failed with no failing test"
            suite.cases.append(Case("[package failed]", package.name, "failed", message=message[:MAX_MESSAGE_CHARS]))
        return suite

    def _stage_case(self, package: _Package) -> Case:
        stage = package.failed_stage or "build"
        errors = self.build_output.get(package.name) or next(
            (lines for key, lines in self.build_output.items() if lines and key.startswith(package.name)), []
        ) or next((lines for lines in self.build_output.values() if lines), [])
        message = errors[0] if errors else _last_informative(package) or (
            f"{stage} failed (go test prints the errors on stderr: capture it with 2>&1 to see them here)"
        )
        return Case(
            f"[{stage} failed]", package.name, "error", message=message[:MAX_MESSAGE_CHARS], collection_error=True
        )

    @staticmethod
    def _subtest_message(package: _Package, case: Case) -> str:
        if case.status != "failed":
            return ""
        prefix = case.name + "/"
        child = next((n for n, t in package.tests.items() if n.startswith(prefix) and t.case.status == "failed"), None)
        return f"subtest {child} failed" if child else ""


def parse_go_test_json(path: str, text: str, mapper: PathMapper) -> ResultFile:
    return GoTestParser(path, mapper).parse(text)


def _load(line: str, number: int) -> dict[str, Any]:
    try:
        event = json.loads(line)
    except RecursionError:
        raise ResultFileError(f"line {number}: JSON nested too deeply") from None
    except ValueError as exc:
        raise ResultFileError(f"line {number}: malformed JSON event ({exc})") from None
    if not isinstance(event, dict):
        raise ResultFileError(f"line {number}: a test2json event must be a JSON object")
    return event


def _text(event: dict[str, Any], key: str, number: int) -> str:
    value = event.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ResultFileError(f"line {number}: \"{key}\" must be a string, not {type(value).__name__}")
    return value


def _last_informative(package: _Package) -> str:
    for line in reversed(package.lines):
        if not SUMMARY.match(line) and not line.startswith(MARKERS):
            return line
    return ""


def _unfinished_message(test: _Test, package: _Package) -> str:
    lines = [*test.lines, *package.lines]
    reason = next((line for line in lines if line.startswith("panic:")), "") or _last_informative(package)
    base = "no result: the test binary stopped before this test finished"
    return f"{base} ({reason})"[:MAX_MESSAGE_CHARS] if reason else base
