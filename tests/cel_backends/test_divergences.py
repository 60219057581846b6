"""Where the two runtimes differ, the seam still gives cel-python's answer (cases in divergence_cases.yaml),
and the runtime that answered is the expected one: a guard or limit hands the case to cel-python, or the
C++ runtime answers because its answer is cel-python's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.cel import evaluator as cel
from anops_policy.cel.backend import backend_stats
from anops_policy.cel.deadline import deadline
from anops_policy.cel.values import timestamp, to_cel, to_cel_lazy
from anops_policy.yamlsafe import load_yaml

from .backends import backend, describe, on_both, require_native

FILE = Path(__file__).with_name("divergence_cases.yaml")
CASES: list[dict[str, Any]] = load_yaml(FILE.read_text(encoding="utf-8"), FILE.name)[0]
NOW = datetime(2026, 11, 28, tzinfo=UTC)


def _data(value: Any) -> Any:
    """``{range: N}`` stands for the list 0..N-1, ``{keys: N}`` for a map k0..kN-1 → 0.. and ``{chars: N}`` for
    a string of N characters (big inputs without a big file)."""
    if isinstance(value, dict):
        if set(value) == {"range"}:
            return list(range(value["range"]))
        if set(value) == {"keys"}:
            return {f"k{i}": i for i in range(value["keys"])}
        if set(value) == {"chars"}:
            return "x" * value["chars"]
        return {k: _data(v) for k, v in value.items()}
    return value


def run(case: dict[str, Any], lazy: bool = False) -> tuple[str, Any]:
    tree = cel.compile_expr(case["expr"]).tree
    facts = _data(case.get("facts", {}))
    activation = {
        # converted whole (as `anops-policy test` does) or on demand (as `eval` does: the C++ backend then
        # reads the JSON itself)
        "facts": to_cel_lazy(facts) if lazy else to_cel(facts),
        "params": to_cel(case.get("params", {})),
        "now": timestamp(NOW),
    }
    try:
        with deadline(20.0):
            return ("value", describe(cel.evaluate(tree, activation)))
    except cel.CelRuntimeError as exc:
        return ("error", str(exc))


@pytest.mark.parametrize("lazy", [False, True], ids=["converted", "lazy"])
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_cel_python_answer_through_either_backend(case: dict[str, Any], lazy: bool) -> None:
    require_native()
    python, native, stats = on_both(lambda: run(case, lazy))
    assert native == python
    decided = "native" if stats["native"] else "python"
    assert decided == case["decided_by"], stats


_IN_A_FRESH_PROCESS = """
import json, sys
from cel_backends.backends import backend
from cel_backends.test_divergences import run
with backend("native"):
    print(json.dumps(run(json.load(sys.stdin))))
"""


@pytest.mark.parametrize("case", [c for c in CASES if "fresh_processes" in c], ids=lambda c: c["name"])
def test_the_same_answer_in_every_process(case: dict[str, Any]) -> None:
    """The C++ runtime iterates a map in an order that changes from process to process: each process's
    native answer must still be cel-python's."""
    require_native()
    with backend("python"):
        python = json.loads(json.dumps(run(case)))
    for seed in range(case["fresh_processes"]):
        done = subprocess.run(
            [sys.executable, "-c", _IN_A_FRESH_PROCESS],
            input=json.dumps(case),
            capture_output=True,
            text=True,
            cwd=FILE.parent.parent,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            check=True,
            timeout=120,
        )
        assert json.loads(done.stdout) == python, f"PYTHONHASHSEED={seed}"


def test_forcing_cel_python_bypasses_the_native_runtime() -> None:
    require_native()
    with backend("python"):
        assert run(CASES[0])[0] == "error"
        assert backend_stats() == {"backend": "python"}
