"""Every input a fuzz run found (``tests/fuzz/regressions/<target>/<case>``) keeps its target's contract."""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzz_strategies import load_targets

TARGETS = load_targets().TARGETS
CASES = sorted(p for p in (Path(__file__).parent / "regressions").glob("*/*") if p.is_file())


def test_regression_folders_name_targets() -> None:
    assert {p.parent.name for p in CASES} <= set(TARGETS)


@pytest.mark.parametrize("case", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_regression(case: Path) -> None:
    TARGETS[case.parent.name](case.read_bytes())
