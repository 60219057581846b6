"""The rust collector's whole section on every Rust repository of the test suite and the examples, frozen:
``tests/collectors/rust/facts/<name>.json`` per repository (``pytest --update-goldens`` rewrites them).

The repositories are the other collectors' case repositories holding a ``Cargo.toml`` (the rust collector's
own cases have their ``expected.json``), the Rust idiom cases, and ``examples/anops`` in its before and
ready states (``examples/anops-ready.patch`` applied to a copy). They pin the facts every policy reads, so
a change of how sources are read (a lexer, a parser) shows each fact it changes."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import RepoConfig, find_config, load_config
from anops_policy.pipeline.collect import collect_facts

HERE = Path(__file__).parent
TESTS = HERE.parents[1]
EXAMPLES = TESTS.parent / "examples"
GOLDENS = HERE / "facts"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _repos() -> dict[str, Path]:
    """Golden name → the case folder holding ``repo/`` (or the example itself)."""
    out: dict[str, Path] = {}
    for repo in sorted(TESTS.glob("collectors/*/cases/*/repo")) + sorted(HERE.glob("idioms/*/repo")):
        case = repo.parent
        family = case.parent.parent.name if case.parent.name == "cases" else case.parent.name
        if family == "rust" or next(repo.rglob("Cargo.toml"), None) is None:
            continue
        out[f"{family}-{case.name}"] = case
    out["examples-anops"] = EXAMPLES / "anops"
    out["examples-anops-ready"] = EXAMPLES / "anops"
    return out


REPOS = _repos()


def _prepare(name: str, case: Path, tmp_path: Path) -> tuple[Path, RepoConfig]:
    work = tmp_path / "repo"
    source = case if name.startswith("examples-") else case / "repo"
    shutil.copytree(source, work, symlinks=True)
    if name == "examples-anops-ready":
        patch = EXAMPLES / "anops-ready.patch"
        subprocess.run(["git", "apply", str(patch)], cwd=work, check=True, capture_output=True)
    config_file = case / "config.yaml" if (case / "config.yaml").is_file() else find_config(work)
    return work, load_config(config_file) if config_file is not None else RepoConfig()


@pytest.mark.parametrize("name", sorted(REPOS))
def test_rust_facts_golden(name: str, tmp_path: Path, update_goldens: bool) -> None:
    work, config = _prepare(name, REPOS[name], tmp_path)
    document = collect_facts(work, config, now=NOW, only=["rust"], use_git=False, jobs=1)
    actual: dict[str, Any] = document.get("rust") or {
        "status": document["meta"]["collectors"]["rust"]["status"],
        "error": document["meta"]["collectors"]["rust"]["error"],
    }
    golden = GOLDENS / f"{name}.json"
    if update_goldens or not golden.exists():
        GOLDENS.mkdir(exist_ok=True)
        golden.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        if not update_goldens:
            pytest.fail(f"wrote missing golden {golden}; review and commit it")
    assert actual == json.loads(golden.read_text(encoding="utf-8"))
