"""Collector case folders: ``tests/collectors/<collector>/cases/<case>/`` holds ``repo/`` (the input tree),
optional ``config.yaml`` (an anops-policy.yaml for it) and ``expected.json`` (the collector's section, or
``{"status": ..., "error_contains": ...}`` for a case that must not produce one).

Run ``pytest tests/collectors --update-goldens`` to rewrite ``expected.json`` from the current output."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import RepoConfig, load_config
from anops_policy.facts import section_errors
from anops_policy.pipeline.collect import collect_facts

HERE = Path(__file__).parent
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CASES = sorted(p for p in HERE.glob("*/cases/*") if p.is_dir())


def case_repo(case: Path, tmp_path: Path) -> tuple[Path, RepoConfig]:
    """A copy of the case's repository (empty when it has none) and its config."""
    work = tmp_path / "repo"
    if (case / "repo").is_dir():
        shutil.copytree(case / "repo", work, symlinks=True)
    else:
        work.mkdir()
    config_file = case / "config.yaml"
    return work, load_config(config_file) if config_file.is_file() else RepoConfig()


def run_case(case: Path, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    collector = case.parent.parent.name
    work, config = case_repo(case, tmp_path)
    document = collect_facts(work, config, now=NOW, only=[collector], use_git=False)
    return collector, document


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.parent.name}/{c.name}" for c in CASES])
def test_collector_case(case: Path, tmp_path: Path, update_goldens: bool) -> None:
    collector, document = run_case(case, tmp_path)
    meta = document["meta"]["collectors"][collector]
    expected_file = case / "expected.json"
    if collector in document:
        actual: dict[str, Any] = document[collector]
        assert section_errors(collector, actual) == []
    else:
        actual = {"status": meta["status"], "error": meta["error"]}
    if "skipped" in meta:
        actual = (
            {**actual, "_skipped": meta["skipped"]} if collector in document else {**actual, "skipped": meta["skipped"]}
        )
    if update_goldens or not expected_file.exists():
        expected_file.write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n")
        if not update_goldens:
            pytest.fail(f"wrote missing golden {expected_file}; review and commit it")
    expected = json.loads(expected_file.read_text())
    assert actual == expected
