"""The run's report: decisions grouped by the packs' checklist items, the summary line and the exit code.
Every output format renders this one structure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from anops_policy import __version__
from anops_policy.errors import EXIT_BLOCKING, EXIT_OK
from anops_policy.policy.model import Decision, Outcome, Pack

# An item is satisfied only by what was checked: a pass or a waived fail (never by not_applicable alone).
SATISFYING = {Outcome.PASS, Outcome.WAIVED}
UNSATISFYING = {Outcome.FAIL, Outcome.ERROR}
OUTCOME_ORDER = {
    o: i for i, o in enumerate([Outcome.ERROR, Outcome.FAIL, Outcome.WAIVED, Outcome.PASS, Outcome.NOT_APPLICABLE])
}


@dataclass
class ItemResult:
    pack: str
    id: str
    title: str
    section: str
    decisions: list[Decision]

    @property
    def applicable(self) -> bool:
        """False when every decision was not_applicable: nothing checked the item (it counts apart)."""
        return not self.decisions or any(d.outcome != Outcome.NOT_APPLICABLE for d in self.decisions)

    @property
    def satisfied(self) -> bool:
        """At least one decision passed (or was waived) and none failed or errored."""
        outcomes = {d.outcome for d in self.decisions}
        return bool(outcomes & SATISFYING) and not outcomes & UNSATISFYING

    @property
    def status(self) -> str:
        if not self.decisions:
            return "no_decision"
        if not self.applicable:
            return "not_applicable"
        if any(d.outcome == Outcome.ERROR for d in self.decisions):
            return "error"
        return "satisfied" if self.satisfied else "failed"


@dataclass
class Report:
    packs: Sequence[Pack]
    decisions: list[Decision]
    run: dict[str, Any]
    collectors: Mapping[str, Any]
    items: list[ItemResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # set by baseline.apply_baseline: counts and fingerprints of new, unchanged and fixed failures
    baseline: dict[str, Any] | None = None
    # set by the engine: what became of each waiver (evaluation/waivers.py), and what the working-tree config
    # changes relative to a --trusted-config (audit/trusted_config.py)
    waivers: list[dict[str, Any]] = field(default_factory=list)
    config_changes: list[dict[str, Any]] = field(default_factory=list)
    # the decision-log event this run appended (not in the JSON report: it differs from run to run)
    logged: dict[str, Any] | None = None
    # set by the engine while tracing is on: the OpenTelemetry trace of this run (also in the decision log)
    trace_id: str | None = None

    def __post_init__(self) -> None:
        self.decisions.sort(key=_decision_key(self.packs))
        for pack in self.packs:
            for item in pack.items:
                chosen = [d for d in self.decisions if d.pack == pack.id and d.checklist == item.id]
                self.items.append(ItemResult(pack.id, item.id, item.title, item.section, chosen))
        if self.decisions and all(d.outcome == Outcome.NOT_APPLICABLE for d in self.decisions):
            self.notes.append("no policy applied: every decision is not_applicable, so nothing was checked")
        elif not self.decisions:
            self.notes.append("no policy was evaluated: the packs are empty")

    @property
    def blocking(self) -> list[Decision]:
        return [d for d in self.decisions if d.blocking]

    @property
    def nothing_applied(self) -> bool:
        return all(d.outcome == Outcome.NOT_APPLICABLE for d in self.decisions)

    @property
    def satisfied_count(self) -> int:
        return sum(1 for i in self.items if i.satisfied)

    @property
    def applicable_count(self) -> int:
        return sum(1 for i in self.items if i.applicable)

    @property
    def not_applicable_count(self) -> int:
        return len(self.items) - self.applicable_count

    @property
    def exit_code(self) -> int:
        if self.blocking or self.nothing_applied:
            return EXIT_BLOCKING
        return EXIT_OK

    def summary_line(self) -> str:
        # always three parts: what was checked and satisfied, what nothing checked, what blocks
        line = (
            f"{self.satisfied_count} of {self.applicable_count} applicable checklist items satisfied"
            f" · {self.not_applicable_count} not applicable · {len(self.blocking)} blocking failures"
        )
        if self.baseline is not None:
            counts = self.baseline["counts"]
            line += f" · baseline: {counts['new']} new, {counts['unchanged']} unchanged, {counts['fixed']} fixed"
        return line

    def outcome_counts(self) -> dict[str, int]:
        counts = Counter(d.outcome.value for d in self.decisions)
        return {o.value: counts.get(o.value, 0) for o in Outcome}

    def to_json(self) -> dict[str, Any]:
        index = {id(d): i for i, d in enumerate(self.decisions)}
        out: dict[str, Any] = {
            "apiVersion": "anops.dev/report/v1",
            "tool": {"name": "anops-policy", "version": __version__},
            "run": self.run,
            "packs": [{"id": p.id, "version": p.version, "digest": p.digest, "source": p.source} for p in self.packs],
            "summary": {
                "items_total": len(self.items),
                "items_applicable": self.applicable_count,
                "items_not_applicable": self.not_applicable_count,
                "items_satisfied": self.satisfied_count,
                "blocking_failures": len(self.blocking),
                "outcomes": self.outcome_counts(),
                "nothing_applied": self.nothing_applied,
                "line": self.summary_line(),
            },
            "items": [
                {
                    "pack": i.pack,
                    "id": i.id,
                    "title": i.title,
                    "section": i.section,
                    "status": i.status,
                    "satisfied": i.satisfied,
                    "applicable": i.applicable,
                    "decisions": [index[id(d)] for d in i.decisions],
                }
                for i in self.items
            ],
            "decisions": [d.to_json() for d in self.decisions],
            "collectors": dict(self.collectors),
            "notes": list(self.notes),
            "exit_code": self.exit_code,
        }
        if self.baseline is not None:
            out["baseline"] = self.baseline
        if self.waivers:
            out["waivers"] = self.waivers
        if self.config_changes:
            out["config_changes"] = self.config_changes
        if self.trace_id:
            out["trace_id"] = self.trace_id
        return out


def _decision_key(packs: Sequence[Pack]) -> Any:
    order: dict[tuple[str, str], int] = {}
    for pack in packs:
        for index, item in enumerate(pack.items):
            order[(pack.id, item.id)] = index

    def key(d: Decision) -> tuple[Any, ...]:
        return (order.get((d.pack, d.checklist), 10_000), d.policy, OUTCOME_ORDER.get(d.outcome, 9), d.subject or "")

    return key
