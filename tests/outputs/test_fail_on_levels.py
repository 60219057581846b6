"""``--fail-on advisory|soft|hard``: the lowest enforcement level that blocks (default soft). A pack with the
same rule at each level shows which failures block and the exit code under each setting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

NOW = "2026-11-26T12:00:00Z"
LEVEL_POLICIES = {"advisory-markers": "advisory", "hostile-text": "advisory", "soft-markers": "soft",
                  "hard-markers": "hard", "broken-lookup": "soft"}
RANK = {"advisory": 0, "soft": 1, "hard": 2}


def _eval(run_cli: Any, example: Path, *args: str) -> tuple[int, dict[str, Any]]:
    target = example.parent / "out" / "r.json"
    run = run_cli(".", "--now", NOW, "--output", f"json={target}", *args, cwd=example)
    return run.exit_code, json.loads(target.read_text())


@pytest.mark.parametrize("fail_on", [None, "advisory", "soft", "hard"])
def test_blocking_follows_the_level(example: Path, run_cli: Any, ci_pack: Path, fail_on: str | None) -> None:
    args = ["--policies", str(ci_pack)] + (["--fail-on", fail_on] if fail_on else [])
    code, report = _eval(run_cli, example, *args)
    threshold = RANK[fail_on or "soft"]
    assert report["run"]["fail_on"] == (fail_on or "soft")
    failing = [d for d in report["decisions"] if d["outcome"] in ("fail", "error")]
    assert {d["policy"] for d in failing} == set(LEVEL_POLICIES)
    for decision in failing:
        assert decision["enforcement"] == LEVEL_POLICIES[decision["policy"]]
        assert decision["blocking"] is (RANK[decision["enforcement"]] >= threshold), decision["policy"]
    assert code == report["exit_code"] == 1  # the hard policy fails at every level
    assert report["summary"]["blocking_failures"] == sum(d["blocking"] for d in failing)


def test_fail_on_hard_lets_soft_failures_pass(example: Path, run_cli: Any) -> None:
    """The built-in pack's failures on the example are soft (and advisory): only hard would block."""
    code_soft, soft = _eval(run_cli, example)
    code_hard, hard = _eval(run_cli, example, "--fail-on", "hard")
    assert code_soft == 1 and soft["summary"]["blocking_failures"] > 0
    hard_failures = [d for d in hard["decisions"] if d["outcome"] in ("fail", "error") and d["enforcement"] == "hard"]
    assert hard["summary"]["blocking_failures"] == len(hard_failures)
    assert code_hard == (1 if hard_failures else 0)


def test_config_sets_the_default_and_the_flag_wins(example: Path, run_cli: Any, ci_pack: Path) -> None:
    config = example / "anops-policy.yaml"
    config.write_text(config.read_text() + "\nevaluation:\n  fail_on: hard\n")
    _code, from_config = _eval(run_cli, example, "--policies", str(ci_pack))
    _code, from_flag = _eval(run_cli, example, "--policies", str(ci_pack), "--fail-on", "advisory")
    assert from_config["run"]["fail_on"] == "hard"
    assert {d["policy"] for d in from_config["decisions"] if d["blocking"]} == {"hard-markers"}
    assert from_flag["run"]["fail_on"] == "advisory"
    assert {d["policy"] for d in from_flag["decisions"] if d["blocking"]} == set(LEVEL_POLICIES)


def test_unknown_level_is_a_usage_error(example: Path, run_cli: Any) -> None:
    run = run_cli(".", "--fail-on", "critical", cwd=example)
    assert run.exit_code == 2 and "--fail-on" in run.stderr
