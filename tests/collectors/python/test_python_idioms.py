"""Python test idioms judged through the public CLI: ``tests/collectors/python/idioms/<case>/`` holds the
cases (``idiom_cases``: a small repository and what ``facts`` and ``eval`` must say of it).

Each case is an idiom of real test suites (a server started in a fixture's thread, ``pytest.raises``
followed by a status assertion, unittest set-up and tear-down, …) or its counterpart that must not count
(a fixture that never shuts the server down, a ``raises`` with no status asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest
from idiom_cases import check_case, idiom_cases

CASES = idiom_cases(Path(__file__).parent / "idioms")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_python_idiom(case: Path, tmp_path: Path) -> None:
    check_case(case, tmp_path)
