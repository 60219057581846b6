"""The README's "Limits" table states the code's values: each row names the constants it documents, and
the value shown must equal them (so the documentation cannot go stale when a limit changes)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
UNITS = {"": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "s": 1}
# limits the issue requires to be documented (a row may not silently disappear)
REQUIRED = {
    "collection.repo.DEFAULT_MAX_FILE_BYTES", "yamlsafe.MAX_DEPTH", "yamlsafe.MAX_ALIASES",
    "yamlsafe.MAX_EXPANDED_NODES", "evaluation.evaluate.DEFAULT_DEADLINE_S",
    "evaluation.evaluate.DEFAULT_MAX_DECISIONS",
    "facts.MAX_FACT_FILE_BYTES", "evaluation.explain.MAX_ELEMENTS", "evaluation.explain.MAX_STRING",
    "collection.collector.DEFAULT_MAX_SECTION_BYTES", "policy.check.MAX_TREE_DEPTH",
}


def limit_rows() -> list[tuple[str, str, list[str]]]:
    """(limit, value cell, constant names) for each row of the README's Limits table."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Limits\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("limit", "---"):
            continue
        rows.append((cells[0], cells[1], re.findall(r"`([a-z_.]+\.[A-Z_]+)`", cells[3])))
    return rows


def constant(name: str) -> Any:
    module, _, attr = name.rpartition(".")
    try:
        return getattr(importlib.import_module(f"anops_policy.{module}"), attr)
    except (ModuleNotFoundError, AttributeError):
        raise AssertionError(f"README names {name}, which the code does not define") from None


def parse_value(cell: str) -> float:
    match = re.fullmatch(r"([\d.]+)\s*(KiB|MiB|GiB|s)?", cell.strip())
    assert match, f"limit value {cell!r} is not a number with an optional unit"
    return float(match.group(1)) * UNITS[match.group(2) or ""]


def test_the_limits_table_covers_the_required_limits() -> None:
    named = {name for _, _, names in limit_rows() for name in names}
    assert named >= REQUIRED, f"README Limits lacks {sorted(REQUIRED - named)}"


@pytest.mark.parametrize(("limit", "cell", "names"), limit_rows(), ids=[r[0] for r in limit_rows()])
def test_a_documented_limit_is_the_codes(limit: str, cell: str, names: list[str]) -> None:
    assert names, f"row {limit!r} names no constant"
    values = [parse_value(v) for v in cell.split(" / ")]
    if len(values) == 1:
        values *= len(names)  # one value shared by several constants (GitHub and GitLab job limits)
    assert len(values) == len(names), f"row {limit!r}: {cell!r} against {names}"
    for name, value in zip(names, values, strict=True):
        assert float(constant(name)) == value, f"README says {limit} is {cell}, code {name} is {constant(name)}"
