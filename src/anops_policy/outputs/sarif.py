"""``sarif``: SARIF 2.1.0 for code-scanning UIs (GitHub code scanning, Azure DevOps, IDE viewers).

One rule per policy of the evaluated packs, one result per failing, erroring or waived decision (a waived
one carries an accepted ``suppression``, so viewers show it as dismissed rather than hiding it). Locations
are the decision's evidence, relative to the checkout root (``%SRCROOT%``). ``partialFingerprints`` carry
the decision fingerprint, which ignores line numbers, so an alert survives unrelated edits. Valid against
the official schema (tests/outputs validates every golden file).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from anops_policy import __version__
from anops_policy.evaluation.baseline import baseline_states
from anops_policy.evaluation.report import Report
from anops_policy.outputs.common import config_location, policies_by_id, repo_path, why_lines
from anops_policy.policy.model import Decision, Level, Outcome, Policy

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "anopsPolicy/v1"
MAX_LOCATIONS = 10  # GitHub reads at most 10 locations per result; the rest become related locations
MAX_RELATED = 50
# GitHub code scanning buckets: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.5"}
PROBLEM_SEVERITY = {"critical": "error", "high": "error", "medium": "warning", "low": "recommendation",
                    "info": "recommendation"}
REPORTED = (Outcome.FAIL, Outcome.ERROR, Outcome.WAIVED)


class SarifFormatter:
    name = "sarif"
    description = "SARIF 2.1.0 for code scanning (one rule per policy, one result per failure)"

    def render(self, report: Report) -> str:
        return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"


def sarif_log(report: Report) -> dict[str, Any]:
    policies = policies_by_id(report)
    rule_ids = _rule_ids(report)
    rules = [_rule(report, rule_ids[key], policy) for key, policy in policies.items()]
    index = {key: i for i, key in enumerate(policies)}
    states = baseline_states(report)
    results = [
        _result(report, d, rule_ids[(d.pack, d.policy)], index[(d.pack, d.policy)], states.get(d.fingerprint))
        for d in report.decisions if d.outcome in REPORTED and (d.pack, d.policy) in index
    ]
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "anops-policy",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": rules,
        }},
        "invocations": [_invocation(report)],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": _run_properties(report),
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _rule_ids(report: Report) -> dict[tuple[str, str], str]:
    """The policy id, qualified by its pack only when two packs define the same id."""
    counts: dict[str, int] = {}
    for pack in report.packs:
        for policy in pack.policies:
            counts[policy.id] = counts.get(policy.id, 0) + 1
    return {
        (pack.id, policy.id): policy.id if counts[policy.id] == 1 else f"{pack.id}/{policy.id}"
        for pack in report.packs for policy in pack.policies
    }


def _run_day(report: Report) -> date:
    try:
        return date.fromisoformat(str(report.run.get("now", ""))[:10])
    except ValueError:
        return date.today()


def _blocks(level: Level, report: Report) -> bool:
    fail_on = Level(report.run.get("fail_on", Level.SOFT.value))
    return level.rank >= fail_on.rank


def _rule(report: Report, rule_id: str, policy: Policy) -> dict[str, Any]:
    item = next((i for i in report.items if i.id == policy.checklist), None)
    level = policy.level_on(_run_day(report))
    tags = ["production-readiness", f"checklist-{policy.checklist}", policy.severity, *policy.tags]
    help_lines = [policy.remediation.strip() or policy.title]
    if item is not None:
        help_lines.append(f"Checklist {item.id} ({item.section}): {item.title}")
    help_lines.extend(policy.references)
    markdown = [policy.remediation.strip() or policy.title]
    if item is not None:
        markdown.append(f"**Checklist {item.id}** ({item.section}): {item.title}")
    markdown.extend(f"- {ref}" for ref in policy.references)
    markdown.append(f"Enforcement: `{level.value}` · severity: `{policy.severity}` · "
                    f"details: `anops-policy explain {policy.id}`")
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in policy.id.split("-")),
        "shortDescription": {"text": policy.title},
        "fullDescription": {"text": (policy.description or policy.title).strip()},
        "help": {"text": "\n\n".join(help_lines), "markdown": "\n\n".join(markdown)},
        "defaultConfiguration": {"level": "error" if _blocks(level, report) else "warning"},
        "properties": {
            "tags": list(dict.fromkeys(tags)),
            "security-severity": SECURITY_SEVERITY.get(policy.severity, "5.5"),
            "problem.severity": PROBLEM_SEVERITY.get(policy.severity, "warning"),
            "checklist": policy.checklist,
            "enforcement": level.value,
        },
    }


def _location(report: Report, evidence: dict[str, Any], ident: int | None = None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(repo_path(report, str(evidence["path"]))),
                                                     "uriBaseId": SRCROOT}}
    if isinstance(evidence.get("line"), int) and evidence["line"] >= 1:
        physical["region"] = {"startLine": evidence["line"]}
    out: dict[str, Any] = {"physicalLocation": physical}
    if ident is not None:
        out["id"] = ident
    return out


def _uri(path: str) -> str:
    from urllib.parse import quote  # noqa: PLC0415

    return quote(path, safe="/-._~")


def _result(report: Report, d: Decision, rule_id: str, rule_index: int, state: str | None) -> dict[str, Any]:
    evidence = d.evidence or [{"path": config_location(report)}]
    text = "\n".join([d.message, *why_lines(d)])
    result: dict[str, Any] = {
        "ruleId": rule_id,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": "error" if d.blocking else "warning",
        "message": {"text": text},
        "locations": [_location(report, e) for e in evidence[:MAX_LOCATIONS]],
        "partialFingerprints": {FINGERPRINT_KEY: d.fingerprint},
        "properties": {
            "outcome": d.outcome.value,
            "subject": d.subject,
            "checklist": d.checklist,
            "enforcement": d.enforcement.value,
            "severity": d.severity,
            "blocking": d.blocking,
        },
    }
    related = evidence[MAX_LOCATIONS:MAX_LOCATIONS + MAX_RELATED]
    if related:
        result["relatedLocations"] = [_location(report, e, i) for i, e in enumerate(related, start=1)]
    if state is not None:
        result["baselineState"] = state
    if d.outcome == Outcome.WAIVED:
        waiver = d.waiver or {}
        justification = "; ".join(
            f"{key}: {waiver[key]}" for key in ("reason", "owner", "ticket", "expires") if waiver.get(key)
        )
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": justification or "waived in anops-policy.yaml"}]
    return result


def _invocation(report: Report) -> dict[str, Any]:
    notifications: list[dict[str, Any]] = []
    for name, meta in sorted(report.collectors.items()):
        status = meta.get("status")
        if status in ("error", "not_configured"):
            notifications.append({
                "level": "error" if status == "error" else "note",
                "message": {"text": f"collector {name}: {status}: {meta.get('error')}"},
                "properties": {"collector": name, "status": status},
            })
    notifications.extend({"level": "warning", "message": {"text": note}} for note in report.notes)
    invocation: dict[str, Any] = {
        "executionSuccessful": report.exit_code in (0, 1),
        "exitCode": report.exit_code,
        "exitCodeDescription": _exit_description(report),
    }
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return invocation


def _exit_description(report: Report) -> str:
    if report.blocking:
        return f"{len(report.blocking)} blocking failures"
    if report.exit_code == 1:
        return "no policy applied, so nothing was checked"
    return "no blocking failure"


def _run_properties(report: Report) -> dict[str, Any]:
    props: dict[str, Any] = {
        "summary": report.summary_line(),
        "now": report.run.get("now"),
        "failOn": report.run.get("fail_on"),
        "factsDigest": report.run.get("facts_digest"),
        "commit": report.run.get("commit"),
        "packs": [{"id": p.id, "version": p.version, "digest": p.digest} for p in report.packs],
        "outcomes": report.outcome_counts(),
        "items": {
            "total": len(report.items),
            "applicable": report.applicable_count,
            "notApplicable": report.not_applicable_count,
            "satisfied": report.satisfied_count,
        },
    }
    if report.baseline is not None:
        props["baseline"] = {"file": report.baseline["file"], **report.baseline["counts"]}
    return props
