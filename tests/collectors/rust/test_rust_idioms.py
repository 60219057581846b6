"""Rust CLI test idioms judged through the public CLI: ``tests/collectors/rust/idioms/<case>/`` holds the
cases (``idiom_cases``: a small repository and what ``facts`` and ``eval`` must say of it).

Each case is an idiom of real CLI test suites (fake programs on ``PATH`` that log their calls, a program
replaced through the variable that chooses it, assert_cmd/assert_fs/predicates, ``env!("CARGO_BIN_EXE_…")``)
or its counterpart that must not count (the real ``PATH``, a CLI that runs no other program)."""

from __future__ import annotations

from pathlib import Path

import pytest
from idiom_cases import check_case, idiom_cases

CASES = idiom_cases(Path(__file__).parent / "idioms")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_rust_idiom(case: Path, tmp_path: Path) -> None:
    check_case(case, tmp_path)
