"""``tests``: the test results CI left behind — JUnit XML from any common producer and ``cargo test``
output — recounted case by case and pre-aggregated so a policy can ask, with lookups, whether tests ran,
which suites were empty, and whether a named test exists and passed.

Result files are build outputs (usually untracked), so the globs bypass ``.gitignore`` and the default
excludes. Finding no result file is not "not configured": the section says ``files: 0`` and every count is
zero, so a policy that demands evidence of a test run fails instead of passing or being skipped. Only an
explicit empty ``collect.results: []`` turns the collector off.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from anops_policy.collectors.results.cargo import looks_like_cargo, parse_cargo
from anops_policy.collectors.results.junit import is_coverage_root, parse_junit
from anops_policy.collectors.results.model import STATUS_RANK, Case, ResultFile, ResultFileError, Suite, count
from anops_policy.collectors.results.paths import PathMapper
from anops_policy.collectors.results.safe_xml import local, parse_xml
from anops_policy.collectors.results.selection import select_result_files

from anops_policy.collection.collector import CollectContext

DEFAULT_GLOBS = (
    "**/junit*.xml",
    "**/TEST-*.xml",
    "**/test-results/**/*.xml",
    "target/nextest/**/junit.xml",
    "reports/**",
)
DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_FILES = 2000
MAX_FAILING = 100
MAX_LISTED = 200
MAX_NAMES = 50_000
IGNORED_SUFFIXES = (
    ".html",
    ".htm",
    ".css",
    ".js",
    ".map",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".svg",
    ".webm",
    ".zip",
    ".gz",
    ".trace",
    ".md",
)


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
        reader = _Reader(ctx, PathMapper(ctx.files(), ctx.repo.root), max_bytes)
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


class _Reader:
    """Sort each matched file into parsed, error (a result file we could not read) or ignored."""

    def __init__(self, ctx: CollectContext, mapper: PathMapper, max_bytes: int) -> None:
        self.ctx = ctx
        self.mapper = mapper
        self.max_bytes = max_bytes
        self.parsed: list[ResultFile] = []
        self.errors: list[dict[str, str]] = []
        self.ignored: list[dict[str, str]] = []

    def read(self, path: str) -> None:
        lower = path.lower()
        if lower.endswith(IGNORED_SUFFIXES):
            self.ignored.append({"path": path, "reason": "not a test-result format (by file name)"})
            return
        before = len(self.ctx.skips)
        data = self.ctx.read_bytes(path, max_bytes=self.max_bytes)
        if data is None:
            reason = self.ctx.skips[-1].reason if len(self.ctx.skips) > before else "unreadable"
            self.errors.append({"path": path, "reason": f"not read: {reason}"})
            return
        if b"\0" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 XML has NULs
            self.ignored.append({"path": path, "reason": "binary file"})
            return
        head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            head = data[:1024].decode("utf-16", errors="replace").lstrip("\ufeff \t\r\n").encode()
        try:
            if lower.endswith(".xml") or head.startswith((b"<?xml", b"<testsuite")):
                self._xml(path, data, strict=lower.endswith(".xml") or head.startswith(b"<testsuite"))
            else:
                self._text(path, data)
        except ResultFileError as exc:
            self.errors.append({"path": path, "reason": str(exc)})
        except RecursionError:
            self.errors.append({"path": path, "reason": "XML nested too deeply"})

    def _xml(self, path: str, data: bytes, *, strict: bool) -> None:
        root = parse_xml(data)
        coverage = is_coverage_root(root)
        if coverage is not None:
            self.ignored.append({"path": path, "reason": coverage})
        elif local(root.tag) in ("testsuites", "testsuite") or strict:
            self.parsed.append(parse_junit(path, root, self.mapper))
        else:
            self.ignored.append({"path": path, "reason": f"XML with root <{local(root.tag)}>, not JUnit"})

    def _text(self, path: str, data: bytes) -> None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.ignored.append({"path": path, "reason": f"not UTF-8 text (byte {exc.start})"})
            return
        if looks_like_cargo(text):
            self.parsed.append(parse_cargo(path, text, self.mapper))
        elif re.search(r"^SF:", text, re.M) and "end_of_record" in text:
            self._ignore(path, "lcov coverage report (read by the coverage collector)")
        elif text.lstrip().startswith("{") and '"files"' in text[:4096] and '"meta"' in text:
            self._ignore(path, "coverage.py JSON report (read by the coverage collector)")
        else:
            self._ignore(path, "not a recognised test-result format")

    def _ignore(self, path: str, reason: str) -> None:
        self.ignored.append({"path": path, "reason": reason})


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
            if result.format.startswith("cargo"):
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
