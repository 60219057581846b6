"""Golden shell facts: what the CI and Dockerfile collectors read from shell text (test commands with their
masking reasons, package installs, piped installers, the problems they raise) on every case repository and
on the bundled example before and after ``examples/anops-ready.patch``, both sections for every repository.

Frozen from the scanner the bash grammar replaced (benchmarks/shell_facts/ has the same comparison on
fetched projects); ``pytest tests/collectors --update-goldens`` rewrites them."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import RepoConfig, load_config
from anops_policy.pipeline.collect import collect_facts

HERE = Path(__file__).parent
EXAMPLES = HERE.parents[1] / "examples"
GOLDENS = HERE / "ci" / "shell_goldens"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CASES = sorted(p for c in ("ci", "dockerfiles") for p in (HERE / c / "cases").glob("*") if (p / "repo").is_dir())
NAMES = [f"{c.parent.parent.name}-{c.name}" for c in CASES] + ["example-before", "example-ready"]
_COMMAND_KEYS = ("path", "line", "job", "step", "command", "tool", "cwd", "masked", "masking", "report_path",
                 "report_format", "via")


def shell_facts(repo: Path, config: RepoConfig) -> dict[str, Any]:
    doc = collect_facts(repo, config, now=NOW, only=["ci", "dockerfiles"], use_git=False)
    ci = doc.get("ci") or {}
    docker = doc.get("dockerfiles") or {}
    return {
        "ci_counts": ci.get("counts"),
        "test_commands": [{k: t.get(k) for k in _COMMAND_KEYS} for t in ci.get("test_commands", [])],
        "masked_test_steps": [(s["path"], s["line"], s["reasons"]) for s in ci.get("masked_test_steps", [])],
        "dockerfiles": {
            path: {"installs": d.get("installs"), "pipe_to_shell": d.get("pipe_to_shell"),
                   "secrets": d.get("secrets"), "problems": [(p["code"], p["line"]) for p in d.get("problems", [])]}
            for path, d in sorted((docker.get("by_path") or {}).items())
        },
    }


def _repo(name: str, tmp_path: Path) -> tuple[Path, RepoConfig]:
    if name == "example-before":
        return EXAMPLES / "anops", load_config(EXAMPLES / "anops" / "anops-policy.yaml")
    if name == "example-ready":
        dest = tmp_path / "anops"
        subprocess.run(["sh", str(EXAMPLES / "make-ready-patch.sh"), "apply", str(dest)], check=True,
                       capture_output=True)
        return dest, load_config(dest / "anops-policy.yaml")
    case = CASES[NAMES.index(name)]
    config = case / "config.yaml"
    return case / "repo", load_config(config) if config.is_file() else RepoConfig()


@pytest.mark.parametrize("name", NAMES)
def test_shell_facts_golden(name: str, tmp_path: Path, update_goldens: bool) -> None:
    repo, config = _repo(name, tmp_path)
    actual = json.loads(json.dumps(shell_facts(repo, config)))
    golden = GOLDENS / f"{name}.json"
    if update_goldens or not golden.exists():
        golden.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n")
        if not update_goldens:
            pytest.fail(f"wrote missing golden {golden}; review and commit it")
    assert actual == json.loads(golden.read_text())
