"""``coverage``: line coverage from the reports CI left behind — Cobertura XML (coverage.py ``coverage xml``,
cargo-llvm-cov and tarpaulin ``--cobertura``, jest/istanbul ``cobertura``), coverage.py JSON (``coverage
json``) and lcov (``lcov.info``: ``coverage lcov``, cargo-llvm-cov ``--lcov``, istanbul) — mapped to
repository paths and merged line by line, so two reports of the same run (XML and JSON) do not count a
line twice.

Paths in reports are relative to where the tool ran, or absolute on the CI machine: Cobertura's
``<sources>`` are joined to each class ``filename``, and whatever is not under the evaluated directory is
matched by its longest unique suffix against the repository's files. Files that match nothing
(site-packages, the Rust standard library) are counted as ``unmapped`` and left out of the totals.

Like ``tests``, finding no report is not "not configured": ``files: 0`` and ``line_rate: 0.0``, so a
coverage threshold fails rather than passes when CI produced nothing.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

from anops_policy.collectors.results.model import ResultFileError
from anops_policy.collectors.results.paths import PathMapper
from anops_policy.collectors.results.safe_xml import local, parse_float, parse_int, parse_xml
from anops_policy.collectors.results.selection import select_result_files

from anops_policy.collection.collector import CollectContext

DEFAULT_GLOBS = (
    "**/coverage.xml",
    "**/cobertura*.xml",
    "**/coverage.json",
    "**/lcov.info",
    "**/*.lcov",
    "reports/**",
)
# Dependency trees that ship their own coverage files; skipped for the default globs only.
DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_FILES = 200
MAX_LISTED = 100


@dataclass
class _Report:
    path: str
    format: str  # cobertura | coverage-json | lcov
    lines: dict[str, dict[int, bool]] = field(default_factory=dict)  # repo path -> line -> covered
    names: int = 0
    unmapped: list[str] = field(default_factory=list)
    declared_line_rate: float | None = None
    branch_rate: float | None = None

    def add(self, path: str | None, raw_name: str, lines: dict[int, bool]) -> None:
        self.names += 1
        if path is None:
            self.unmapped.append(raw_name)
            return
        held = self.lines.setdefault(path, {})
        for number, covered in lines.items():
            held[number] = held.get(number, False) or covered


class CoverageCollector:
    name = "coverage"
    version = "1"
    depends_on: tuple[str, ...] = ()

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        chosen = select_result_files(
            ctx,
            "coverage",
            DEFAULT_GLOBS,
            "coverage reports",
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
        mapper = PathMapper(ctx.files(), ctx.repo.root)
        reports: list[_Report] = []
        errors: list[dict[str, str]] = []
        ignored: list[dict[str, str]] = []
        for path in paths[:max_files]:
            before = len(ctx.skips)
            data = ctx.read_bytes(path, max_bytes=max_bytes)
            if data is None:
                reason = ctx.skips[-1].reason if len(ctx.skips) > before else "unreadable"
                if _looks_like_report(path):
                    errors.append({"path": path, "reason": f"not read: {reason}"})
                continue
            try:
                outcome = _read(path, data, mapper)
            except ResultFileError as exc:
                errors.append({"path": path, "reason": str(exc)})
                continue
            if isinstance(outcome, str):
                ignored.append({"path": path, "reason": outcome})
            else:
                reports.append(outcome)
        out = _facts(reports)
        return {
            "globs": globs,
            "globs_source": source,
            "files": len(reports),
            **out,
            "errors": errors,
            "ignored": ignored[:MAX_LISTED],
            "truncated": len(paths) > max_files,
        }


def _looks_like_report(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    return name.endswith((".lcov", "lcov.info")) or "coverage" in name or "cobertura" in name


# ---- reading ----------------------------------------------------------------------------------------
def _read(path: str, data: bytes, mapper: PathMapper) -> _Report | str:
    """A parsed report, or the reason the file is not one (raises ResultFileError for a broken one)."""
    if b"\0" in data[:8192]:
        return "binary file"
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    base = posixpath.dirname(path)
    if head.startswith(b"<"):
        if not (path.lower().endswith(".xml") or head.startswith(b"<?xml") or head.startswith(b"<coverage")):
            return "not a coverage report"
        if _root_name(data[:8192]) in ("testsuites", "testsuite"):
            # a JUnit report is the tests collector's to parse (and to report broken): parsing a 15 MB one
            # here too only to learn its root element doubled the collection time of a results folder
            return "JUnit test results (read by the tests collector)"
        root = parse_xml(data)
        tag = local(root.tag)
        if tag == "coverage":
            return _cobertura(path, root, mapper, base)
        if tag in ("testsuites", "testsuite"):
            return "JUnit test results (read by the tests collector)"
        if tag == "report" and root.find("sessioninfo") is not None:
            return "JaCoCo report (not read: convert it to Cobertura)"
        if _looks_like_report(path):
            raise ResultFileError(f"not a coverage report: XML root element <{tag or '?'}>")
        return f"XML with root <{tag or '?'}>, not a coverage report"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text (byte {exc.start})"
    if head.startswith(b"{"):
        return _json(path, text, mapper, base)
    if re.search(r"^SF:", text, re.M) and ("end_of_record" in text or _looks_like_report(path)):
        return _lcov(path, text, mapper, base)
    return "not a coverage report"


_PROLOG = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)", re.S)
_ROOT = re.compile(rb"\s*<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")


def _root_name(head: bytes) -> str | None:
    """The root element's local name from the start of a document (declaration, comments and a DOCTYPE
    skipped), or None when it is not in ``head``."""
    head = head.lstrip(b"\xef\xbb\xbf")
    position = 0
    while match := _PROLOG.match(head, position):
        if match.end() == position:
            break
        position = match.end()
    root = _ROOT.match(head, position)
    return root.group(1).decode("ascii", "replace") if root else None


def _cobertura(path: str, root: Element, mapper: PathMapper, base: str) -> _Report:
    if root.find("packages") is None and root.find(".//class") is None:
        raise ResultFileError("not a Cobertura report: <coverage> without <packages> or <class>")
    report = _Report(path, "cobertura")
    report.declared_line_rate = _rate(root.get("line-rate"))
    if root.get("branch-rate") is not None and parse_int(root.get("branches-valid")) != 0:
        report.branch_rate = _rate(root.get("branch-rate"))
    sources = [text for s in root.iter() if local(s.tag) == "source" and (text := (s.text or "").strip())]
    per_file: dict[str, dict[int, bool]] = {}
    for cls in root.iter():
        if local(cls.tag) != "class":
            continue
        filename = cls.get("filename") or ""
        if not filename:
            continue
        lines = per_file.setdefault(filename, {})
        holder = next((c for c in cls if local(c.tag) == "lines"), None)
        for line in holder if holder is not None else ():
            number = parse_int(line.get("number"))
            hits = parse_float(line.get("hits"))
            if local(line.tag) == "line" and number is not None and number > 0 and hits is not None:
                lines[number] = lines.get(number, False) or hits > 0
    for filename, lines in sorted(per_file.items()):
        report.add(mapper.map(filename, [*sources, base]), filename, lines)
    return report


def _json(path: str, text: str, mapper: PathMapper, base: str) -> _Report | str:
    try:
        data = json.loads(text)
    except ValueError as exc:
        if _looks_like_report(path):
            raise ResultFileError(f"malformed JSON: {exc}") from None
        return "not a coverage report (not JSON)"
    except RecursionError:  # the C decoder recurses per level: a hostile file is an entry, not a crash
        if _looks_like_report(path):
            raise ResultFileError("JSON nested too deeply to read") from None
        return "not a coverage report (JSON nested too deeply)"
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        if isinstance(data, dict) and data and all(isinstance(v, dict) and "statementMap" in v for v in data.values()):
            return "Istanbul JSON (not read: use its lcov or cobertura reporter)"
        return "JSON that is not a coverage.py report"
    report = _Report(path, "coverage-json")
    totals = data.get("totals")
    if isinstance(totals, dict):
        covered, statements = totals.get("covered_lines"), totals.get("num_statements")
        if isinstance(covered, int) and isinstance(statements, int):
            report.declared_line_rate = round(covered / statements, 6) if statements else 1.0
        branches, covered_branches = totals.get("num_branches"), totals.get("covered_branches")
        if isinstance(branches, int) and isinstance(covered_branches, int) and branches:
            report.branch_rate = round(covered_branches / branches, 6)
    for name, entry in sorted(data["files"].items()):
        if not isinstance(entry, dict):
            continue
        lines = dict.fromkeys(_ints(entry.get("executed_lines")), True)
        for number in _ints(entry.get("missing_lines")):
            lines.setdefault(number, False)
        report.add(mapper.map(str(name), [base]), str(name), lines)
    return report


def _lcov(path: str, text: str, mapper: PathMapper, base: str) -> _Report:
    report = _Report(path, "lcov")
    name: str | None = None
    lines: dict[int, bool] = {}
    found = hit = 0
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("SF:"):
            name, lines = line[3:], {}
        elif line.startswith("DA:") and name is not None:
            parts = line[3:].split(",")
            number = parse_int(parts[0]) if parts else None
            hits = parse_float(parts[1]) if len(parts) > 1 else None
            if number is not None and number > 0 and hits is not None:
                lines[number] = lines.get(number, False) or hits > 0
        elif line.startswith("LF:"):
            found += parse_int(line[3:]) or 0
        elif line.startswith("LH:"):
            hit += parse_int(line[3:]) or 0
        elif line == "end_of_record" and name is not None:
            report.add(mapper.map(name, [base]), name, lines)
            name, lines = None, {}
    if name is not None:  # a last record without end_of_record (truncated file): keep what it has
        report.add(mapper.map(name, [base]), name, lines)
    if found:
        report.declared_line_rate = round(hit / found, 6)
    return report


def _ints(value: Any) -> list[int]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, int) and not isinstance(v, bool) and v > 0]


def _rate(value: str | None) -> float | None:
    number = parse_float(value)
    if number is None:
        return None
    return round(min(max(number, 0.0), 1.0), 6)


# ---- facts ------------------------------------------------------------------------------------------
def _summary(lines: dict[int, bool]) -> dict[str, Any]:
    valid = len(lines)
    covered = sum(lines.values())
    return {"lines_valid": valid, "lines_covered": covered, "line_rate": _ratio(covered, valid)}


def _ratio(covered: int, valid: int) -> float:
    """A file with no executable lines is fully covered (coverage.py and Cobertura say 1.0 too)."""
    return round(covered / valid, 6) if valid else 1.0


def _facts(reports: list[_Report]) -> dict[str, Any]:
    reports = sorted(reports, key=lambda r: r.path)
    merged: dict[str, dict[int, bool]] = {}
    sources: dict[str, list[str]] = {}
    out_reports: dict[str, Any] = {}
    unmapped: list[dict[str, str]] = []
    unmapped_count = 0
    for report in reports:
        for path, lines in report.lines.items():
            held = merged.setdefault(path, {})
            for number, covered in lines.items():
                held[number] = held.get(number, False) or covered
            sources.setdefault(path, []).append(report.path)
        own_valid = sum(len(lines) for lines in report.lines.values())
        own_covered = sum(sum(lines.values()) for lines in report.lines.values())
        entry: dict[str, Any] = {
            "format": report.format,
            "files": report.names,
            "mapped": len(report.lines),
            "unmapped": len(report.unmapped),
            "lines_valid": own_valid,
            "lines_covered": own_covered,
            "line_rate": round(own_covered / own_valid, 6) if own_valid else 0.0,
        }
        if report.declared_line_rate is not None:
            entry["declared_line_rate"] = report.declared_line_rate
        if report.branch_rate is not None:
            entry["branch_rate"] = report.branch_rate
        out_reports[report.path] = entry
        unmapped_count += len(report.unmapped)
        for name in report.unmapped:
            if len(unmapped) < MAX_LISTED:
                unmapped.append({"report": report.path, "name": name})
    by_path = {path: {**_summary(lines), "reports": sources[path]} for path, lines in sorted(merged.items())}
    by_dir: dict[str, list[int]] = {}
    for path, entry in by_path.items():
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            sums = by_dir.setdefault("/".join(parts[:depth]), [0, 0, 0])
            sums[0] += 1
            sums[1] += entry["lines_valid"]
            sums[2] += entry["lines_covered"]
    total_valid = sum(e["lines_valid"] for e in by_path.values())
    total_covered = sum(e["lines_covered"] for e in by_path.values())
    return {
        "totals": {
            "files": len(by_path),
            "lines_valid": total_valid,
            "lines_covered": total_covered,
            # fail closed: nothing measured (no report, or nothing mapped) is 0.0, not "fully covered"
            "line_rate": round(total_covered / total_valid, 6) if total_valid else 0.0,
        },
        "reports": out_reports,
        "by_path": by_path,
        "by_dir": {
            d: {"files": f, "lines_valid": v, "lines_covered": c, "line_rate": _ratio(c, v)}
            for d, (f, v, c) in sorted(by_dir.items())
        },
        "unmapped": unmapped,
        "unmapped_count": unmapped_count,
    }
