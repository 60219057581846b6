"""``auto`` (the default) gives C++ only the expressions where it pays (test_pack_differential.py checks that it
decides the example repository exactly as cel-python); the native backend keeps nothing of a document after an
evaluation."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

from anops_policy.cel import evaluator as cel
from anops_policy.cel.backend import backend_stats
from anops_policy.cel.values import timestamp, to_cel, to_cel_lazy

from .backends import backend, require_native

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def _evaluate(tree: Any, facts: Any, subject: str = "") -> Any:
    activation = {"facts": facts, "now": timestamp(NOW), "subject": to_cel(subject)}
    return cel.evaluate(tree, activation)


def test_auto_leaves_a_cheap_one_off_expression_to_cel_python() -> None:
    require_native()
    with backend("auto"):
        _evaluate(cel.compile_expr("facts.n + 1").tree, to_cel_lazy({"n": 1}))
        stats = backend_stats()
    assert (stats["native"], stats["python"]) == (0, 1), stats
    assert stats["reasons"] == {"auto: faster in cel-python": 1}


def test_auto_moves_an_expression_cel_python_is_slow_on_to_cpp_with_the_same_answers() -> None:
    require_native()
    tree = cel.compile_expr(
        "facts.items.filter(t, t.path.startsWith(subject) && t.line % 3 == 0).map(t, t.path + ':' + string(t.line))"
    ).tree
    facts = to_cel_lazy({"items": [{"path": f"src/m{i % 7}/f{i}.py", "line": i} for i in range(400)]})
    subjects = [f"src/m{i % 7}/" for i in range(20)]
    with backend("python"):
        expected = [list(_evaluate(tree, facts, s)) for s in subjects]
    with backend("auto"):
        found = [list(_evaluate(tree, facts, s)) for s in subjects]
        stats = backend_stats()
    assert found == expected
    assert stats["python"] >= 1, stats  # cel-python first, until its time reaches a compilation's cost
    assert stats["native"] > 10 * stats["python"], stats  # then C++, and it stays: clearly faster here


def test_the_first_purchase_of_a_thread_also_pays_for_starting_cpp() -> None:
    """Rent or buy, where the first expression bought also starts the C++ environment: an expression that has
    cost cel-python more than a compilation but less than a compilation and the start stays in cel-python
    while nothing runs in C++ yet, and goes to C++ once something does."""
    from anops_policy.cel.native_auto import AUTO_BUY_S, AUTO_ENV_S, Timing, pays  # noqa: PLC0415

    between = Timing(tree=None, python_s=AUTO_BUY_S + AUTO_ENV_S / 2, python_n=3)
    assert not pays(between, env_started=False)
    assert pays(between, env_started=True)
    beyond = Timing(tree=None, python_s=AUTO_BUY_S + AUTO_ENV_S, python_n=5)
    assert pays(beyond, env_started=False)


def test_values_handed_to_cpp_are_not_kept_after_the_evaluation() -> None:
    """cel-expr-python keeps a reference to every value a Python function returns to it; the backend gives
    it back, so a fact document is freed after its evaluations (a long-lived server grew by every one)."""
    require_native()
    entry = {"count": 1, "paths": ["a", "b"]}
    facts = to_cel_lazy({"by_path": {"a.py": entry}})
    tree = cel.compile_expr("facts.by_path['a.py'].paths.size() == 2 && size(facts.by_path['a.py'].paths) > 1").tree
    with backend("native"):
        assert _evaluate(tree, facts)
        before = sys.getrefcount(entry)
        for _ in range(50):
            assert _evaluate(tree, facts)
        stats = backend_stats()
    assert stats["native"] == 51, stats
    assert sys.getrefcount(entry) == before
