"""``auto`` (the default) gives C++ only the expressions where it pays (test_pack_differential.py checks that it
decides the example repository exactly as cel-python); the native backend keeps nothing of a document after an
evaluation."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

from anops_policy import cel

from .backends import backend, require_native

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def _evaluate(tree: Any, facts: Any, subject: str = "") -> Any:
    activation = {"facts": facts, "now": cel.timestamp(NOW), "subject": cel.to_cel(subject)}
    return cel.evaluate(tree, activation)


def test_auto_leaves_a_cheap_one_off_expression_to_cel_python() -> None:
    require_native()
    with backend("auto"):
        _evaluate(cel.compile_expr("facts.n + 1").tree, cel.to_cel_lazy({"n": 1}))
        stats = cel.backend_stats()
    assert (stats["native"], stats["python"]) == (0, 1), stats
    assert stats["reasons"] == {"auto: faster in cel-python": 1}


def test_auto_moves_a_repeated_expression_to_cpp_with_the_same_answers() -> None:
    require_native()
    tree = cel.compile_expr("subject in facts.by_path ? facts.by_path[subject].count * 2 : -1").tree
    facts = cel.to_cel_lazy({"by_path": {f"f{i}.py": {"count": i} for i in range(50)}})
    subjects = [f"f{i % 60}.py" for i in range(300)]
    with backend("python"):
        expected = [int(_evaluate(tree, facts, s)) for s in subjects]
    with backend("auto"):
        found = [int(_evaluate(tree, facts, s)) for s in subjects]
        stats = cel.backend_stats()
    assert found == expected
    assert stats["python"] >= 1, stats  # cel-python first, until its time reaches a compilation's cost
    assert stats["native"] > stats["python"], stats


def test_values_handed_to_cpp_are_not_kept_after_the_evaluation() -> None:
    """cel-expr-python keeps a reference to every value a Python function returns to it; the backend gives
    it back, so a fact document is freed after its evaluations (a long-lived server grew by every one)."""
    require_native()
    entry = {"count": 1, "paths": ["a", "b"]}
    facts = cel.to_cel_lazy({"by_path": {"a.py": entry}})
    tree = cel.compile_expr("facts.by_path['a.py'].paths.size() == 2 && size(facts.by_path['a.py'].paths) > 1").tree
    with backend("native"):
        assert _evaluate(tree, facts)
        before = sys.getrefcount(entry)
        for _ in range(50):
            assert _evaluate(tree, facts)
        stats = cel.backend_stats()
    assert stats["native"] == 51, stats
    assert sys.getrefcount(entry) == before
