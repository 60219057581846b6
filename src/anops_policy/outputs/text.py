"""``text``: the human report: by checklist item in pack order, failures explained with ``path:line``."""

from __future__ import annotations

import json
from typing import Any

from anops_policy.model import Decision, Outcome
from anops_policy.report import ItemResult, Report

MARKS = {
    Outcome.PASS: "✓",
    Outcome.FAIL: "✗",
    Outcome.ERROR: "!",
    Outcome.NOT_APPLICABLE: "–",
    Outcome.WAIVED: "~",
}
ITEM_MARKS = {"satisfied": "✓", "failed": "✗", "error": "!", "no_decision": "?"}
COLORS = {"✓": "green", "✗": "red", "!": "magenta", "–": "bright_black", "~": "yellow", "?": "yellow"}


def _fmt(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 160 else text[:157] + "…"


def _where(loc: dict[str, Any]) -> str:
    return f"{loc['path']}:{loc['line']}" if loc.get("line") else str(loc["path"])


class TextFormatter:
    name = "text"
    description = "a readable report grouped by checklist item (the default on stdout)"

    def __init__(self, *, color: bool = False, verbosity: int = 0) -> None:
        self.color = color
        self.verbosity = verbosity

    def _mark(self, mark: str) -> str:
        if not self.color:
            return mark
        import click  # noqa: PLC0415

        return click.style(mark, fg=COLORS.get(mark), bold=True)

    def render(self, report: Report) -> str:
        out: list[str] = []
        run = report.run
        packs = ", ".join(f"{p.id} {p.version}" for p in report.packs)
        out.append(f"anops-policy · {run.get('path', '.')} · {packs} · now {run.get('now')}")
        section = None
        for item in report.items:
            if item.section != section:
                section = item.section
                out.append("")
                out.append(section)
            out.extend(self._item(item))
        out.append("")
        out.extend(self._collectors(report))
        for note in report.notes:
            out.append(f"{self._mark('!')} {note}")
        out.append(report.summary_line())
        return "\n".join(out) + "\n"

    def _item(self, item: ItemResult) -> list[str]:
        lines = [f"  {self._mark(ITEM_MARKS[item.status])} {item.id} {item.title}"]
        if not item.decisions:
            lines.append("      no policy decided this item")
            return lines
        quiet = [d for d in item.decisions if d.outcome in (Outcome.PASS, Outcome.NOT_APPLICABLE)]
        for decision in item.decisions:
            if decision in quiet and self.verbosity <= 0:
                continue
            lines.extend(self._decision(decision))
        if quiet and self.verbosity <= 0:
            passed = sum(1 for d in quiet if d.outcome == Outcome.PASS)
            na = len(quiet) - passed
            parts = [f"{passed} passed"] if passed else []
            if na:
                parts.append(f"{na} not applicable")
            lines.append(f"      {self._mark('✓') if passed else self._mark('–')} {', '.join(parts)}")
        return lines

    def _decision(self, d: Decision) -> list[str]:
        subject = f" [{d.subject}]" if d.subject else ""
        level = (
            f" ({d.enforcement.value}{', blocking' if d.blocking else ''})"
            if d.outcome in (Outcome.FAIL, Outcome.ERROR)
            else ""
        )
        lines = [f"      {self._mark(MARKS[d.outcome])} {d.policy}{subject}{level}"]
        if d.outcome in (Outcome.PASS,) and self.verbosity > 0:
            return lines
        lines.append(f"          {d.message}")
        for clause in d.explanation.get("failed_clauses", []):
            lines.extend(self._clause(clause))
        if d.evidence:
            shown = ", ".join(_where(e) for e in d.evidence[:8])
            more = f" (+{len(d.evidence) - 8} more)" if len(d.evidence) > 8 else ""
            lines.append(f"          at: {shown}{more}")
        if d.waiver:
            lines.append(f"          waiver: {d.waiver.get('status', '')} {d.waiver.get('note', '')}".rstrip())
        if d.outcome in (Outcome.FAIL, Outcome.ERROR, Outcome.WAIVED) and d.remediation:
            lines.append(f"          fix: {d.remediation}")
        return lines

    def _clause(self, clause: dict[str, Any]) -> list[str]:
        text = clause.get("text", "")
        if "op" in clause:
            return [f"          why: {text}  →  {_fmt(clause['left'])} {clause['op']} {_fmt(clause['right'])}"]
        if clause.get("macro") in ("all", "not exists"):
            lines = [
                f"          why: {text}  →  {clause.get('failing_count', 0)} of {clause.get('total', 0)} elements fail"
            ]
            for element in clause.get("failing", [])[:5]:
                where = f"{_where(element)} " if element.get("path") else ""
                lines.append(f"            - {where}{_fmt(element.get('element'))}")
            extra = clause.get("failing_count", 0) - min(5, len(clause.get("failing", [])))
            if extra > 0:
                lines.append(f"            … {extra} more")
            return lines
        if "note" in clause:
            return [f"          why: {text}  →  {clause['note']}"]
        return [f"          why: {text}  →  {_fmt(clause.get('value'))}"]

    def _collectors(self, report: Report) -> list[str]:
        problems = []
        for name, meta in sorted(report.collectors.items()):
            status = meta.get("status")
            if status != "ok":
                problems.append(
                    f"  {self._mark('!' if status == 'error' else '–')} collector {name}: {status}: {meta.get('error')}"
                )
            skipped = meta.get("skipped", [])
            if skipped and self.verbosity > 0:
                for skip in skipped[:10]:
                    problems.append(f"  – collector {name} skipped {skip['path']}: {skip['reason']}")
        return problems
