"""Tests that check generated code or built images exist (Python by ``ast``, Rust lexically), each check
credited to the tests that reach it through calls or fixtures."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from anops_policy.collectors.grpc.proto import Proto
from anops_policy.collectors.grpc.python import GENERATED_PATH, module_checks
from anops_policy.collectors.grpc.python import is_test_file as is_python_test_file
from anops_policy.collectors.rust.asserts import test_file_checks_of

from anops_policy.collection.collector import CollectContext


def generated_matcher(protos: dict[str, Proto]) -> Callable[[str], bool]:
    packages = {p.package for p in protos.values() if p.package}

    def generated(literal: str) -> bool:
        if not literal or any(ch.isspace() for ch in literal):  # messages, not paths
            return False
        if GENERATED_PATH.search(literal):
            return True
        base = literal.rsplit("/", 1)[-1]
        return base.endswith(".rs") and base[:-3] in packages

    return generated


def python_checks(
    ctx: CollectContext, files: list[str], generated: Callable[[str], bool], problems: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Checks in Python test files; a check in a helper or fixture is credited to the tests (in any test
    file: fixtures live in conftest.py) that reach it by call or fixture parameter."""
    found: list[tuple[str, str, int, str, str]] = []  # (path, function, line, kind, evidence)
    callers: dict[str, set[str]] = {}
    tests: dict[str, set[str]] = {}  # test function name → "path::name" ids
    for path in (f for f in files if is_python_test_file(f)):
        text = ctx.read_text(path)
        if text is None:
            continue
        summary = module_checks(ctx, path, text)
        if isinstance(summary, tuple):
            line, why = summary
            problems.append({"path": path, "line": line, "message": f"not valid Python, not scanned: {why}"})
            continue
        for name in summary.tests:
            tests.setdefault(name, set()).add(f"{path}::{name}")
        found.extend(summary.found(path, generated))
        for name, who in summary.callers.items():
            callers.setdefault(name, set()).update(who)
    out: list[dict[str, Any]] = []
    for path, function, line, kind, evidence in sorted(set(found)):
        reach = _reaching(function, callers)
        ids = sorted(i for name in reach for i in tests.get(name, ()))
        out.append({"path": path, "line": line, "kind": kind, "function": function, "evidence": evidence, "tests": ids})
    return out


REACH_LIMIT = 500  # functions credited through calls, at the most, per check


def _reaching(function: str, callers: dict[str, set[str]]) -> set[str]:
    """``function`` and the functions that reach it through calls, nearest first, at most ``REACH_LIMIT``:
    breadth-first, each function's callers in name order, so where the limit cuts does not depend on the
    process's string hashing (a set's order does: a helper every test reaches, ``__enter__`` on real code,
    was credited to a different tenth of the tests in every run)."""
    seen = {function}
    frontier = deque([function])
    while frontier and len(seen) < REACH_LIMIT:
        for caller in sorted(callers.get(frontier.popleft(), ())):
            if caller not in seen:
                seen.add(caller)
                frontier.append(caller)
    return seen


def _rust_test_files(files: list[str]) -> list[str]:
    return [f for f in files if f.endswith(".rs") and ("/tests/" in f"/{f}")]


def rust_checks(ctx: CollectContext, files: list[str], generated: Callable[[str], bool]) -> list[dict[str, Any]]:
    """Checks in Rust files under ``tests/``; a check in a helper (also one in a shared ``mod common``)
    is credited to the #[test] functions that reach it."""
    found: list[tuple[str, Any]] = []
    callers: dict[str, set[str]] = {}
    tests: dict[str, set[str]] = {}
    for path in _rust_test_files(files):
        text = ctx.read_text(path)
        if text is None:
            continue
        checks = test_file_checks_of(ctx.memo, path, text)
        found.extend((path, v) for v in checks.verifications(generated))
        for name in checks.tests:
            tests.setdefault(name, set()).add(f"{path}::{name}")
        for name, who in checks.callers.items():
            callers.setdefault(name, set()).update(who)
    out: list[dict[str, Any]] = []
    for path, v in found:
        reach = _reaching(v.function, callers)
        ids = sorted(i for name in reach for i in tests.get(name, ()))
        out.append(
            {"path": path, "line": v.line, "kind": v.kind, "function": v.function, "evidence": v.evidence, "tests": ids}
        )
    return out
