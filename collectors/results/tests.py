"""``tests``: the test results CI left behind — JUnit XML from any common producer, ``go test -json``
event streams, .NET TRX files and ``cargo test`` output — recounted case by case and pre-aggregated so a
policy can ask, with lookups, whether tests ran, which suites were empty, and whether a named test exists and
passed. Each format has its reader module; ``reader`` sorts the matched files among them.

Result files are build outputs (usually untracked), so the globs bypass ``.gitignore`` and the default
excludes. Finding no result file is not "not configured": the section says ``files: 0`` and every count is
zero, so a policy that demands evidence of a test run fails instead of passing or being skipped. Only an
explicit empty ``collect.results: []`` turns the collector off.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from anops_policy.collectors.results.model import STATUS_RANK, Case, ResultFile, Suite, count
from anops_policy.collectors.results.paths import PathMapper
from anops_policy.collectors.results.selection import select_result_files

from anops_policy.collection.collector import CollectContext

DEFAULT_GLOBS = (
    "**/junit*.xml",
    "**/TEST-*.xml",
    "**/test-results/**/*.xml",
    "target/nextest/**/junit.xml",
    "reports/**",
    # .NET: TRX anywhere; dotnet test's results folder (JunitXml.TestLogger writes there too)
    "**/*.trx",
    "**/TestResults/**/*.xml",
    # go test -json / gotestsum --jsonfile have no fixed name: the usual ones
    "**/go-test*.json",
    "**/gotest*.json",
    "**/test-report*.json",
    "**/test-results*.json",
    # formats that are not read, so that finding one is reported rather than unnoticed
    "**/*.tap",
    "**/TestResult.xml",
)
DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_FILES = 2000
MAX_FAILING = 100
MAX_LISTED = 200
MAX_NAMES = 50_000


class TestsCollector:
    name = "tests"
    version = "1"
    depends_on: tuple[str, ...] = ()
    __test__ = False  # not a pytest class, whatever its name

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        chosen = select_result_files(
            ctx,
            "tests",
            DEFAULT_GLOBS,
            "result files",
            max_bytes=DEFAULT_MAX_FILE_BYTES,
            max_files=DEFAULT_MAX_FILES,
        )
        globs, source, paths, max_bytes, max_files = (
            chosen.globs,
            chosen.source,
            chosen.paths,
            chosen.max_bytes,
            chosen.max_files,
        )
        # the parsers of every result format load only when there are result files (start-up)
        from anops_policy.collectors.results.reader import ResultReader  # noqa: PLC0415

        reader = ResultReader(ctx, PathMapper(ctx.files(), ctx.repo.root), max_bytes)
        truncated = len(paths) > max_files
        for path in paths[:max_files]:
            reader.read(path)
        facts = _Aggregate(reader.parsed).facts()
        return {
            "globs": globs,
            "globs_source": source,
            "files": len(reader.parsed),
            **facts,
            "errors": sorted(reader.errors, key=lambda e: e["path"]),
            "ignored": sorted(reader.ignored, key=lambda e: e["path"])[:MAX_LISTED],
            "truncated": truncated or facts["truncated"],
        }


class _Aggregate:
    def __init__(self, files: Iterable[ResultFile]) -> None:
        self.files = sorted(files, key=lambda f: f.path)
        self.truncated = False

    def facts(self) -> dict[str, Any]:
        suites: list[dict[str, Any]] = []
        reports: dict[str, Any] = {}
        zero_suites: list[str] = []
        by_name: dict[str, dict[str, Any]] = {}
        by_qualified: dict[str, dict[str, Any]] = {}
        by_base: dict[str, dict[str, Any]] = {}
        by_path: dict[str, dict[str, int]] = {}
        failing: list[dict[str, Any]] = []
        failing_total = 0
        all_cases: list[Case] = []
        for result in self.files:
            file_cases: list[Case] = []
            ids: set[str] = set()
            for suite in result.suites:
                suite_id = _unique(f"{result.path}::{suite.name}", ids)
                entry = self._suite(suite, suite_id, result.path)
                suites.append(entry)
                if _collected(entry) == 0 and not suite.harness:
                    zero_suites.append(suite_id)
                for case in suite.cases:
                    short = _short_ref(case, result.path)
                    full = {**short, "suite": suite_id, "classname": case.classname}
                    if case.time is not None:
                        full["time"] = case.time
                    self._keep(by_name, case.name, full)
                    self._keep(by_qualified, f"{case.classname or suite.name}::{case.name}", short)
                    self._keep(by_base, base_name(case.name), short)
                    if case.file is not None:
                        _add(by_path.setdefault(case.file, _zero()), case)
                    if case.status in ("failed", "error"):
                        failing_total += 1
                        if len(failing) < MAX_FAILING:
                            failing.append(_failing(case, result.path, suite_id))
                file_cases.extend(suite.cases)
            all_cases.extend(file_cases)
            report: dict[str, Any] = {
                "format": result.format,
                "producer": result.producer,
                "suites": len(result.suites),
                **count(file_cases),
            }
            if result.declared is not None:
                report["declared"] = result.declared
            if result.format.startswith(("cargo", "go-")) or result.build_failed:
                report["build_failed"] = result.build_failed
            reports[result.path] = report
        totals = {**count(all_cases), "suites": len(suites)}
        ran = totals["tests"] - totals["skipped"] - totals["collection_errors"] > 0
        return {
            "totals": totals,
            "ran": ran,
            "all_passed": ran and totals["failed"] == 0 and totals["errors"] == 0,
            "reports": reports,
            "suites": suites,
            "zero_test_suites": zero_suites,
            "zero_test_files": sorted(p for p, r in reports.items() if _collected(r) == 0),
            "by_name": dict(sorted(by_name.items())),
            "by_qualified_name": dict(sorted(by_qualified.items())),
            "by_base_name": dict(sorted(by_base.items())),
            "by_path": dict(sorted(by_path.items())),
            "failing": failing,
            "failing_more": failing_total - len(failing),
            "truncated": self.truncated,
        }

    @staticmethod
    def _suite(suite: Suite, suite_id: str, path: str) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": suite_id, "name": suite.name, "path": path, **count(suite.cases)}
        files = {c.file for c in suite.cases}
        if len(files) == 1 and None not in files:
            entry["file"] = files.pop()
        if suite.time is not None:
            entry["time"] = suite.time
        if suite.declared is not None:
            entry["declared"] = suite.declared
        return entry

    def _keep(self, table: dict[str, dict[str, Any]], key: str, ref: dict[str, Any]) -> None:
        """One entry per key: the worst status wins (a failing twin is never hidden by a passing one);
        among equals the first in file order; ``count`` says how many cases share the key."""
        held = table.get(key)
        if held is None:
            if len(table) >= MAX_NAMES:
                self.truncated = True
                return
            table[key] = {**ref, "count": 1}
            return
        held["count"] += 1
        if STATUS_RANK[ref["status"]] > STATUS_RANK[held["status"]]:
            table[key] = {**ref, "count": held["count"]}


def base_name(name: str) -> str:
    """The name without parameters or module path: ``test_x[a-1]`` → ``test_x``,
    ``config::tests::parses`` → ``parses``, ``adds(int)[2]`` → ``adds``."""
    out = name
    if out.endswith("]") and "[" in out:
        out = out[: out.index("[")]
    if re.fullmatch(r"[\w$]+\(.*\)", out):
        out = out[: out.index("(")]
    if "::" in out and " " not in out:
        out = out.rsplit("::", 1)[1]
    return out or name


def _unique(candidate: str, seen: set[str]) -> str:
    out, n = candidate, 1
    while out in seen:
        n += 1
        out = f"{candidate}#{n}"
    seen.add(out)
    return out


def _short_ref(case: Case, path: str) -> dict[str, Any]:
    """What a lookup needs: the status and where the evidence is (kept small: with thousands of tests
    these maps are most of the fact document, and CEL converts every entry)."""
    ref: dict[str, Any] = {"status": case.status, "path": path}
    if case.file is not None:
        ref["file"] = case.file
    if case.line is not None:
        ref["line"] = case.line
    return ref


def _failing(case: Case, path: str, suite_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": case.name,
        "classname": case.classname,
        "status": case.status,
        "path": path,
        "suite": suite_id,
        "message": case.message,
        "collection_error": case.collection_error,
    }
    if case.type:
        out["type"] = case.type
    if case.file is not None:
        out["file"] = case.file
    if case.line is not None:
        out["line"] = case.line
    return out


def _collected(counts: dict[str, Any]) -> int:
    return int(counts["tests"]) - int(counts["collection_errors"])


def _zero() -> dict[str, int]:
    return count(())


def _add(counts: dict[str, int], case: Case) -> None:
    for key, value in count((case,)).items():
        counts[key] += value
