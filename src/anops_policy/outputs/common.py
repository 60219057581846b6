"""Helpers the CI formats share: file names from the checkout root, plain-text explanations, policy lookup."""

from __future__ import annotations

import json
import posixpath
from typing import Any

from anops_policy.evaluation.report import Report
from anops_policy.policy.model import Decision, Outcome, Policy

FAILING = (Outcome.FAIL, Outcome.ERROR)
MAX_LISTED = 5


def repo_path(report: Report, path: str) -> str:
    """``path`` (relative to the evaluated directory) as CI systems want it: relative to the checkout root."""
    prefix = str(report.run.get("repo_prefix") or "").strip("/")
    return f"{prefix}/{path}" if prefix else path


def config_location(report: Report) -> str:
    """Where a decision without evidence points: the repository config (where the policy is tuned)."""
    config, base = report.run.get("config"), str(report.run.get("path") or ".")
    if isinstance(config, str) and posixpath.isabs(config) == posixpath.isabs(base):
        rel = posixpath.relpath(config, base)
        if not rel.startswith(".."):
            return rel
    return "anops-policy.yaml"


def where(report: Report, location: dict[str, Any]) -> str:
    path = repo_path(report, str(location["path"]))
    return f"{path}:{location['line']}" if location.get("line") else path


def short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clause_lines(clause: dict[str, Any]) -> list[str]:
    """One failed clause: ``text  →  what was found``, then (for ``all``/``not exists``) the first failing
    elements indented with ``  - `` and a ``  … N more`` line. Shared by every human-readable format."""
    text = clause.get("text", "")
    if "op" in clause:
        compared = f"{short(clause.get('left'))} {clause['op']} {short(clause.get('right'))}"
        return [f"{text}  →  {f'not ({compared})' if clause.get('negated') else compared}"]
    if clause.get("macro") in ("all", "not exists"):
        at_least = "at least " if clause.get("truncated") else ""
        count = clause.get("failing_count", 0)
        lines = [f"{text}  →  {at_least}{count} of {clause.get('total', 0)} elements fail"]
        failing = clause.get("failing", [])
        for element in failing[:MAX_LISTED]:
            at = ""
            if element.get("path"):
                at = str(element["path"]) + (f":{element['line']}" if element.get("line") else "") + " "
            lines.append(f"  - {at}{short(element.get('element'))}")
        extra = count - min(MAX_LISTED, len(failing))
        if extra > 0:
            lines.append(f"  … {at_least}{extra} more")
        return lines
    if "note" in clause:
        return [f"{text}  →  {clause['note']}"]
    if "error" in clause:
        return [f"{text}  →  error: {clause['error']}"]
    return [f"{text}  →  {short(clause.get('value'))}"]


def why_lines(decision: Decision) -> list[str]:
    """The failed clauses of a decision, one line each (failing elements indented below ``all``/``exists``)."""
    return [line for clause in decision.explanation.get("failed_clauses", []) for line in clause_lines(clause)]


def level_text(decision: Decision, baseline_state: str | None = None) -> str:
    """``soft, blocking`` / ``advisory`` / ``soft, in baseline``: why a failure does or does not block."""
    parts = [decision.enforcement.value]
    if decision.blocking:
        parts.append("blocking")
    if baseline_state == "unchanged":
        parts.append("in baseline")
    elif baseline_state == "new":
        parts.append("new")
    return ", ".join(parts)


def policies_by_id(report: Report) -> dict[tuple[str, str], Policy]:
    return {(pack.id, policy.id): policy for pack in report.packs for policy in pack.policies}


def detail_text(report: Report, decision: Decision) -> str:
    """Message, why, where, fix: the plain-text body JUnit and annotations show for a failure."""
    lines = [decision.message]
    lines.extend(f"why: {line}" for line in why_lines(decision))
    if decision.evidence:
        shown = ", ".join(where(report, e) for e in decision.evidence[:10])
        more = f" (+{len(decision.evidence) - 10} more)" if len(decision.evidence) > 10 else ""
        lines.append(f"at: {shown}{more}")
    if decision.waiver:
        lines.append(f"waiver: {decision.waiver.get('status', '')} {decision.waiver.get('note', '')}".rstrip())
    if decision.remediation:
        lines.append(f"fix: {decision.remediation.strip()}")
    return "\n".join(lines)
