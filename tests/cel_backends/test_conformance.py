"""The CEL conformance cases cel-python passes give identical results on the native backend.

The cases come from the npm package ``@bufbuild/cel-spec`` through ``make_conformance_cases.py`` (run it to
regenerate ``conformance_cases.json``). A case counts as passed by cel-python when its value (with its CEL
type) or its error is the expected one; for each such case the native backend must give the same value, or
the same error message.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from anops_policy.cel import evaluator as cel
from anops_policy.cel.backend import backend_stats
from anops_policy.cel.deadline import DeadlineExceeded, deadline
from anops_policy.cel.values import to_cel

from .backends import backend, decode, describe, plain, require_native

CASES: list[dict[str, Any]] = json.loads(Path(__file__).with_name("conformance_cases.json").read_text())["cases"]
BY_SUITE: dict[str, list[dict[str, Any]]] = defaultdict(list)
for _case in CASES:
    BY_SUITE[_case["id"].split("/")[0]].append(_case)


def run(case: dict[str, Any]) -> tuple[str, Any]:
    try:
        compiled = cel.compile_expr(case["expr"])
    except cel.CelSyntaxError as exc:
        return ("syntax", exc.message)
    activation = {name: to_cel(plain(value)) for name, value in case.get("bindings", {}).items()}
    try:
        with deadline(30.0):  # only a guard against a hang: a shared CI machine can be very slow
            return ("value", describe(cel.evaluate(compiled.tree, activation)))
    except cel.CelRuntimeError as exc:
        return ("error", str(exc))
    except DeadlineExceeded:
        return ("timeout", None)


def passes(case: dict[str, Any], result: tuple[str, Any]) -> bool:
    if "error" in case["expect"]:
        return result[0] == "error"
    return result == ("value", decode(case["expect"]["value"]))


@pytest.mark.parametrize("suite", sorted(BY_SUITE))
def test_conformance_cases_cel_python_passes_agree_on_native(suite: str) -> None:
    require_native()
    with backend("python"):
        expected = {c["id"]: run(c) for c in BY_SUITE[suite]}
    passed = [c for c in BY_SUITE[suite] if passes(c, expected[c["id"]])]
    with backend("native"):
        differences = [
            f"{c['id']}: {c['expr']!r}: cel-python {expected[c['id']]} != native {got}"
            for c in passed
            if (got := run(c)) != expected[c["id"]]
        ]
        stats = backend_stats()
    assert not differences, "\n".join(differences)
    # not vacuous: values cel-python gets right were computed by the C++ runtime, not by the fallback
    # (a native error always falls back, so a suite of expected errors is decided by cel-python)
    if any("value" in c["expect"] for c in passed):
        assert stats["native"] > 0, stats


def test_the_subset_is_substantial() -> None:
    """Guards the generator: the vendored list keeps the core suites (regenerated, never edited by hand)."""
    assert len(CASES) > 1000
    assert {"basic", "comparisons", "logic", "macros", "string", "timestamps"} <= set(BY_SUITE)
