"""Bounded fuzzing in the normal test run: each target of ``fuzz/targets.py`` gets structured documents,
seed mutations and random bytes from ``fuzz_strategies`` (derandomized, so CI sees the same inputs every
run). The long runs are ``fuzz/run.py`` (atheris)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fuzz_strategies import STRUCTURED, inputs, load_targets, seeds
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anops_policy.cel import evaluator as cel
from anops_policy.policy.check import check_tree
from anops_policy.policy.packs import load_policies

TARGETS = load_targets().TARGETS
# celpy raises the recursion limit when its first environment is built; doing that before hypothesis
# runs keeps hypothesis from warning that the limit changed under it
cel.compile_expr("1")
# Collector targets build a repository per input (~5-30 ms each); these counts keep the whole folder near
# 40 s on two busy cores while every generator and mutation kind is exercised.
EXAMPLES = {"cel_check": 150, "decision_log": 150, "grpc_evaluate": 60}
DEFAULT_EXAMPLES = 100


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_target_keeps_its_contract(name: str) -> None:
    @settings(
        max_examples=EXAMPLES.get(name, DEFAULT_EXAMPLES),
        deadline=timedelta(seconds=10),
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.data())
    def run(data: st.DataObject) -> None:
        TARGETS[name](data.draw(inputs(name), label="input"))

    run()


def test_every_target_has_seeds_and_a_generator() -> None:
    assert set(STRUCTURED) == set(TARGETS)
    assert all(seeds(name) for name in TARGETS)


@pytest.mark.parametrize("seed", seeds("grpc_evaluate"), ids=lambda b: f"{len(b)}B")
def test_grpc_seeds_are_judged(seed: bytes) -> None:
    # a seed the server rejects (its fact document no longer matches the schema) would keep the fuzzer at
    # the door: refresh them with `python fuzz/seed_grpc.py`
    assert load_targets().grpc_status(seed) == "OK"


@pytest.mark.parametrize("seed", seeds("policy_load"), ids=lambda b: f"{len(b)}B")
def test_policy_seeds_load(seed: bytes, tmp_path: Path) -> None:
    # a seed the loader rejects would only fuzz the schema check; keep them valid as the schema moves
    path = tmp_path / "fuzzed.yaml"
    path.write_bytes(seed)
    assert [p.id for p in load_policies([path])] == ["fuzzed"]


@pytest.mark.parametrize("seed", seeds("cel_check"), ids=lambda b: b.decode()[:30])
def test_cel_seeds_pass_the_static_check(seed: bytes) -> None:
    targets = load_targets()
    assert check_tree(cel.compile_expr(seed.decode()).tree, targets.cel_scope()) == []
