"""``--baseline FILE``: the ratchet. A previous run (its JSON report, or the decision log it appended to)
names the failures that already existed; in this run only a failure whose fingerprint is *new* blocks.

A failure is *unchanged* when the baseline has its fingerprint (policy, subject and evidence *paths*, never
line numbers, so moving code within a file changes nothing), or has a failure of the same policy and
subject whose evidence covers every file this one cites: an aggregate decision ("6 markers lack an owner")
that lost a file is an improvement, not a new failure, while one that gained a file is new. Evidence is
capped (50 locations per decision), so a very large decision may be judged new conservatively.

Only ``fail`` outcomes are ratcheted: an ``error`` (the engine
could not decide) keeps blocking even when the baseline had it too, because a baseline must never turn a
broken collector or policy into a silent green. A ``waived`` decision is not a baseline failure either: when
its waiver expires, the failure blocks again, as the waiver's owner was promised.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anops_policy.errors import InputError
from anops_policy.evaluation.report import Report
from anops_policy.policy.model import Decision, Outcome

MAX_BASELINE_BYTES = 256 * 1024 * 1024
NEW = "new"
UNCHANGED = "unchanged"
# Waiver states under which a logged ``fail`` was in fact accepted (the log keeps the underlying fail).
APPLIED_WAIVER_STATES = {"applied", "valid", "active"}


@dataclass(frozen=True)
class BaselineFailure:
    fingerprint: str
    policy: str
    subject: str | None
    message: str
    paths: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Baseline:
    source: str  # the file as the user named it
    kind: str  # "report" | "decision_log"
    failures: Mapping[str, BaselineFailure]  # by fingerprint


def load_baseline(path: Path) -> Baseline:
    """Read a JSON report (``eval --output json=…``) or a decision log (JSON Lines; the last eval event)."""
    where = f"--baseline {path}"
    try:
        if path.stat().st_size > MAX_BASELINE_BYTES:
            raise InputError(f"{where}: larger than {MAX_BASELINE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{where}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: unreadable: {exc}") from None
    if path.suffix == ".jsonl" or (_first_line_is_object(text) and "\n" in text.strip()):
        return Baseline(str(path), "decision_log", _failures(_last_eval_decisions(text, where), where))
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = None
    if not isinstance(document, dict) or "decisions" not in document:
        raise InputError(f"{where}: expected a JSON report (eval --output json=FILE) or a decision log (.jsonl)")
    kind = "decision_log" if document.get("kind") == "eval" else "report"  # a one-event log
    return Baseline(str(path), kind, _failures(document["decisions"], where))


def _first_line_is_object(text: str) -> bool:
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        return isinstance(json.loads(first), dict)
    except json.JSONDecodeError:
        return False


def _last_eval_decisions(text: str, where: str) -> list[Any]:
    """The decisions of the log's last eval event. Sign-off and other events carry no ``decisions``."""
    last: list[Any] | None = None
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == len(lines):  # a torn last line (a crash mid-append) is not part of the log yet
                continue
            raise InputError(f"{where}:{number}: not JSON ({exc.msg})") from None
        if not isinstance(event, dict):
            raise InputError(f"{where}:{number}: expected a JSON object per line")
        kind = event.get("type", event.get("kind", "eval"))
        if kind == "eval" and isinstance(event.get("decisions"), list):
            last = event["decisions"]
    if last is None:
        raise InputError(f"{where}: the decision log holds no eval event with decisions")
    return last


def _failures(decisions: Any, where: str) -> dict[str, BaselineFailure]:
    if not isinstance(decisions, list):
        raise InputError(f"{where}: 'decisions' must be a list")
    out: dict[str, BaselineFailure] = {}
    for index, entry in enumerate(decisions):
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str) \
                or not isinstance(entry.get("outcome"), str):
            raise InputError(f"{where}: decision #{index} lacks a string 'fingerprint' and 'outcome'")
        if entry["outcome"] != Outcome.FAIL.value or _waived(entry.get("waiver")):
            continue
        subject = entry.get("subject")
        evidence = entry.get("evidence")
        out[entry["fingerprint"]] = BaselineFailure(
            entry["fingerprint"], str(entry.get("policy", "")), subject if isinstance(subject, str) else None,
            str(entry.get("message", "")), _paths(evidence) if isinstance(evidence, list) else frozenset(),
        )
    return out


def _paths(evidence: Iterable[Any]) -> frozenset[str]:
    return frozenset(str(e["path"]) for e in evidence if isinstance(e, dict) and e.get("path"))


def _match(decision: Decision, baseline: Baseline, by_key: Mapping[tuple[str, str | None], list[BaselineFailure]]
           ) -> BaselineFailure | None:
    """The baseline failure this failure continues, if any (see the module docstring)."""
    exact = baseline.failures.get(decision.fingerprint)
    if exact is not None:
        return exact
    paths = _paths(decision.evidence)
    return next((c for c in by_key.get((decision.policy, decision.subject), []) if paths <= c.paths), None)


def _waived(waiver: Any) -> bool:
    return isinstance(waiver, dict) and str(waiver.get("status", "")) in APPLIED_WAIVER_STATES


def apply_baseline(report: Report, baseline: Baseline) -> None:
    """Classify this run's failures against ``baseline``; unchanged ones stop blocking. Records the result
    on ``report.baseline`` (rendered by every format) and a note for the text report."""
    by_key: dict[tuple[str, str | None], list[BaselineFailure]] = {}
    for failure in baseline.failures.values():
        by_key.setdefault((failure.policy, failure.subject), []).append(failure)
    states: dict[str, str] = {}
    matched: set[str] = set()
    for decision in report.decisions:
        if decision.outcome != Outcome.FAIL:
            continue
        previous = _match(decision, baseline, by_key)
        states[decision.fingerprint] = NEW if previous is None else UNCHANGED
        if previous is not None:
            matched.add(previous.fingerprint)
            decision.blocking = False
    fixed = sorted(
        (f for fp, f in baseline.failures.items() if fp not in matched),
        key=lambda f: (f.policy, f.subject or "", f.fingerprint),
    )
    new = [d for d in report.decisions if states.get(d.fingerprint) == NEW]
    unchanged = [d for d in report.decisions if states.get(d.fingerprint) == UNCHANGED]
    report.baseline = {
        "file": baseline.source,
        "kind": baseline.kind,
        "counts": {"new": len(new), "unchanged": len(unchanged), "fixed": len(fixed)},
        "new": [d.fingerprint for d in new],
        "unchanged": [d.fingerprint for d in unchanged],
        "fixed": [
            {"policy": f.policy, "subject": f.subject, "fingerprint": f.fingerprint, "message": f.message}
            for f in fixed
        ],
    }
    report.notes.append(_note(baseline, new, unchanged, fixed))


def _note(baseline: Baseline, new: Iterable[Decision], unchanged: list[Decision], fixed: list[BaselineFailure]) -> str:
    blocking_new = sum(1 for d in new if d.blocking)
    parts = [f"baseline {baseline.source}: {blocking_new} new blocking failures"]
    if unchanged:
        parts.append(f"{len(unchanged)} unchanged failures do not block (already in the baseline)")
    if fixed:
        names = ", ".join(f"{f.policy}{f' [{f.subject}]' if f.subject else ''}" for f in fixed[:10])
        more = f" (+{len(fixed) - 10} more)" if len(fixed) > 10 else ""
        parts.append(f"{len(fixed)} fixed: {names}{more}")
    return "; ".join(parts)


def baseline_states(report: Report) -> dict[str, str]:
    """Fingerprint → ``new`` | ``unchanged`` for this run's failures (empty without a baseline)."""
    if report.baseline is None:
        return {}
    states = dict.fromkeys(report.baseline["new"], NEW)
    states.update(dict.fromkeys(report.baseline["unchanged"], UNCHANGED))
    return states
