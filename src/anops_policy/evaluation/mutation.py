"""``anops-policy test --mutate``: do a policy's examples notice a wrong rule?

Each expression a decision depends on (``for_each``, ``applies_when``, the variables, the rule) is mutated on
its syntax tree (``cel/mutate.py``); each mutant is loaded as the policy would be (the static check included)
and the policy's examples are run against it. A mutant is *killed* when some example's outcome (or a
subject's) differs from what the example expects, *survives* when every example still passes, and is
*excluded* when it cannot count: it means the same as the original by construction, or it fails the static
check (``check`` would have rejected that policy). The score is killed ÷ (generated − excluded).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anops_policy.cel.mutate import OPERATORS, Mutant, mutants
from anops_policy.errors import ConfigError
from anops_policy.evaluation.examples import PreparedExample, prepare_example, run_prepared, test_policy
from anops_policy.policy.model import Policy
from anops_policy.policy.variants import Expression, PolicySource, decisive_variables, read_policy_source

KILLED, SURVIVED, EXCLUDED = "killed", "survived", "excluded"


@dataclass(frozen=True)
class MutantResult:
    number: int  # 1-based within its policy
    expression: str  # rule, applies_when, for_each, variables.<name>
    location: str  # file:line:column of the change
    mutant: Mutant
    status: str  # killed | survived | excluded
    reason: str  # the example that killed it, or why it was excluded


@dataclass
class PolicyScore:
    policy: str
    file: str
    pack: str
    digest: str
    results: list[MutantResult] = field(default_factory=list)
    problem: str = ""  # the original policy's examples fail (or it does not load): nothing was scored

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def scored(self) -> int:
        return len(self.results) - self.count(EXCLUDED)

    @property
    def score(self) -> float | None:
        """Killed ÷ (generated − excluded) as a percentage; None when no mutant counts."""
        return 100.0 * self.count(KILLED) / self.scored if self.scored else None

    def by_operator(self) -> dict[str, dict[str, int]]:
        counts: dict[str, Counter[str]] = {op: Counter() for op in OPERATORS}
        for result in self.results:
            counts[result.mutant.operator][result.status] += 1
        return {op: dict(c) for op, c in counts.items() if c}


@dataclass(frozen=True)
class Target:
    """A policy file to mutate: where it is, how messages name it, the inputs its pack declares, its pack."""

    path: str
    display: str
    inputs: Mapping[str, Any]
    pack: str


def mutate_policy(target: Target) -> PolicyScore:
    """Every mutant of one policy, judged by its examples."""
    try:
        policy, source = read_policy_source(Path(target.path), target.display, target.inputs)
    except ConfigError as exc:
        return PolicyScore(Path(target.path).stem, target.display, target.pack, "", problem=str(exc))
    score = PolicyScore(policy.id, target.display, target.pack, _digest(Path(target.path)))
    baseline = test_policy(policy)
    if not baseline.ok:
        failing = [f"{e.example.name}: {e.detail}" for e in baseline.examples if not e.ok] + baseline.problems
        score.problem = "its examples fail on the policy itself: " + "; ".join(failing)
        return score
    try:  # each example's facts converted once: every mutant shares the original's params and examples
        prepared = [prepare_example(policy, example) for example in policy.examples]
    except ConfigError as exc:
        score.problem = str(exc)
        return score
    decisive = decisive_variables(policy)
    for expression in source.expressions(policy):
        unread = expression.label.startswith("variables.") and expression.label[10:] not in decisive
        found = mutants(
            expression.source, expression.tree, boolean=expression.boolean, siblings=source.siblings(expression.where)
        )
        for mutant in found:
            number = len(score.results) + 1
            location = source.locate(expression.where, mutant.line, mutant.column)
            if unread:
                status, reason = EXCLUDED, (
                    f"equivalent: {expression.label} feeds only the message or evidence, and no outcome depends on it"
                )
            else:
                status, reason = _judge(source, expression, mutant, prepared)
            score.results.append(MutantResult(number, expression.label, location, mutant, status, reason))
    return score


def _judge(
    source: PolicySource, expression: Expression, mutant: Mutant, prepared: list[PreparedExample]
) -> tuple[str, str]:
    if mutant.equivalent:
        return EXCLUDED, f"equivalent: {mutant.equivalent}"
    variant, problems = source.variant(expression.where, mutant.source)
    if variant is None or problems:
        first = problems[0] if problems else "does not load"
        return EXCLUDED, f"fails the static check: {first}"
    return _examples_verdict(variant, prepared)


def _examples_verdict(policy: Policy, prepared: list[PreparedExample]) -> tuple[str, str]:
    """Killed by the first example whose outcome differs, else survived (outcomes only: no explanations).
    The killing example moves to the front of ``prepared``: the mutants of one expression tend to be
    killed by the same example, so the next one usually needs a single evaluation."""
    for index, example in enumerate(prepared):
        result = run_prepared(policy, example, explain=False, remember=True)
        if not result.ok:
            prepared.insert(0, prepared.pop(index))
            return KILLED, f"example '{example.example.name}': {result.detail}"
    return SURVIVED, ""


def _digest(path: Path) -> str:
    import hashlib  # noqa: PLC0415

    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def mutate_policies(
    targets: Sequence[Target], jobs: int | None = None, progress: Callable[[PolicyScore], None] | None = None
) -> list[PolicyScore]:
    """Every target's score, in the targets' order. ``jobs``: worker processes (default: one per core);
    policies are shared out among them, the biggest first."""
    workers = max(1, min(jobs or os.cpu_count() or 1, len(targets)))
    if workers == 1:
        out = []
        for target in targets:
            out.append(mutate_policy(target))
            if progress is not None:
                progress(out[-1])
        return out
    results: dict[int, PolicyScore] = {}
    order = sorted(range(len(targets)), key=lambda i: -_size(targets[i]))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {index: pool.submit(mutate_policy, targets[index]) for index in order}
        for index in order:
            results[index] = futures[index].result()
            if progress is not None:
                progress(results[index])
    return [results[i] for i in range(len(targets))]


def _size(target: Target) -> int:
    try:
        return Path(target.path).stat().st_size
    except OSError:
        return 0


@dataclass(frozen=True)
class PackScore:
    pack: str
    policies: int
    killed: int
    survived: int
    excluded: int

    @property
    def score(self) -> float | None:
        scored = self.killed + self.survived
        return 100.0 * self.killed / scored if scored else None


def pack_scores(scores: Sequence[PolicyScore]) -> list[PackScore]:
    """The score of each pack over all its policies' mutants, in the order the packs first appear."""
    out: dict[str, list[PolicyScore]] = {}
    for score in scores:
        out.setdefault(score.pack, []).append(score)
    return [
        PackScore(
            pack,
            len(items),
            sum(s.count(KILLED) for s in items),
            sum(s.count(SURVIVED) for s in items),
            sum(s.count(EXCLUDED) for s in items),
        )
        for pack, items in out.items()
    ]
