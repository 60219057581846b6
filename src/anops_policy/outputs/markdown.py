"""``markdown``: a summary for pull-request comments and the GitHub step summary: a table by checklist
section, then each failure with its explanation in a collapsible ``<details>`` block, then waivers, the
baseline comparison and collector problems. GitHub-flavoured Markdown; user text is escaped."""

from __future__ import annotations

import html
import re

from anops_policy.evaluation.baseline import baseline_states
from anops_policy.evaluation.report import Report
from anops_policy.outputs.common import level_text, where, why_lines
from anops_policy.policy.model import Decision, Outcome

MAX_DETAILED = 200  # the GitHub step summary holds 1 MiB; a few hundred explained failures fit
_SPECIAL = re.compile(r"([\\`*_\[\]|<>#~])")
MARKS = {"satisfied": "✅", "failed": "❌", "error": "⚠️", "not_applicable": "➖", "no_decision": "❔"}


def text(value: str) -> str:
    """Plain text that renders as itself in GFM (also inside a table cell)."""
    return _SPECIAL.sub(r"\\\1", value).replace("\n", " ")


def authored(value: str) -> str:
    """Text a pack author wrote (titles, remediation): Markdown such as `code` is kept, raw HTML is not."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ").strip()


def code(value: str) -> str:
    fence = "``" if "`" in value else "`"
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value.replace(chr(10), ' ')}{pad}{fence}"


class MarkdownFormatter:
    name = "markdown"
    description = "a Markdown summary (section table, failures in collapsible details) for PRs and CI summaries"

    def render(self, report: Report) -> str:
        out = [f"## anops-policy: {text(report.summary_line())}", "", _run_line(report), ""]
        out.extend(_table(report))
        out.extend(_failures(report))
        out.extend(_waived(report))
        out.extend(_baseline(report))
        out.extend(_problems(report))
        return "\n".join(out).rstrip("\n") + "\n"


def _run_line(report: Report) -> str:
    run = report.run
    parts = [code(str(run.get("path", ".")))]
    parts.extend(f"{text(p.id)} {text(p.version)}" for p in report.packs)
    parts.append(f"now {text(str(run.get('now')))}")
    parts.append(f"fail-on {text(str(run.get('fail_on')))}")
    if run.get("commit"):
        parts.append(f"commit {code(str(run['commit'])[:12])}")
    return " · ".join(parts)


def _table(report: Report) -> list[str]:
    rows: dict[str, list[int]] = {}
    for item in report.items:
        row = rows.setdefault(item.section, [0, 0, 0, 0, 0, 0, 0])
        row[0] += 1
        row[1] += item.status == "satisfied"
        row[2] += item.status == "failed"
        row[3] += item.status == "error"
        row[4] += item.status == "not_applicable"
        row[5] += item.status == "no_decision"
        row[6] += sum(1 for d in item.decisions if d.blocking)
    lines = [
        "| Section | Items | Satisfied | Failed | Error | Not applicable | No decision | Blocking failures |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for section, row in rows.items():
        lines.append(f"| {text(section)} | " + " | ".join(str(v) for v in row) + " |")
    totals = [sum(row[i] for row in rows.values()) for i in range(7)]
    lines.append("| **Total** | " + " | ".join(f"**{v}**" for v in totals) + " |")
    lines.append("")
    unsatisfied = [i for i in report.items if i.status not in ("satisfied", "not_applicable")]
    if unsatisfied:
        lines.append("<details><summary>Checklist items not satisfied</summary>")
        lines.append("")
        for item in unsatisfied:
            status = item.status.replace("_", " ")
            lines.append(f"- {MARKS[item.status]} **{text(item.id)}** {authored(item.title)} ({status})")
        lines.append("")
        lines.append("</details>")
        lines.append("")
    return lines


def _failures(report: Report) -> list[str]:
    failing = [d for d in report.decisions if d.outcome in (Outcome.FAIL, Outcome.ERROR)]
    if not failing:
        return []
    failing.sort(key=lambda d: not d.blocking)  # stable: blocking first, each group in report order
    states = baseline_states(report)
    lines = [f"### Failures and errors ({len(failing)})", ""]
    for d in failing[:MAX_DETAILED]:
        lines.extend(_details(report, d, states.get(d.fingerprint)))
    if len(failing) > MAX_DETAILED:
        lines.append(f"… and {len(failing) - MAX_DETAILED} more (see the JSON or SARIF report).")
        lines.append("")
    return lines


def _details(report: Report, d: Decision, state: str | None) -> list[str]:
    mark = "❌" if d.outcome == Outcome.FAIL else "⚠️"
    subject = f" · {html.escape(d.subject)}" if d.subject else ""
    summary = (f"{mark} <b>{html.escape(d.checklist)}</b> <code>{html.escape(d.policy)}</code>{subject}"
               f" · {html.escape(level_text(d, state))}")
    lines = [f"<details><summary>{summary}</summary>", "", text(d.message), ""]
    why = why_lines(d)
    if why:
        lines.extend(["```text", *why, "```", ""])
    if d.evidence:
        shown = ", ".join(code(where(report, e)) for e in d.evidence[:10])
        more = f" (+{len(d.evidence) - 10} more)" if len(d.evidence) > 10 else ""
        lines.extend([f"**At:** {shown}{more}", ""])
    if d.remediation:
        lines.extend([f"**Fix:** {authored(d.remediation)}", ""])
    lines.extend(["</details>", ""])
    return lines


def _waived(report: Report) -> list[str]:
    waived = [d for d in report.decisions if d.outcome == Outcome.WAIVED]
    if not waived:
        return []
    lines = [f"### Waived ({len(waived)})", ""]
    for d in waived:
        waiver = d.waiver or {}
        note = "; ".join(f"{k}: {waiver[k]}" for k in ("owner", "reason", "ticket", "expires") if waiver.get(k))
        subject = f" {code(d.subject)}" if d.subject else ""
        lines.append(f"- {code(d.policy)}{subject}: {text(note or d.message)}")
    lines.append("")
    return lines


def _baseline(report: Report) -> list[str]:
    if report.baseline is None:
        return []
    counts = report.baseline["counts"]
    lines = [
        f"### Baseline {code(report.baseline['file'])}",
        "",
        f"{counts['new']} new · {counts['unchanged']} unchanged (not blocking) · {counts['fixed']} fixed",
        "",
    ]
    for entry in report.baseline["fixed"]:
        subject = f" {code(entry['subject'])}" if entry.get("subject") else ""
        lines.append(f"- fixed: {code(entry['policy'])}{subject}")
    if report.baseline["fixed"]:
        lines.append("")
    return lines


def _problems(report: Report) -> list[str]:
    lines = []
    for name, meta in sorted(report.collectors.items()):
        if meta.get("status") != "ok":
            lines.append(f"- collector {code(name)}: {text(str(meta.get('status')))}: {text(str(meta.get('error')))}")
    lines.extend(f"- {text(note)}" for note in report.notes)
    return ["### Notes", "", *lines, ""] if lines else []

