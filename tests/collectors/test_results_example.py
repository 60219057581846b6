"""The bundled example (examples/anops) as CI left it: real pytest JUnit files (one failing model-service
test; an e2e file whose module failed to import, so no test ran) and a ``cargo test`` log. Its ready
state (examples/anops-ready.patch) must read as all green, including the test the checklist asks for."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import load_config
from anops_policy.facts import document_errors
from anops_policy.pipeline.collect import collect_facts

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE = REPO_ROOT / "examples" / "anops"
READY_PATCH = REPO_ROOT / "examples" / "anops-ready.patch"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def collect(root: Path, *, use_git: bool) -> dict[str, Any]:
    config = load_config(root / "anops-policy.yaml")
    document = collect_facts(root, config, now=NOW, only=["tests", "coverage"], use_git=use_git)
    assert document_errors(document) == []
    for name in ("tests", "coverage"):
        assert document["meta"]["collectors"][name]["status"] == "ok", document["meta"]["collectors"]
    return document


def test_before_state_shows_the_failure_and_the_e2e_that_never_ran() -> None:
    document = collect(EXAMPLE, use_git=True)
    tests = document["tests"]
    assert tests["globs"] == ["reports/**"] and tests["globs_source"] == "config"
    assert tests["files"] == 4
    assert tests["totals"] == {
        "tests": 15, "passed": 13, "failed": 1, "errors": 1, "skipped": 0,
        "collection_errors": 1, "flaky": 0, "suites": 5,
    }
    assert (tests["ran"], tests["all_passed"]) == (True, False)

    failed = tests["by_name"]["test_predict_returns_scores"]
    assert (failed["status"], failed["path"], failed["file"]) == (
        "failed", "reports/model-service-junit.xml", "model-service/tests/test_server.py",
    )
    # the e2e file: a collection error, zero tests; the e2e source file never passed a test
    assert tests["zero_test_suites"] == ["reports/e2e-junit.xml::pytest"]
    assert tests["zero_test_files"] == ["reports/e2e-junit.xml"]
    e2e = tests["by_path"]["tests/test_e2e.py"]
    assert (e2e["tests"], e2e["passed"], e2e["collection_errors"]) == (1, 0, 1)
    collection = next(c for c in tests["failing"] if c["collection_error"])
    assert collection["message"] == "collection failure: ModuleNotFoundError: No module named 'requests'"

    cargo = tests["reports"]["reports/cargo-test.txt"]
    assert (cargo["format"], cargo["tests"], cargo["passed"]) == ("cargo-human", 9, 9)
    assert tests["by_path"]["ao-cli/tests/cli.rs"]["passed"] == 4
    assert tests["by_name"]["config::tests::unknown_fields_are_rejected"]["file"] == "ao-cli/src/config.rs"

    # checklist 1.4: the gRPC internal-error test does not exist yet
    assert not any("internal_error" in name for name in tests["by_base_name"])

    coverage = document["coverage"]
    assert (coverage["files"], coverage["totals"]["line_rate"]) == (0, 0.0)
    assert {e["path"] for e in coverage["ignored"]} == {
        "reports/api-service-junit.xml", "reports/cargo-test.txt",
        "reports/e2e-junit.xml", "reports/model-service-junit.xml",
    }


@pytest.mark.skipif(shutil.which("git") is None, reason="git is needed to apply the ready-state patch")
def test_ready_state_is_green(tmp_path: Path) -> None:
    ready = tmp_path / "anops"
    shutil.copytree(EXAMPLE, ready)
    subprocess.run(["git", "apply", str(READY_PATCH)], cwd=ready, check=True, capture_output=True, timeout=60)
    tests = collect(ready, use_git=False)["tests"]
    assert (tests["ran"], tests["all_passed"]) == (True, True)
    assert tests["zero_test_suites"] == [] and tests["errors"] == []
    assert tests["by_base_name"]["test_model_service_internal_error_is_502"]["status"] == "passed"
    e2e = tests["by_path"]["tests/test_e2e.py"]
    assert e2e["passed"] == e2e["tests"] > 0
