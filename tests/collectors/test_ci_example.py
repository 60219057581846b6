"""The ``ci`` facts on the bundled example, before and after ``examples/anops-ready.patch``: the gaps the
examples README lists for items 4.1 and 4.2 (``.github/workflows/ci.yml:9``, ``:24``, ``:36``, ``:51``,
``:52``) are in the facts, and are gone in the ready state."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import load_config
from anops_policy.facts import section_errors
from anops_policy.pipeline.collect import collect_facts

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WORKFLOW = ".github/workflows/ci.yml"


def facts(root: Path) -> dict[str, Any]:
    doc = collect_facts(root, load_config(root / "anops-policy.yaml"), now=NOW, only=["ci"], use_git=False)
    assert doc["meta"]["collectors"]["ci"]["status"] == "ok", doc["meta"]["collectors"]["ci"]
    section: dict[str, Any] = doc["ci"]
    assert section_errors("ci", section) == []
    return section


@pytest.fixture(scope="module")
def before() -> dict[str, Any]:
    return facts(EXAMPLES / "anops")


@pytest.fixture(scope="module")
def ready(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    dest = tmp_path_factory.mktemp("ready") / "anops"
    subprocess.run(["sh", str(EXAMPLES / "make-ready-patch.sh"), "apply", str(dest)], check=True, capture_output=True)
    return facts(dest)


def test_jobs_of_the_example(before: dict[str, Any]) -> None:
    assert [(j["id"], j["line"]) for j in before["jobs"]] == [("rust", 9), ("api", 24), ("e2e", 36)]
    assert before["counts"]["errors"] == 0


def test_masked_e2e_step_is_flagged_4_2(before: dict[str, Any]) -> None:
    [step] = before["masked_test_steps"]
    assert (step["path"], step["line"], step["job"], step["step"]) == (WORKFLOW, 49, "e2e", "End-to-end tests")
    assert step["kinds"] == ["e2e"]
    reasons = {(r["reason"], r["line"]) for r in step["reasons"]}
    assert reasons == {("continue-on-error: true on the step", 51), ("|| true", 52)}
    [command] = [t for t in before["test_commands"] if t["masked"]]
    assert (command["path"], command["line"], command["command"]) == (WORKFLOW, 52, "pytest tests/test_e2e.py")
    assert before["kinds_run_unmasked"] == ["integration", "unit"]  # e2e only runs masked
    assert before["reports_published"] is False


def test_model_service_tests_never_run_4_1(before: dict[str, Any]) -> None:
    components = before["components"]
    assert components["model-service"]["test_commands"] == 0
    assert components["api-service"]["unmasked"] == 1
    assert components["ao-cli"]["unmasked_kinds"] == ["integration", "unit"]  # bare `cargo test` in ao-cli


def test_ready_state_runs_everything_visibly(ready: dict[str, Any]) -> None:
    assert ready["counts"]["masked"] == 0
    assert ready["masked_test_steps"] == []
    assert ready["kinds_run_unmasked"] == ["e2e", "integration", "unit"]
    assert all(c["unmasked"] > 0 for c in ready["components"].values()), ready["components"]
    assert ready["reports_published"] is True
    assert ready["reports_on_failure"] is True
    kinds = {r["kind"] for r in ready["reports"]}
    assert kinds == {"artifact", "test-reporter"}
    assert "reports/e2e-junit.xml" in ready["report_files"]


def test_cli_facts_shows_the_masked_step() -> None:
    """`anops-policy facts examples/anops` (the documented command) carries the same flag."""
    out = subprocess.run([sys.executable, "-m", "anops_policy", "facts", str(EXAMPLES / "anops"), "--only", "ci"],
                         capture_output=True, text=True, timeout=300, check=True)
    document = json.loads(out.stdout)
    assert document["meta"]["collectors"]["ci"]["status"] == "ok"
    [step] = document["ci"]["masked_test_steps"]
    assert (step["path"], step["line"]) == (WORKFLOW, 49)
    assert sorted(r["line"] for r in step["reasons"]) == [51, 52]
