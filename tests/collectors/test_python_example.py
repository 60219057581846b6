"""The python and logging facts on the bundled example, before and after ``examples/anops-ready.patch``:
each gap examples/README.md lists for items 1.3-1.6, 2.2 and 2.3 shows up with the file:line the table
gives, and is gone in the ready state."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import load_config
from anops_policy.facts import section_errors
from anops_policy.pipeline.collect import collect_facts

EXAMPLES = Path(__file__).parents[2] / "examples"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def facts(root: Path) -> dict[str, Any]:
    document = collect_facts(
        root, load_config(root / "anops-policy.yaml"), now=NOW, only=["python", "rust", "logging"], use_git=False
    )
    for name in ("python", "logging", "rust"):
        assert document["meta"]["collectors"][name]["status"] == "ok", document["meta"]["collectors"][name]
        assert section_errors(name, document[name]) == []
    return document


@pytest.fixture(scope="module")
def before() -> dict[str, Any]:
    return facts(EXAMPLES / "anops")


@pytest.fixture(scope="module")
def ready(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    dest = tmp_path_factory.mktemp("ready") / "anops"
    subprocess.run(["sh", str(EXAMPLES / "make-ready-patch.sh"), "apply", str(dest)], check=True, capture_output=True)
    return facts(dest)


def lines(items: list[dict[str, Any]], path: str) -> list[int]:
    return sorted(i["line"] for i in items if i["path"] == path)


# ---- before: the gap table -----------------------------------------------------------------------------
def test_services_match_the_components(before: dict[str, Any]) -> None:
    services = before["python"]["services"]
    assert sorted(services) == ["api-service", "model-service"]
    api, model = services["api-service"], services["model-service"]
    assert (api["framework"], api["protocol"], api["entry_point"]["line"]) == ("fastapi", "http", 76)
    assert (model["framework"], model["protocol"], model["entry_point"]["line"]) == ("grpc", "grpc", 97)
    servicer = model["servicers"][0]
    assert [(m["name"], m["rpc"]) for m in servicer["methods"]] == [
        ("model", False),
        ("Predict", True),
        ("Status", True),
    ]


def test_http_service_gaps_1_3(before: dict[str, Any]) -> None:
    api = before["python"]["services"]["api-service"]
    assert [(t["name"], t["line"]) for t in api["tests"]] == [
        ("test_predict_returns_the_model_label", 20),
        ("test_healthz", 33),
    ]
    signals = api["test_signals"]
    # TestClient(api.app) without `with` (test_api.py:22): the lifespan never runs
    assert signals["tests_startup_shutdown"] is False
    assert signals["tests_env_vars"] is False and signals["untested_env_vars"] == [
        "API_PORT",
        "LOG_LEVEL",
        "MODEL_SERVICE_ADDR",
    ]
    assert signals["tests_malformed_requests"] is False and signals["asserted_http_statuses"] == [200]


def test_grpc_service_gaps_1_4(before: dict[str, Any]) -> None:
    model = before["python"]["services"]["model-service"]
    assert [t["line"] for t in model["tests"]] == [4, 10, 17]
    assert model["test_signals"]["asserted_grpc_codes"] == []
    assert model["test_signals"]["tests_env_vars"] is False
    assert "MODEL_PATH" in model["required_env_vars"]


def test_e2e_gaps_1_5_and_1_6(before: dict[str, Any]) -> None:
    e2e = before["python"]["e2e"]
    assert e2e["files"] == ["tests/test_e2e.py"]
    assert e2e["has_teardown"] is False
    assert e2e["starts_without_teardown"] == [
        {"path": "tests/test_e2e.py", "line": 40, "call": "subprocess.Popen"},
        {"path": "tests/test_e2e.py", "line": 48, "call": "subprocess.Popen"},
    ]
    assert e2e["negative_path_tests"] == []
    assert [t["line"] for t in before["python"]["test_files"]["tests/test_e2e.py"]["tests"]] == [56, 66]


def test_error_handling_gaps_2_3(before: dict[str, Any]) -> None:
    by_path = before["python"]["by_path"]
    assert lines(by_path["api-service/app.py"]["bare_excepts"], "api-service/app.py") == [92, 104]
    swallowed = {(s["path"], s["line"], s["kind"]) for f in by_path.values() for s in f["swallowed_exceptions"]}
    assert swallowed == {("api-service/app.py", 72, "pass"), ("model-service/server.py", 86, "broad")}
    required = {
        (r["path"], r["line"]) for s in before["python"]["services"].values() for r in s["env_vars"] if r["required"]
    }
    assert required == {("api-service/app.py", 66), ("model-service/server.py", 94)}


def test_logging_gaps_2_2(before: dict[str, Any]) -> None:
    api = before["logging"]["python"]["by_service"]["api-service"]
    assert api["configured"] is True
    assert api["level"]["source"] == "literal" and api["level"]["value"] == "INFO" and api["level"]["line"] == 24
    assert api["has_format"] is False
    uvicorn = api["level_settings"][0]
    assert (uvicorn["target"], uvicorn["env_var"], uvicorn["line"]) == ("uvicorn", "LOG_LEVEL", 121)
    assert lines(api["prints"], "api-service/app.py") == [67, 105]
    model = before["logging"]["python"]["by_service"]["model-service"]
    assert model["configured"] is False
    assert lines(model["prints"], "model-service/server.py") == [65, 67, 76, 101]


def test_rust_logging_gaps_2_1(before: dict[str, Any]) -> None:
    crate = before["logging"]["rust"]["by_crate"]["ao-cli"]
    assert crate["logs_via"] is None and crate["logger_initialised"] is False
    found = {(i["path"], i["line"]) for i in crate["console_output"]}
    assert {
        ("ao-cli/src/main.rs", 52),
        ("ao-cli/src/build.rs", 28),
        ("ao-cli/src/build.rs", 41),
        ("ao-cli/src/build.rs", 51),
        ("ao-cli/src/build.rs", 72),
        ("ao-cli/src/utils.rs", 13),
        ("ao-cli/src/check.rs", 13),
        ("ao-cli/src/check.rs", 21),
    } <= found


# ---- ready: the gaps are closed ------------------------------------------------------------------------
def test_ready_http_service(ready: dict[str, Any]) -> None:
    signals = ready["python"]["services"]["api-service"]["test_signals"]
    assert signals["tests_startup_shutdown"] and signals["tests_env_vars"] and signals["tests_malformed_requests"]
    assert signals["untested_env_vars"] == []
    assert {422, 502, 503} <= set(signals["asserted_http_statuses"])


def test_ready_grpc_service(ready: dict[str, Any]) -> None:
    signals = ready["python"]["services"]["model-service"]["test_signals"]
    assert "INTERNAL" in signals["asserted_grpc_codes"]
    assert {"MODEL_PATH", "GRPC_PORT"} <= set(signals["env_vars_deleted"]) | set(signals["env_vars_set"])
    assert "server.ConfigError" in signals["raises"]


def test_ready_e2e(ready: dict[str, Any]) -> None:
    e2e = ready["python"]["e2e"]
    assert e2e["has_teardown"] is True and e2e["starts_without_teardown"] == []
    names = {t["name"] for t in e2e["negative_path_tests"]}
    assert {"test_invalid_input_is_422", "test_model_service_down_is_503"} <= names


def test_ready_error_handling_and_logging(ready: dict[str, Any]) -> None:
    assert ready["python"]["counts"]["bare_excepts"] == 0
    assert ready["python"]["counts"]["swallowed_exceptions"] == 0
    for service in ("api-service", "model-service"):
        summary = ready["logging"]["python"]["by_service"][service]
        assert summary["level_from_env"] and summary["level_env_var"] == "LOG_LEVEL"
        assert summary["level"]["default"] == "INFO"
        assert summary["has_format"] and summary["print_count"] == 0
    crate = ready["logging"]["rust"]["by_crate"]["ao-cli"]
    assert crate["logs_via"] == "log" and crate["logger_initialised"] and crate["println_count"] == 0
