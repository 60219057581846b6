"""Evaluating policies against a fact document: requires → applies_when → for_each → variables → rule,
each policy under its own deadline; one policy's runtime error never aborts the run."""

from __future__ import annotations

import gc
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, datetime
from typing import Any

from anops_policy.cel import evaluator as cel
from anops_policy.cel.activation import vars_map
from anops_policy.cel.deadline import DeadlineExceeded, deadline
from anops_policy.cel.values import INT64, CelValueError, is_bool, timestamp, to_cel, to_cel_lazy, to_python
from anops_policy.errors import ConfigError, InputError
from anops_policy.evaluation.explain import brief, evidence_from, explain_failure, field, locations, shorten
from anops_policy.evaluation.telemetry import record_decisions
from anops_policy.facts import collector_status
from anops_policy.policy.loading import _type_ok
from anops_policy.policy.model import Decision, Level, Outcome, Pack, Policy, Template
from anops_policy.telemetry import tracing
from anops_policy.telemetry.progress import EVALUATE, ProgressCallback, ProgressEvent

DEFAULT_DEADLINE_S = 2.0
# a for_each policy gets one deadline per this many subjects (see _Run._budget)
SUBJECTS_PER_DEADLINE = 200
# Decisions one policy may produce: a for_each over a hostile fact list (100,000 release files) would
# otherwise fill the report, the outputs and the decision log. `evaluation.max_decisions` raises it.
DEFAULT_MAX_DECISIONS = 10_000


@dataclass(frozen=True)
class RunSettings:
    now: datetime
    fail_on: Level = Level.SOFT
    deadline_s: float = DEFAULT_DEADLINE_S
    max_decisions: int = DEFAULT_MAX_DECISIONS
    # failures get an explanation and evidence; False for a caller that reads only the outcomes (a
    # mutation run judges thousands of variants by their examples' outcomes)
    explain: bool = True
    # CEL results remembered across evaluations of one example's facts, params and time against variants of
    # one policy (a mutation run): an expression whose source, and whose inputs' sources, are unchanged is
    # evaluated once. Keys name the expression and everything its value depends on; None: no memo.
    memo: dict[Any, Any] | None = dataclass_field(default=None, compare=False, hash=False)


def fingerprint(policy_id: str, subject: str | None, evidence: Sequence[Mapping[str, Any]]) -> str:
    """Stable across line moves: policy, subject and the sorted evidence *paths* (no line numbers)."""
    paths = sorted({str(e["path"]) for e in evidence if e.get("path")})
    payload = json.dumps([policy_id, subject or "", paths], separators=(",", ":"))
    return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()


def resolve_params(policy: Policy, overrides: Mapping[str, Any], where: str = "config") -> dict[str, Any]:
    values = {p.name: p.default for p in policy.params}
    declared = {p.name: p for p in policy.params}
    for name, value in overrides.items():
        param = declared.get(name)
        if param is None:
            from anops_policy.validation import suggest  # noqa: PLC0415

            raise ConfigError(f"{where}: policy '{policy.id}' has no parameter '{name}'{suggest(name, declared)}")
        if not _type_ok(value, param.type):
            raise ConfigError(
                f"{where}: parameter '{name}' of policy '{policy.id}' must be a {param.type}, got {value!r}"
            )
        if isinstance(value, int) and not isinstance(value, bool) and not INT64[0] <= value <= INT64[1]:
            raise ConfigError(
                f"{where}: parameter '{name}' of policy '{policy.id}' is outside the 64-bit integer range"
            )
        values[name] = value
    # CEL never compares an int with a double: a `number` parameter is always a double
    for param in policy.params:
        if param.type == "number" and isinstance(values[param.name], int):
            values[param.name] = float(values[param.name])
    return values


class _Run:
    """Evaluation of one policy."""

    def __init__(
        self,
        policy: Policy,
        document: Mapping[str, Any],
        facts_cel: Any,
        params: Mapping[str, Any],
        settings: RunSettings,
        pack_id: str,
    ) -> None:
        self.policy = policy
        self.document = document
        self.settings = settings
        self.pack_id = pack_id
        self.level = policy.level_on(settings.now.astimezone(UTC).date())
        self.base = {
            "facts": facts_cel,
            "params": to_cel(dict(params), path="params"),
            "now": timestamp(settings.now),
        }
        # failures whose explanation is built after the outcomes (activation, variables, subject)
        self.to_explain: list[tuple[Decision, dict[str, Any], Mapping[str, Any], Any]] = []

    def decision(
        self,
        outcome: Outcome,
        subject: str | None,
        message: str,
        *,
        explanation: dict[str, Any] | None = None,
        evidence: list[dict[str, Any]] | None = None,
    ) -> Decision:
        evidence = evidence or []
        blocking = outcome in (Outcome.FAIL, Outcome.ERROR) and self.level.rank >= self.settings.fail_on.rank
        return Decision(
            policy=self.policy.id,
            title=self.policy.title,
            subject=subject,
            outcome=outcome,
            severity=self.policy.severity,
            enforcement=self.level,
            blocking=blocking,
            message=message,
            explanation=explanation or {},
            evidence=evidence,
            remediation=self.policy.remediation,
            checklist=self.policy.checklist,
            fingerprint=fingerprint(self.policy.id, subject, evidence),
            pack=self.pack_id,
        )

    def run(self) -> list[Decision]:
        for name in self.policy.requires:
            status, error = collector_status(self.document, name)
            if status == "not_configured":
                return [self.decision(Outcome.NOT_APPLICABLE, None, f"facts.{name} not configured: {error}")]
            if status != "ok" or name not in self.document:
                return [self.decision(Outcome.ERROR, None, f"requires facts.{name}, but its collector failed: {error}")]
        decisions: list[Decision] = []
        budget = self.settings.deadline_s
        try:
            with deadline(budget):
                subjects = self._subjects(decisions)
            if subjects:
                budget = self._budget(len(subjects))
                with deadline(budget):
                    for index, subject in enumerate(subjects):
                        activation = {**self.base, "subject": subject}
                        decisions.append(self._subject(activation, subject, index))
        except DeadlineExceeded:
            decisions.append(
                self.decision(
                    Outcome.ERROR,
                    None,
                    f"evaluation exceeded the {budget:g} s deadline "
                    f"after {len(decisions)} decisions; "
                    "simplify the rule (prefer by_path lookups and collector counts over nested loops)",
                )
            )
        self._explain_failures()
        return decisions

    def _budget(self, subjects: int) -> float:
        """The deadline for ``subjects`` decisions: ``deadline_s`` per SUBJECTS_PER_DEADLINE of them. The
        deadline stops runaway expressions; a policy over 2,000 Dockerfiles does 2,000 subjects' honest
        work (~1 ms each in cel-python) and must not be cut off for the size of the repository."""
        return self.settings.deadline_s * max(1, math.ceil(subjects / SUBJECTS_PER_DEADLINE))

    def _explain_failures(self) -> None:
        """Explanations re-evaluate clauses and ``all()`` elements: they get their own time budget, so a
        rule that decided in time is never turned into an error by explaining it."""
        pending = list(self.to_explain)
        self.to_explain.clear()
        try:
            with deadline(self._budget(len(pending))):
                while pending:
                    decision, activation, variables, subject = pending[0]
                    failed = explain_failure(self.policy.rule.tree, self.policy.rule.source, activation)
                    self._complete(decision, activation, failed, variables, subject)
                    pending.pop(0)
        except DeadlineExceeded:
            for decision, activation, variables, subject in pending:
                self._complete(decision, activation, [], variables, subject, truncated=True)

    def _complete(
        self,
        decision: Decision,
        activation: Mapping[str, Any],
        failed: list[dict[str, Any]],
        variables: Mapping[str, Any],
        subject: Any,
        *,
        truncated: bool = False,
    ) -> None:
        """``variables`` are CEL values: only what the report shows of them is converted (``brief``)."""
        if truncated:
            evidence = evidence_from(failed, variables, subject)
        else:
            evidence = self._evidence(activation, failed, variables, subject)
        decision.explanation = {"failed_clauses": failed, "variables": {k: brief(v) for k, v in variables.items()}}
        if truncated:
            decision.explanation["truncated"] = (
                f"the explanation did not finish within {self.settings.deadline_s:g} s; variables and evidence only"
            )
        decision.evidence = evidence
        decision.fingerprint = fingerprint(self.policy.id, decision.subject, evidence)

    def _subjects(self, decisions: list[Decision]) -> list[Any] | None:
        """The for_each subjects to decide, or None when the policy is decided here (no for_each: its
        one decision; an unusable for_each: an error or not_applicable)."""
        policy = self.policy
        if policy.for_each is None:
            decisions.append(self._subject(dict(self.base), None, None))
            return None
        try:
            subjects = self._evaluate(("for_each", policy.for_each.source), policy.for_each.tree, self.base)
        except cel.CelRuntimeError as exc:
            decisions.append(self.decision(Outcome.ERROR, None, f"for_each: {exc}"))
            return None
        if not isinstance(subjects, list):
            decisions.append(
                self.decision(Outcome.ERROR, None, f"for_each must be a list, got {type(subjects).__name__}")
            )
            return None
        if not subjects:
            reason = self._not_applicable(self.base, "no subjects: for_each is empty")
            decisions.append(self.decision(Outcome.NOT_APPLICABLE, None, reason))
            return None
        if len(subjects) > self.settings.max_decisions:
            decisions.append(self.decision(
                Outcome.ERROR, None, f"for_each yields {len(subjects)} subjects, over the limit of "
                f"{self.settings.max_decisions} decisions per policy (evaluation.max_decisions in the config)"))
            return None
        return subjects

    @property
    def _for_each_source(self) -> str | None:
        return self.policy.for_each.source if self.policy.for_each is not None else None

    def _evaluate(self, key: tuple[Any, ...], tree: Any, activation: Mapping[str, Any]) -> Any:
        """``tree`` evaluated in ``activation``, through ``settings.memo`` when there is one (a runtime error
        is remembered too; a deadline is not)."""
        memo = self.settings.memo
        if memo is None:
            return cel.evaluate(tree, activation)
        if key not in memo:
            try:
                memo[key] = (True, cel.evaluate(tree, activation))
            except cel.CelRuntimeError as exc:
                memo[key] = (False, exc)
        ok, value = memo[key]
        if not ok:
            raise value
        return value

    def _not_applicable(self, activation: Mapping[str, Any], generic: str) -> str:
        """The policy's own reason for not applying (its ``not_applicable_message``), else ``generic``; a
        reason that does not render (it names the subject where there is none) falls back to ``generic``."""
        template = self.policy.not_applicable_message
        if template is None:
            return generic
        text = render(template, {**activation, "vars": vars_map({})})
        return generic if "<error: " in text else text

    def _subject_name(self, activation: dict[str, Any], subject: Any, index: int | None) -> str | None:
        if index is None:
            return None
        if self.policy.subject_id is not None:
            try:
                memo_key = ("subject_id", self._for_each_source, index, self.policy.subject_id.source)
                return str(to_python(self._evaluate(memo_key, self.policy.subject_id.tree, activation)))
            except cel.CelRuntimeError:
                return f"#{index}"
        if isinstance(subject, Mapping):  # read the naming fields only (a subject may be a big object)
            for key in ("name", "path", "id"):
                value = to_python(field(subject, key))
                if isinstance(value, (str, int)):
                    return str(value)
            return f"#{index}"
        plain = to_python(subject)
        return plain if isinstance(plain, str) else f"#{index}"

    def _subject(self, activation: dict[str, Any], subject: Any, index: int | None) -> Decision:
        policy = self.policy
        name = self._subject_name(activation, subject, index)
        if policy.applies_when is not None:
            try:
                key = ("applies_when", self._for_each_source, index, policy.applies_when.source)
                applies = self._evaluate(key, policy.applies_when.tree, activation)
            except cel.CelRuntimeError as exc:
                return self.decision(Outcome.ERROR, name, f"applies_when: {exc}")
            if not is_bool(applies):
                return self.decision(Outcome.ERROR, name, "applies_when must be a bool")
            if not applies:
                reason = self._not_applicable(activation, f"does not apply: {policy.applies_when.source}")
                return self.decision(Outcome.NOT_APPLICABLE, name, reason)
        variables: dict[str, Any] = {}
        read: tuple[tuple[str, str], ...] = ()  # the variables so far, by name and source: what this one may read
        for var in policy.variables:
            activation["vars"] = to_cel({}) if not variables else vars_map(variables)
            read = (*read, (var.name, var.expr.source))
            try:
                variables[var.name] = self._evaluate(("variable", self._for_each_source, index, read),
                                                     var.expr.tree, activation)
            except cel.CelRuntimeError as exc:
                return self.decision(Outcome.ERROR, name, f"variable '{var.name}': {exc}")
        activation["vars"] = vars_map(variables)
        try:
            result = cel.evaluate(policy.rule.tree, activation)
        except cel.CelRuntimeError as exc:
            return self.decision(
                Outcome.ERROR,
                name,
                f"rule: {exc}",
                explanation={"variables": {k: brief(v) for k, v in variables.items()}},
            )
        if not is_bool(result):
            return self.decision(Outcome.ERROR, name, f"rule must be a bool, got {brief(result)!r}")
        if result:
            return self.decision(Outcome.PASS, name, policy.title)
        decision = self.decision(Outcome.FAIL, name, render(policy.message, activation))
        if self.settings.explain:
            self.to_explain.append((decision, activation, variables, subject))
        return decision

    def _evidence(
        self, activation: Mapping[str, Any], failed: list[dict[str, Any]], variables: Mapping[str, Any], subject: Any
    ) -> list[dict[str, Any]]:
        """The policy's ``evidence`` expression: a list of objects with a ``path`` (and a ``line``), e.g. fact
        items as they are, of which the first MAX_EVIDENCE are cited (only those are converted); else the
        locations the explanation and the variables hold."""
        if self.policy.evidence is not None:
            try:
                out = locations(cel.evaluate(self.policy.evidence.tree, activation))
            except cel.CelRuntimeError:
                out = []
            if out:
                return out
        return evidence_from(failed, variables, subject)


def render(template: Template, activation: Mapping[str, Any]) -> str:
    out: list[str] = []
    for part in template.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        try:
            value = cel.evaluate(part.tree, activation)
        except cel.CelRuntimeError as exc:
            out.append(f"<error: {exc}>")
            continue
        if isinstance(value, (list, tuple, Mapping)):  # only what is shown is converted
            out.append(json.dumps(brief(value)))
            continue
        plain = to_python(value)
        out.append(plain if isinstance(plain, str) else json.dumps(shorten(plain)))
    return "".join(out)


def evaluate_policy(
    policy: Policy,
    document: Mapping[str, Any],
    facts_cel: Any,
    params: Mapping[str, Any],
    settings: RunSettings,
    pack_id: str = "",
) -> list[Decision]:
    return _Run(policy, document, facts_cel, params, settings, pack_id).run()


def evaluate_packs(
    packs: Sequence[Pack],
    document: Mapping[str, Any],
    param_overrides: Mapping[str, Mapping[str, Any]],
    settings: RunSettings,
    where: str = "config",
    progress: ProgressCallback | None = None,
) -> list[Decision]:
    try:
        facts_cel = to_cel_lazy(document)  # converted on demand, shared by every policy (never mutated)
    except CelValueError as exc:
        raise InputError(f"fact document: {exc}") from None
    decisions: list[Decision] = []
    total, done = sum(len(pack.policies) for pack in packs), 0
    # The fact document lives through the evaluation: out of the cyclic collector's generations, or each
    # full pass that the evaluation's allocations trigger walks all of it (~30% of the CPU time at 100,000
    # TODOs). Never undo someone else's gc.freeze().
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    try:
        for pack in packs:
            for policy in pack.policies:
                if progress is not None:
                    progress(ProgressEvent(EVALUATE, done, total, policy.id))
                params = resolve_params(policy, param_overrides.get(policy.id, {}), where)
                with tracing.span(f"anops.policy {policy.id}") as span:
                    found = evaluate_policy(policy, document, facts_cel, params, settings, pack.id)
                    record_decisions(span, policy.id, pack.id, found)
                decisions.extend(found)
                done += 1
    finally:
        if freeze:
            gc.unfreeze()
    if progress is not None:
        progress(ProgressEvent(EVALUATE, total, total, ""))
    return decisions
