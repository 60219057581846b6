"""grpc facts of examples/anops before and after ``examples/anops-ready.patch``, against what a reader
of the example finds by hand (examples/README.md, item 1.1)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import RepoConfig, load_config
from anops_policy.pipeline.collect import collect_facts

ROOT = Path(__file__).parent.parent.parent
EXAMPLE = ROOT / "examples" / "anops"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
PROTO = "model-service/proto/model.proto"
STUBS = [
    "api-service/model_pb2.py",
    "api-service/model_pb2_grpc.py",
    "model-service/model_pb2.py",
    "model-service/model_pb2_grpc.py",
]
HAVE_GRPC_TOOLS = importlib.util.find_spec("grpc_tools") is not None


def grpc_facts(root: Path, *, use_git: bool) -> dict[str, Any]:
    config = load_config(root / "anops-policy.yaml") if (root / "anops-policy.yaml").is_file() else RepoConfig()
    doc = collect_facts(root, config, now=NOW, only=["grpc"], use_git=use_git)
    assert doc["meta"]["collectors"]["grpc"]["status"] == "ok", doc["meta"]["collectors"]["grpc"]
    section: dict[str, Any] = doc["grpc"]
    return section


def test_before_the_contract_and_its_stubs() -> None:
    grpc = grpc_facts(EXAMPLE, use_git=True)
    assert list(grpc["protos"]) == [PROTO]
    proto = grpc["protos"][PROTO]
    assert proto["package"] == "anops.model.v1"
    assert [(r["name"], r["line"], r["request"], r["response"]) for r in proto["services"][0]["rpcs"]] == [
        ("Predict", 8, "PredictRequest", "PredictResponse"),
        ("Status", 10, "StatusRequest", "StatusResponse"),
    ]
    assert proto["stubs"] == STUBS
    assert grpc["services"]["anops.model.v1.ModelService"]["rpcs"] == ["Predict", "Status"]
    # README: the stubs are real grpcio-tools 1.85.1 output of the committed proto
    by_path = {s["path"]: s for s in grpc["stubs"]}
    if grpc["staleness"]["git"]["available"]:
        assert {by_path[p]["stale_by_git"] for p in STUBS} == {False}
    if HAVE_GRPC_TOOLS:
        assert {by_path[p]["stale_by_regeneration"] for p in STUBS} == {False}
    assert grpc["stale_stubs"] == []
    # item 1.1: nothing asserts that generated code or images exist
    assert grpc["tests_verifying_generated_code"] == []
    assert grpc["tests_verifying_images"] == []


@pytest.mark.skipif(shutil.which("git") is None, reason="git is needed to apply examples/anops-ready.patch")
def test_ready_state_tests_verify_code_and_images(tmp_path: Path) -> None:
    ready = tmp_path / "anops"
    shutil.copytree(EXAMPLE, ready)
    subprocess.run(
        ["git", "apply", str(ROOT / "examples" / "anops-ready.patch")], cwd=ready, check=True, capture_output=True
    )
    grpc = grpc_facts(ready, use_git=False)
    cli = "ao-cli/tests/cli.rs"
    code = [(c["line"], c["function"], c["evidence"], c["tests"]) for c in grpc["tests_verifying_generated_code"]]
    # assert_grpc_code_in() asserts both generated modules with is_file(); three tests call it
    callers = [
        f"{cli}::build_generates_grpc_code_and_builds_every_image",
        f"{cli}::build_no_images_only_generates_code",
        f"{cli}::build_only_builds_the_named_image",
    ]
    assert code == [
        (110, "assert_grpc_code_in", "{dir}/model_pb2.py", callers),
        (115, "assert_grpc_code_in", "{dir}/model_pb2_grpc.py", callers),
    ]
    images = [(c["line"], c["kind"], c["function"]) for c in grpc["tests_verifying_images"]]
    # the fake docker's call log: exact `docker build --tag anops/…:dev` calls, and "stops at the first
    # failure"; `assert!(ws.docker_calls().is_empty())` asserts that nothing was built and is not a check
    assert images == [
        (138, "docker_call_log", "build_generates_grpc_code_and_builds_every_image"),
        (138, "image_tag", "build_generates_grpc_code_and_builds_every_image"),
        (155, "docker_call_log", "build_only_builds_the_named_image"),
        (155, "image_tag", "build_only_builds_the_named_image"),
        (188, "docker_call_log", "build_reports_which_image_failed_and_why"),
    ]
    assert grpc["counts"]["tests_verifying_generated_code"] == 3
    assert grpc["counts"]["tests_verifying_images"] == 3
    assert grpc["by_dir"]["ao-cli"]["generated_code_checks"] == 2
    assert grpc["by_dir"]["ao-cli"]["image_checks"] == 5
