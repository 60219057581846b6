"""``text``: the human report: by checklist item in pack order, failures explained with ``path:line``."""

from __future__ import annotations

import json
import re
from typing import Any

from anops_policy.evaluation.report import ItemResult, Report
from anops_policy.outputs.common import clause_lines
from anops_policy.policy.model import Decision, Outcome

MARKS = {
    Outcome.PASS: "✓",
    Outcome.FAIL: "✗",
    Outcome.ERROR: "!",
    Outcome.NOT_APPLICABLE: "–",
    Outcome.WAIVED: "~",
}
ITEM_MARKS = {"satisfied": "✓", "failed": "✗", "error": "!", "not_applicable": "–", "no_decision": "?"}
COLORS = {"✓": "green", "✗": "red", "!": "magenta", "–": "bright_black", "~": "yellow", "?": "yellow"}


# Characters a repository could use to forge report lines or hide text on a terminal: C0 and C1
# controls (newline, carriage return, escape sequences), DEL, the Unicode line and paragraph separators
# and the bidirectional embeddings, overrides and isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def _clean(value: Any) -> str:
    """``value`` as text that prints on one line as itself: unsafe characters become visible escapes."""
    return _UNSAFE.sub(_escape, str(value))


def _fmt(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return _clean(text if len(text) <= 160 else text[:157] + "…")


def _where(loc: dict[str, Any]) -> str:
    return _clean(f"{loc['path']}:{loc['line']}" if loc.get("line") else loc["path"])


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

    @property
    def quiet(self) -> bool:
        """``-q``: only what is not satisfied (nor not applicable), its failing and erroring decisions
        (message and location), then the summary."""
        return self.verbosity < 0

    def render(self, report: Report) -> str:
        out: list[str] = []
        run = report.run
        if not self.quiet:
            packs = ", ".join(f"{p.id} {p.version}" for p in report.packs)
            out.append(_clean(f"anops-policy · {run.get('path', '.')} · {packs} · now {run.get('now')}"))
        section = None
        for item in report.items:
            if self.quiet and item.status in ("satisfied", "not_applicable"):
                continue
            if item.section != section:
                section = item.section
                if out:
                    out.append("")
                out.append(_clean(section))
            out.extend(self._item(item))
        if out:
            out.append("")
        if not self.quiet:
            out.extend(self._collectors(report))
        for note in report.notes:
            out.append(f"{self._mark('!')} {_clean(note)}")
        out.append(report.summary_line())
        return "\n".join(out) + "\n"

    def _item(self, item: ItemResult) -> list[str]:
        lines = [f"  {self._mark(ITEM_MARKS[item.status])} {_clean(item.id)} {_clean(item.title)}"]
        if not item.decisions:
            lines.append("      no policy decided this item")
            return lines
        if self.quiet:
            for decision in item.decisions:
                if decision.outcome in (Outcome.FAIL, Outcome.ERROR):
                    lines.extend(self._decision(decision))
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
        subject = f" [{_clean(d.subject)}]" if d.subject else ""
        level = (
            f" ({d.enforcement.value}{', blocking' if d.blocking else ''})"
            if d.outcome in (Outcome.FAIL, Outcome.ERROR)
            else ""
        )
        lines = [f"      {self._mark(MARKS[d.outcome])} {_clean(d.policy)}{subject}{level}"]
        if d.outcome in (Outcome.PASS,) and self.verbosity > 0:
            return lines
        lines.append(f"          {_clean(d.message)}")
        if not self.quiet:
            for clause in d.explanation.get("failed_clauses", []):
                lines.extend(self._clause(clause))
        if d.evidence:
            shown = ", ".join(_where(e) for e in d.evidence[:8])
            more = f" (+{len(d.evidence) - 8} more)" if len(d.evidence) > 8 else ""
            lines.append(f"          at: {shown}{more}")
        if self.quiet:
            return lines
        if d.waiver:
            waiver = f"{d.waiver.get('status', '')} {d.waiver.get('note', '')}".rstrip()
            lines.append(f"          waiver: {_clean(waiver)}")
        if d.outcome in (Outcome.FAIL, Outcome.ERROR, Outcome.WAIVED) and d.remediation:
            lines.append(f"          fix: {_clean(d.remediation)}")
        return lines

    @staticmethod
    def _clause(clause: dict[str, Any]) -> list[str]:
        lines = clause_lines(clause)
        return [f"          why: {_clean(lines[0])}", *(f"          {_clean(line)}" for line in lines[1:])]

    def _collectors(self, report: Report) -> list[str]:
        problems = []
        for name, meta in sorted(report.collectors.items()):
            status = meta.get("status")
            if status != "ok":
                mark = self._mark("!" if status == "error" else "–")
                problem = f"collector {name}: {status}: {meta.get('error')}"
                problems.append(f"  {mark} {_clean(problem)}")
            skipped = meta.get("skipped", [])
            if skipped and self.verbosity > 0:
                for skip in skipped[:10]:
                    skipped_one = f"collector {name} skipped {skip['path']}: {skip['reason']}"
                    problems.append(f"  – {_clean(skipped_one)}")
        return problems
