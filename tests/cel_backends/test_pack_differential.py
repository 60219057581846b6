"""The project's pack decides identically on both CEL backends: every example of every policy (as
``anops-policy test`` runs them) and a whole evaluation of the example repository. Decisions are compared in
full (outcome, subject, message, explanation, evidence, fingerprint) and as serialised (map key order
included), not only their outcomes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.evaluation.examples import run_example
from anops_policy.pipeline.run import EvalRequest, run_eval
from anops_policy.policy.packs import builtin_pack_dir, load_pack

from .backends import backend, on_both, require_native

ROOT = Path(__file__).resolve().parents[2]
PACK = load_pack(builtin_pack_dir("production-readiness"))
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _decisions(results: list[Any]) -> list[list[dict[str, Any]]]:
    return [[d.to_json() for d in r.decisions] for r in results]


@pytest.mark.parametrize("policy", PACK.policies, ids=lambda p: p.id)
def test_every_example_decides_identically(policy: Any) -> None:
    require_native()
    python, native, stats = on_both(lambda: _decisions([run_example(policy, e) for e in policy.examples]))
    assert native == python
    assert json.dumps(native) == json.dumps(python)  # key order too: reports are written in this order
    assert stats["native"] + stats["python"] > 0


def test_the_pack_examples_run_mostly_native() -> None:
    """Not vacuous: the C++ runtime decides most evaluations of the pack's examples (the rest fall back)."""
    require_native()
    _, _, stats = on_both(lambda: [run_example(p, e) for p in PACK.policies for e in p.examples])
    assert stats["native"] > stats["python"], stats


@pytest.fixture(scope="module")
def example_facts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example repository's facts, collected once (collection does not involve CEL)."""
    from anops_policy.pipeline.run import gather, required_sections, resolve_config, resolve_packs  # noqa: PLC0415

    path = ROOT / "examples" / "anops"
    config = resolve_config(path, None)
    document = gather(path, config, NOW, required_sections(resolve_packs(config, ())), None)
    out = tmp_path_factory.mktemp("facts") / "facts.json"
    out.write_text(json.dumps(document), encoding="utf-8")
    return out


def test_the_example_repository_evaluates_identically(example_facts: Path) -> None:
    require_native()

    def evaluate() -> list[dict[str, Any]]:
        report = run_eval(EvalRequest(path=ROOT / "examples" / "anops", facts_file=example_facts, now=NOW))[0]
        return [d.to_json() for d in report.decisions]

    python, native, stats = on_both(evaluate)
    assert [d["outcome"] for d in native] == [d["outcome"] for d in python]
    assert native == python
    assert json.dumps(native) == json.dumps(python)
    assert stats["native"] > 0, stats
    with backend("auto"):  # the default: C++ for the expressions where it pays, cel-python for the rest
        assert json.dumps(evaluate()) == json.dumps(python)
