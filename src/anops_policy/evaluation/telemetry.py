"""What an evaluation tells telemetry: a run's verdict on its ``anops.eval`` span and each policy's decisions
on its span and metrics, read from the report and decisions and passed on as plain values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from anops_policy.telemetry import tracing

if TYPE_CHECKING:
    from anops_policy.evaluation.report import Report
    from anops_policy.policy.model import Decision


def record_eval(span_: tracing.Span, report: Report) -> None:
    """The run's verdict on the ``anops.eval`` span."""
    if not tracing.enabled():
        return
    span_.update(
        {
            "anops.decisions": len(report.decisions),
            "anops.blocking_failures": len(report.blocking),
            "anops.items_satisfied": report.satisfied_count,
            "anops.items_applicable": report.applicable_count,
            "anops.items_total": len(report.items),
            "anops.exit_code": report.exit_code,
            **{f"anops.outcome.{k}": v for k, v in report.outcome_counts().items() if v},
        }
    )
    span_.set("anops.facts_digest", report.run.get("facts_digest"))
    span_.set("anops.commit", report.run.get("commit"))


def record_decisions(span_: tracing.Span, policy_id: str, pack: str, decisions: Sequence[Decision]) -> None:
    """A policy was evaluated: its subjects and decisions by outcome (see ``tracing.record_policy``)."""
    if not tracing.enabled():  # counting costs nothing while tracing is off
        return
    counts: dict[str, int] = {}
    for decision in decisions:
        counts[decision.outcome.value] = counts.get(decision.outcome.value, 0) + 1
    # a policy without for_each decides once, without a subject
    subjects = len({d.subject for d in decisions if d.subject is not None})
    tracing.record_policy(span_, policy_id, pack, counts, subjects)
