"""``cargo test`` output: libtest's human format (always available) and its JSON lines (on stable cargo
only with ``RUSTC_BOOTSTRAP=1 cargo test -- -Z unstable-options --format json``), or both interleaved
when stderr (cargo's ``Running ...`` lines) was captured with stdout.

Each test binary is a suite: ``Running unittests src/lib.rs (target/debug/deps/tiny-…)``,
``Running tests/it.rs (…)`` or ``Doc-tests tiny``. A test's source file is found from the suite's target
file and the test's module path (``util::tests::twice_works`` → ``src/util.rs``), using the local package
directories cargo printed in its ``Compiling name vX (/path)`` lines to tell workspace members apart.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections import deque
from dataclasses import dataclass, field

from anops_policy.collectors.results.messages import MAX_MESSAGE_CHARS, PANIC, first_line, rust_panic_summary
from anops_policy.collectors.results.model import Case, ResultFile, Suite, count, disagreement
from anops_policy.collectors.results.paths import PathMapper, normalise

RUNNING = re.compile(r"^\s*Running (?P<what>.+?)\s*$")
DOC_TESTS = re.compile(r"^\s*Doc-tests (?P<crate>\S+)\s*$")
COMPILING = re.compile(r"^\s*Compiling (?P<name>[\w.-]+) v\S+ \((?P<dir>[^)]+)\)\s*$")
RUNNING_N = re.compile(r"^running (?P<n>\d+) tests?$")
TEST_LINE = re.compile(
    r"^test (?P<name>.+?) \.\.\. (?P<outcome>ok|FAILED|ignored(?:, (?P<reason>.*))?|bench:.*)$"
)
RESULT = re.compile(
    r"^test result: (?P<status>ok|FAILED)\. (?P<passed>\d+) passed; (?P<failed>\d+) failed; "
    r"(?P<ignored>\d+) ignored; (?P<measured>\d+) measured; (?P<filtered>\d+) filtered out"
)
STDOUT_HEADER = re.compile(r"^---- (?P<name>.+?) std(?:out|err) ----$")
DOC_NAME = re.compile(r"^(?P<file>.+?\.rs) - .*\(line (?P<line>\d+)\)(?: - .*)?$")
NAME_SUFFIXES = (" - should panic", " - compile fail", " - compile")
BUILD_FAILED = re.compile(r"^error(?:\[E\d+\])?: (could not compile|linking with)")


def looks_like_cargo(text: str) -> bool:
    """Cheap check on a text file: does it contain libtest output (human or JSON), or a cargo build that
    failed before any test could run?"""
    head = text[:200_000]
    return bool(
        re.search(r"^running \d+ tests?$", head, re.M)
        or re.search(r"^test result: (ok|FAILED)\.", head, re.M)
        or re.search(r'^\{\s*"type":\s*"(suite|test)"', head, re.M)
        # a test run that stopped at the build: no test ran, which is itself the evidence
        or (re.search(r"^\s*Compiling \S+ v\S+", head, re.M) and re.search(r"^error: could not compile", head, re.M))
    )


@dataclass
class _SuiteState:
    suite: Suite
    target: str | None = None  # target source as cargo printed it (src/lib.rs, tests/it.rs)
    crate: str | None = None
    by_name: dict[str, Case] = field(default_factory=dict)
    declared: dict[str, int] | None = None


class CargoParser:
    def __init__(self, path: str, mapper: PathMapper) -> None:
        self.path = path
        self.mapper = mapper
        self.result = ResultFile(path=path, format="cargo-human", producer="cargo")
        self.packages: list[tuple[str, str]] = []  # (package name, directory cargo printed)
        self.current: _SuiteState | None = None
        # (name, target, crate) of the next suites, from "Running ..."/"Doc-tests ..." lines: a queue,
        # because a capture of stderr then stdout (not 2>&1) lists every binary before any output
        self.pending: deque[tuple[str, str | None, str | None]] = deque()
        self.states: list[_SuiteState] = []
        self.unnamed = 0
        self.failure_for: str | None = None  # test whose captured output we are reading
        self.expect_panic_message: str | None = None
        self.panicked: set[str] = set()

    def parse(self, text: str) -> ResultFile:
        for raw in text.splitlines():
            line = raw.rstrip("\r")
            stripped = line.strip()
            if stripped.startswith("{") and '"type"' in stripped:
                self._json(stripped)
                continue
            self._human(line)
        self._finish_suite()
        for state in self.states:
            self._locate(state)
        return self.result

    # ---- human output -------------------------------------------------------------------------------
    def _human(self, line: str) -> None:
        if m := COMPILING.match(line):
            self.packages.append((m["name"], normalise(m["dir"])))
        elif m := RUNNING.match(line):
            self._finish_suite()
            what = m["what"]
            target, binary = None, what
            if paren := re.match(r"^(?P<target>.+?) \((?P<binary>[^)]*)\)$", what):
                target, binary = paren["target"], paren["binary"]
            name = target
            target = target.removeprefix("unittests ") if target else None
            stem = re.sub(r"-[0-9a-f]{16}(\.exe)?$", "", posixpath.basename(normalise(binary)))
            self.pending.append((name or stem, target, stem))
        elif m := DOC_TESTS.match(line):
            self._finish_suite()
            self.pending.append((f"Doc-tests {m['crate']}", None, m["crate"]))
        elif m := RUNNING_N.match(line):
            self._start_suite()
        elif m := TEST_LINE.match(line):
            if self.current is None:
                self._start_suite()
            assert self.current is not None
            outcome = m["outcome"]
            if outcome.startswith("bench:"):
                return
            status = "passed" if outcome == "ok" else "failed" if outcome == "FAILED" else "skipped"
            case = self._case(m["name"], status)
            if status == "skipped" and m["reason"]:
                case.message = m["reason"][:MAX_MESSAGE_CHARS]
        elif m := RESULT.match(line):
            if self.current is None:
                self._start_suite()
            assert self.current is not None
            self.current.declared = _declared(
                int(m["passed"]), int(m["failed"]), int(m["ignored"]), int(m["measured"])
            )
            self._finish_suite()
        elif m := STDOUT_HEADER.match(line):
            self.failure_for, self.expect_panic_message = m["name"], None
        elif self.failure_for is not None:
            self._failure_text(line)
        if BUILD_FAILED.match(line.strip()):
            self.result.build_failed = True

    def _failure_text(self, line: str) -> None:
        """Take the panic message of a failing test from its captured output (the first panic; before
        any panic, the first output line, e.g. the ``Error: …`` of a test that returned ``Err``)."""
        case = self.current.by_name.get(self.failure_for or "") if self.current is not None else None
        text = line.strip()
        if case is None or not text:
            return
        if self.expect_panic_message is not None:
            case.message = f"{self.expect_panic_message} {text}"[:MAX_MESSAGE_CHARS]
            self.expect_panic_message = None
            self.panicked.add(case.name)
        elif m := PANIC.match(text):
            if case.name not in self.panicked:
                case.message, self.expect_panic_message = _panic_message(m["rest"])
                if self.expect_panic_message is None:
                    self.panicked.add(case.name)
        elif not case.message and text != "failures:" and not text.startswith("stack backtrace"):
            case.message = text[:MAX_MESSAGE_CHARS]

    # ---- JSON lines ---------------------------------------------------------------------------------
    def _json(self, line: str) -> None:
        try:
            event = json.loads(line)
        except ValueError:
            return
        if not isinstance(event, dict):
            return
        self.result.format = "cargo-json"
        kind, what = event.get("type"), event.get("event")
        if kind == "suite" and what == "started":
            self._finish_suite()
            self._start_suite()
        elif kind == "suite" and what in ("ok", "failed"):
            if self.current is None:
                self._start_suite()
            assert self.current is not None
            numbers = [event.get(k) for k in ("passed", "failed", "ignored", "measured")]
            if all(isinstance(n, int) for n in numbers):
                self.current.declared = _declared(*(int(n) for n in numbers))  # type: ignore[arg-type]
            self._finish_suite()
        elif kind == "test" and what in ("ok", "failed", "ignored"):
            if self.current is None:
                self._start_suite()
            status = {"ok": "passed", "failed": "failed", "ignored": "skipped"}[what]
            case = self._case(str(event.get("name", "")), status)
            exec_time = event.get("exec_time")
            if isinstance(exec_time, int | float):
                case.time = float(exec_time)
            if status == "failed":
                case.message = _json_failure_message(event)
            elif status == "skipped" and isinstance(event.get("message"), str):
                case.message = event["message"][:MAX_MESSAGE_CHARS]

    # ---- suites -------------------------------------------------------------------------------------
    def _start_suite(self) -> None:
        if self.current is not None and not self.current.suite.cases and self.current.declared is None:
            return  # "running N tests" right after "Running ..." (or a JSON suite start) — same suite
        self._finish_suite()
        name, target, crate = self.pending.popleft() if self.pending else (None, None, None)
        if name is None:
            self.unnamed += 1
            name = f"test binary {self.unnamed}"
        # Every lib/bin target gets a unit-test harness and a doc-test run, so an empty one is normal;
        # an empty integration-test target (tests/*.rs) is not. Unnamed suites (JSON without cargo's
        # stderr) cannot be told apart and count as harnesses.
        harness = target is None or target.startswith("src/")
        state = _SuiteState(Suite(name=name, harness=harness), target=target, crate=crate)
        self.current = state

    def _finish_suite(self) -> None:
        state = self.current
        self.failure_for = self.expect_panic_message = None
        if state is None:
            return
        self.current = None
        if state.declared is not None:
            state.suite.declared = disagreement(state.declared, count(state.suite.cases))
        self.states.append(state)
        self.result.suites.append(state.suite)

    def _case(self, raw_name: str, status: str) -> Case:
        assert self.current is not None
        name = raw_name
        for suffix in NAME_SUFFIXES:
            name = name.removesuffix(suffix)
        case = self.current.by_name.get(name)
        if case is None:
            case = Case(name=name, classname=self.current.crate or "", status=status)
            self.current.by_name[name] = case
            self.current.suite.cases.append(case)
        else:  # a JSON and a human line for the same test (merged streams): keep the worst
            case.status = status if _worse(status, case.status) else case.status
        return case

    # ---- source files -------------------------------------------------------------------------------
    def _locate(self, state: _SuiteState) -> None:
        root_file = self._target_file(state)
        for case in state.suite.cases:
            if m := DOC_NAME.match(case.name):
                case.file = self._in_package(m["file"], state)
                case.line = int(m["line"]) if case.file else None
            elif root_file is not None:
                case.file = _module_file(root_file, case.name, self.mapper)

    def _target_file(self, state: _SuiteState) -> str | None:
        return None if state.target is None else self._in_package(state.target, state)

    def _in_package(self, target: str, state: _SuiteState) -> str | None:
        """``src/lib.rs`` → the repository path of that file in the package that built this suite: the
        one local package (from ``Compiling`` lines) that has it, preferring the package named like the
        test binary in a workspace; without package lines, a unique suffix match."""
        found: dict[str, set[str]] = {}
        for package, directory in self.packages:
            mapped = self.mapper.map(f"{directory}/{target}")
            if mapped is not None:
                found.setdefault(mapped, set()).add(package.replace("-", "_"))
        if len(found) > 1 and state.crate:
            wanted = state.crate.replace("-", "_")
            found = {p: names for p, names in found.items() if wanted in names} or found
        if len(found) == 1:
            return next(iter(found))
        return self.mapper.map(target) if not found else None


def parse_cargo(path: str, text: str, mapper: PathMapper) -> ResultFile:
    return CargoParser(path, mapper).parse(text)


def _declared(passed: int, failed: int, ignored: int, measured: int) -> dict[str, int]:
    tests = passed + failed + ignored + measured
    return {"tests": tests, "passed": passed, "failures": failed, "skipped": ignored}


def _worse(a: str, b: str) -> bool:
    order = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
    return order[a] > order[b]


def _panic_message(rest: str) -> tuple[str, str | None]:
    """``src/lib.rs:16:18:`` (Rust ≥ 1.73, message on the next line) or ``'msg', src/lib.rs:16:5``."""
    rest = rest.strip()
    if rest.endswith(":"):
        return "", f"panicked at {rest}"
    return f"panicked at {rest}"[:MAX_MESSAGE_CHARS], None


def _json_failure_message(event: dict[str, object]) -> str:
    text = event.get("stdout") or event.get("message") or ""
    if not isinstance(text, str):
        return ""
    lines = text.splitlines()
    return rust_panic_summary(lines) or first_line(text)


def _module_file(root_file: str, test_name: str, mapper: PathMapper) -> str:
    """Follow ``a::b::tests::name`` through ``a.rs``/``a/mod.rs`` from the crate root; a module that is
    declared inline (``mod tests { … }``) lives in the last file found."""
    best = root_file
    directory = posixpath.dirname(root_file)
    for module in test_name.split("::")[:-1]:
        flat = f"{directory}/{module}.rs" if directory else f"{module}.rs"
        nested = f"{directory}/{module}/mod.rs" if directory else f"{module}/mod.rs"
        if mapper.exists(flat):
            best = flat
        elif mapper.exists(nested):
            best = nested
        else:
            break
        directory = f"{directory}/{module}" if directory else module
    return best
