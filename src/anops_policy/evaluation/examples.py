"""``anops-policy test``: run every policy's examples (they are its tests and its documentation), and
optionally report which rule clauses the examples exercised both ways."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from anops_policy.cel import evaluator as cel
from anops_policy.cel.activation import vars_map
from anops_policy.cel.deadline import DeadlineExceeded, deadline
from anops_policy.cel.values import CelValueError, is_bool, timestamp, to_cel
from anops_policy.errors import ConfigError
from anops_policy.evaluation.evaluate import DEFAULT_DEADLINE_S, RunSettings, evaluate_policy, resolve_params
from anops_policy.evaluation.explain import clauses, source_of
from anops_policy.facts import parse_now
from anops_policy.policy.model import Decision, Example, Outcome, Policy

DEFAULT_EXAMPLE_NOW = datetime(2026, 1, 1, tzinfo=UTC)


def example_document(policy: Policy, example: Example, now: datetime) -> dict[str, Any]:
    collectors: dict[str, Any] = {}
    for name in sorted({*policy.requires, *(k for k in example.facts if k != "meta")}):
        status = example.collectors.get(name, "ok" if name in example.facts else "error")
        error = None if status == "ok" else f"{status} in example '{example.name}'"
        collectors[name] = {"version": "example", "status": status, "duration_ms": 0, "error": error}
    facts = {k: v for k, v in example.facts.items() if collectors.get(k, {}).get("status", "ok") == "ok"}
    return {
        "apiVersion": "anops.dev/facts/v1",
        **facts,
        "meta": {
            "repo": {"name": "example", "root": "."},
            "now": now.isoformat(),
            "collectors": collectors,
            "digest": "",
        },
    }


def aggregate(decisions: Sequence[Decision]) -> Outcome:
    outcomes = {d.outcome for d in decisions}
    for outcome in (Outcome.ERROR, Outcome.FAIL, Outcome.PASS):
        if outcome in outcomes:
            return outcome
    return Outcome.NOT_APPLICABLE


@dataclass
class ExampleResult:
    policy: Policy
    example: Example
    outcome: Outcome
    ok: bool
    detail: str
    decisions: list[Decision]


@dataclass
class PolicyResult:
    policy: Policy
    examples: list[ExampleResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    coverage: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(e.ok for e in self.examples)


@dataclass(frozen=True)
class PreparedExample:
    """An example's inputs as an evaluation takes them, built once: a mutation run evaluates the same
    example against many variants of one policy (same params, same examples) without re-converting its facts."""

    example: Example
    now: datetime
    document: dict[str, Any]
    params: dict[str, Any]
    facts: Any  # the document as CEL values (shared by every evaluation, never mutated)
    # what the variants' unchanged expressions evaluated to on this example (RunSettings.memo)
    memo: dict[Any, Any] = field(default_factory=dict, compare=False)


def prepare_example(policy: Policy, example: Example) -> PreparedExample:
    """ConfigError when the example's params or facts are unusable."""
    now = parse_now(example.now) if example.now else DEFAULT_EXAMPLE_NOW
    document = example_document(policy, example, now)
    params = resolve_params(policy, example.params, where=f"{policy.file} example '{example.name}'")
    try:
        facts = to_cel(document)
    except CelValueError as exc:
        raise ConfigError(f"{policy.file} example '{example.name}': {exc}") from None
    return PreparedExample(example, now, document, params, facts)


def run_example(policy: Policy, example: Example) -> ExampleResult:
    return run_prepared(policy, prepare_example(policy, example))


def run_prepared(
    policy: Policy, prepared: PreparedExample, *, explain: bool = True, remember: bool = False
) -> ExampleResult:
    """The example judged against ``policy`` (its own policy, or a variant with the same params and
    examples). ``explain=False``: failures are not explained, for a caller that needs only the outcomes.
    ``remember``: an expression evaluated on this example before (by source) is not evaluated again."""
    example = prepared.example
    settings = RunSettings(now=prepared.now, explain=explain, memo=prepared.memo if remember else None)
    # The caller's heap (a long-lived process: a test worker, a server) out of the cyclic collector's
    # generations while the example runs: a full pass over it would be charged to the example's CPU deadline.
    # Never undo someone else's gc.freeze().
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    try:
        decisions = evaluate_policy(policy, prepared.document, prepared.facts, prepared.params, settings)
    finally:
        if freeze:
            gc.unfreeze()
    outcome = aggregate(decisions)
    problems = []
    if outcome != example.expect:
        why = "; ".join(d.message for d in decisions if d.outcome == outcome)[:300]
        problems.append(f"expected {example.expect.value}, got {outcome.value}" + (f" ({why})" if why else ""))
    by_subject = {d.subject: d.outcome for d in decisions}
    for subject, expected in example.subjects.items():
        got = by_subject.get(subject)
        if got != expected:
            problems.append(
                f"subject '{subject}': expected {expected.value}, got {got.value if got else 'no decision'}"
            )
    return ExampleResult(policy, example, outcome, not problems, "; ".join(problems), decisions)


def clause_coverage(policy: Policy) -> list[dict[str, Any]]:
    """For each top-level clause of the rule: was it seen true and false across the examples?"""
    kind, parts = clauses(policy.rule.tree)
    seen: list[set[bool]] = [set() for _ in parts]
    for example in policy.examples:
        now = parse_now(example.now) if example.now else DEFAULT_EXAMPLE_NOW
        document = example_document(policy, example, now)
        try:
            params = resolve_params(policy, example.params)
        except ConfigError:
            continue
        try:
            base = {"facts": to_cel(document), "params": to_cel(params), "now": timestamp(now)}
        except CelValueError:
            continue
        try:
            with deadline(DEFAULT_DEADLINE_S):  # the same bound an evaluation of the example has
                for activation in _activations(policy, base):
                    for index, part in enumerate(parts):
                        try:
                            value = cel.evaluate(part, activation)
                        except cel.CelRuntimeError:
                            continue
                        if is_bool(value):
                            seen[index].add(bool(value))
        except DeadlineExceeded:
            continue  # that example's evaluation reports the deadline as its error outcome
    return [
        {"clause": source_of(part, policy.rule.source), "true": True in s, "false": False in s, "combinator": kind}
        for part, s in zip(parts, seen, strict=True)
    ]


def _activations(policy: Policy, base: dict[str, Any]) -> list[dict[str, Any]]:
    subjects: list[Any] = [None]
    if policy.for_each is not None:
        try:
            subjects = list(cel.evaluate(policy.for_each.tree, base))
        except (cel.CelRuntimeError, TypeError):
            return []
    out = []
    for subject in subjects:
        activation = dict(base)
        if policy.for_each is not None:
            activation["subject"] = subject
        if policy.applies_when is not None:
            try:
                if not cel.evaluate(policy.applies_when.tree, activation):
                    continue
            except cel.CelRuntimeError:
                continue
        variables: dict[str, Any] = {}
        try:
            for var in policy.variables:
                activation["vars"] = to_cel({}) if not variables else vars_map(variables)
                variables[var.name] = cel.evaluate(var.expr.tree, activation)
        except cel.CelRuntimeError:
            continue
        activation["vars"] = vars_map(variables) if variables else to_cel({})
        out.append(activation)
    return out


def test_policy(policy: Policy, *, coverage: bool = False) -> PolicyResult:
    result = PolicyResult(policy)
    for example in policy.examples:
        try:
            result.examples.append(run_example(policy, example))
        except ConfigError as exc:
            result.problems.append(f"example '{example.name}': {exc}")
    expects = {e.expect for e in policy.examples}
    if Outcome.PASS not in expects:
        result.problems.append("has no example that passes (add one with expect: pass)")
    if Outcome.FAIL not in expects:
        result.problems.append("has no example that fails (add one with expect: fail)")
    if coverage:
        result.coverage = clause_coverage(policy)
    return result
