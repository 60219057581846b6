"""The mutation operators, one table: each case in ``mutation_operators.yaml`` is an expression and the mutants
each operator makes of it (``cel.mutate.mutants``), with the ones excluded as equivalent by construction."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from anops_policy.cel.evaluator import compile_expr
from anops_policy.cel.mutate import OPERATORS, mutants

CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "mutation_operators.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["expression"] for c in CASES])
def test_operator_mutants(case: dict[str, Any]) -> None:
    source = case["expression"]
    siblings = case.get("siblings", {})
    found = mutants(
        source,
        compile_expr(source).tree,
        boolean=case.get("boolean", False),
        siblings=lambda node: siblings.get(str(node.children[1]), []),
    )
    assert set(case["mutants"]) <= set(OPERATORS), "unknown operator in the case"
    by_operator: dict[str, list[str]] = defaultdict(list)
    for mutant in found:
        by_operator[mutant.operator].append(mutant.source)
    assert dict(by_operator) == case["mutants"]
    equivalent = {m.source: m.equivalent for m in found if m.equivalent}
    expected = case.get("equivalent", {})
    assert set(equivalent) == set(expected)
    for mutant_source, reason in expected.items():
        assert equivalent[mutant_source].startswith(reason), (mutant_source, equivalent[mutant_source])
