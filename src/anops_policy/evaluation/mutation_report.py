"""What ``test --mutate`` prints and writes: the score table, the pack scores, the counts per operator, every
surviving mutant with its location and mutated source, every exclusion with its reason; as text or JSON,
and the score file the README's policy index reads (keyed by each policy file's digest)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from anops_policy.cel.mutate import OPERATORS
from anops_policy.errors import ConfigError
from anops_policy.evaluation.mutation import (
    EXCLUDED,
    KILLED,
    SURVIVED,
    PackScore,
    PolicyScore,
    Target,
    pack_scores,
)
from anops_policy.policy.cache import expand_pack_folders, policy_files
from anops_policy.policy.packs import declared_inputs, declared_patterns, load_policies, schemas_of, visible_patterns
from anops_policy.yamlsafe import load_yaml_file


def mutation_targets(paths: Sequence[Path]) -> list[Target]:
    """The policy files under ``paths`` (files, pack folders, or folders of packs such as ``policies/``),
    each loaded and checked first: a policy that does not load is a configuration error (exit 2)."""
    folders = expand_pack_folders(paths)
    load_policies(folders)  # the static check of every file, all problems at once
    targets: list[Target] = []
    for path in folders:
        folder = path if path.is_dir() else path.parent
        inputs = {**schemas_of(declared_inputs(folder)), **visible_patterns(declared_patterns(folder))}
        pack = _pack_id(folder)
        for file in policy_files(path) if path.is_dir() else [path]:
            targets.append(Target(str(file), str(file), inputs, pack))
    return targets


def _pack_id(folder: Path) -> str:
    try:
        meta, _ = load_yaml_file(str(folder / "pack.yaml"), str(folder / "pack.yaml"))
    except ConfigError:
        meta = None
    return str(meta.get("id", folder.name)) if isinstance(meta, dict) else folder.name


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def render_text(scores: Sequence[PolicyScore], seconds: float, *, quiet: int = 0) -> str:
    width = max([len(s.policy) for s in scores] + [6])
    lines = [f"{'policy':<{width}}  mutants  killed  survived  excluded   score"]
    for s in scores:
        if s.problem:
            lines.append(f"{s.policy:<{width}}  not scored: {s.problem}")
            continue
        counts = f"{len(s.results):7}  {s.count(KILLED):6}  {s.count(SURVIVED):8}  {s.count(EXCLUDED):8}"
        lines.append(f"{s.policy:<{width}}  {counts}  {_percent(s.score):>6}")
    lines.append("")
    for pack in pack_scores(scores):
        lines.append(_pack_line(pack))
    lines.append("by operator (killed/scored): " + _operators(scores))
    count = f"{len(scores)} {'policy' if len(scores) == 1 else 'policies'}"
    lines.append(f"{sum(len(s.results) for s in scores)} mutants of {count} in {seconds:.1f} s")
    if quiet:
        return "\n".join(lines) + "\n"
    survivors = [(s, r) for s in scores for r in s.results if r.status == SURVIVED]
    if survivors:
        lines += ["", f"surviving mutants ({len(survivors)}): no example notices these changes"]
        for s, r in survivors:
            lines += _mutant_lines(s, r)
    excluded = [(s, r) for s in scores for r in s.results if r.status == EXCLUDED]
    if excluded:
        lines += ["", f"excluded mutants ({len(excluded)}): not counted in the score"]
        for s, r in excluded:
            lines += [*_mutant_lines(s, r), f"      why: {r.reason}"]
    return "\n".join(lines) + "\n"


def _pack_line(pack: PackScore) -> str:
    policies = f"{pack.policies} {'policy' if pack.policies == 1 else 'policies'}"
    return (
        f"pack {pack.pack}: {_percent(pack.score)} ({pack.killed} killed ÷ {pack.killed + pack.survived} scored; "
        f"{pack.survived} survived, {pack.excluded} excluded; {policies})"
    )


def _operators(scores: Sequence[PolicyScore]) -> str:
    killed: Counter[str] = Counter()
    scored: Counter[str] = Counter()
    for s in scores:
        for r in s.results:
            if r.status != EXCLUDED:
                scored[r.mutant.operator] += 1
                killed[r.mutant.operator] += r.status == KILLED
    return ", ".join(f"{op} {killed[op]}/{scored[op]}" for op in OPERATORS if scored[op])


def _mutant_lines(score: PolicyScore, result: Any) -> list[str]:
    m = result.mutant
    source = " ".join(m.source.split())
    return [
        f"  {result.location}: {score.policy} #{result.number} {m.operator} in {result.expression}: "
        f"{' '.join(m.original.split())} → {' '.join(m.replacement.split())}",
        f"      mutant: {source}",
    ]


def to_json(scores: Sequence[PolicyScore], seconds: float) -> dict[str, Any]:
    return {
        "seconds": round(seconds, 2),
        "packs": [
            {"pack": p.pack, "score": p.score, "killed": p.killed, "survived": p.survived, "excluded": p.excluded,
             "policies": p.policies}
            for p in pack_scores(scores)
        ],
        "policies": [
            {
                "policy": s.policy, "file": s.file, "pack": s.pack, "digest": s.digest, "problem": s.problem or None,
                "score": s.score, "killed": s.count(KILLED), "survived": s.count(SURVIVED),
                "excluded": s.count(EXCLUDED), "by_operator": s.by_operator(),
                "mutants": [
                    {"number": r.number, "status": r.status, "operator": r.mutant.operator,
                     "expression": r.expression, "location": r.location, "original": r.mutant.original,
                     "replacement": r.mutant.replacement, "source": r.mutant.source, "reason": r.reason or None}
                    for r in s.results
                ],
            }
            for s in scores
        ],
    }


def score_file(scores: Sequence[PolicyScore]) -> str:
    """The file the README's policy index reads: each policy's score keyed by its id and file digest, so a
    changed policy shows no score until the mutations run again."""
    policies = {
        s.policy: {"digest": s.digest, "score": None if s.score is None else round(s.score, 1),
                   "killed": s.count(KILLED), "scored": s.scored}
        for s in sorted(scores, key=lambda s: s.policy)
        if not s.problem
    }
    data = {"generated_by": "anops-policy test --mutate policies/ --scores docs/mutation-scores.json",
            "engine": engine_digest(), "policies": policies}
    return json.dumps(data, indent=2) + "\n"


# the code that decides which mutants exist, which are excluded and which an example kills
ENGINE_MODULES = ("anops_policy.cel.mutate", "anops_policy.cel.printer", "anops_policy.evaluation.mutation",
                  "anops_policy.evaluation.mutation_report")


def engine_digest() -> str:
    """SHA-256 over the mutation engine's source: scores recorded by another engine are not this one's."""
    import hashlib  # noqa: PLC0415
    import importlib.util  # noqa: PLC0415

    digest = hashlib.sha256()
    for name in ENGINE_MODULES:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        digest.update(name.encode() + b"\0")
        if origin:
            with open(origin, "rb") as source:  # noqa: PTH123
                digest.update(source.read())
    return "sha256:" + digest.hexdigest()
