"""PolicyService over loopback: a real server process, a real gRPC client."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from anops_policy.server import policy_pb2, policy_pb2_grpc

from .conftest import EXAMPLE, ROOT, Server, cli, connect, example_config, json_bytes


@pytest.fixture(scope="module")
def stub(server: Server) -> policy_pb2_grpc.PolicyServiceStub:
    return connect(server)


def error_of(call: object, request: object) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call(request, timeout=60)  # type: ignore[operator]
    return info.value


def test_evaluate_gives_the_cli_decisions(stub: policy_pb2_grpc.PolicyServiceStub, example_facts: Path) -> None:
    local = subprocess.run(
        cli("eval", str(EXAMPLE), "--facts", str(example_facts), "--format", "json", "--no-decision-log", "-q"),
        capture_output=True, cwd=ROOT, check=False,
    )
    expected = json.loads(local.stdout)
    answer = stub.Evaluate(
        policy_pb2.EvaluateRequest(facts_json=example_facts.read_bytes(), config_json=json_bytes(example_config())),
        timeout=120,
    )
    report = json.loads(answer.report_json)
    assert report["decisions"] == expected["decisions"]
    assert report["items"] == expected["items"]
    assert report["summary"] == expected["summary"]
    assert answer.exit_code == local.returncode == expected["exit_code"] == 1
    assert answer.summary == expected["summary"]["line"]
    assert answer.blocking_failures == expected["summary"]["blocking_failures"] > 0
    assert (answer.items_total, answer.items_applicable, answer.items_satisfied) == (
        expected["summary"]["items_total"], expected["summary"]["items_applicable"],
        expected["summary"]["items_satisfied"])
    assert dict(answer.outcomes) == expected["summary"]["outcomes"]
    assert answer.facts_digest == json.loads(example_facts.read_text())["meta"]["digest"]
    assert [(p.id, p.digest) for p in answer.packs] == [(p["id"], p["digest"]) for p in expected["packs"]]


def test_params_and_policy_selection(stub: policy_pb2_grpc.PolicyServiceStub, example_facts: Path) -> None:
    request = policy_pb2.EvaluateRequest(
        facts_json=example_facts.read_bytes(),
        config_json=json_bytes(example_config()),
        policies=["no-todos-in-release-files"],
        params_json=json_bytes({"no-todos-in-release-files": {"max_markers": 5}}),
    )
    report = json.loads(stub.Evaluate(request, timeout=120).report_json)
    assert {d["policy"] for d in report["decisions"]} == {"no-todos-in-release-files"}
    assert {d["outcome"] for d in report["decisions"]} == {"pass"}


INVALID = [
    # (request fields, text the INVALID_ARGUMENT message must contain)
    ({"facts_json": b'{"apiVersion": "anops.dev/facts/v1",\n "meta": }'}, "facts_json:2:10: invalid JSON"),
    ({"facts_json": b""}, "facts_json: empty"),
    ({"facts_json": b"\xff\xfe"}, "facts_json: not UTF-8"),
    ({"facts_json": b'{"apiVersion": "anops.dev/facts/v1", "meta": {}}'}, "does not match the fact schema"),
    ({"packs": ["production-readines"]}, "unknown pack 'production-readines'"),
    ({"policies": ["no-todo-in-release-files"]}, "unknown policy 'no-todo-in-release-files'"),
    ({"params_json": b'{"no-todos-in-release-files": {"max_marker": 1}}'}, "has no parameter 'max_marker'"),
    ({"params_json": b'[1]'}, "params_json: expected a JSON object"),
    ({"config_json": b'{"waivers": "none"}'}, "config"),
    ({"fail_on": "never"}, "fail_on: 'never'"),
    ({"facts_json": b" " * 1_000_001}, "over the server's limit of 1000000 bytes"),
]


@pytest.mark.parametrize(("fields", "expected"), INVALID, ids=[e for _f, e in INVALID])
def test_bad_input_is_invalid_argument(
    stub: policy_pb2_grpc.PolicyServiceStub, example_facts: Path, fields: dict[str, object], expected: str
) -> None:
    request = policy_pb2.EvaluateRequest(facts_json=example_facts.read_bytes())
    for name, value in fields.items():
        if isinstance(value, list):
            getattr(request, name).extend(value)
        else:
            setattr(request, name, value)
    err = error_of(stub.Evaluate, request)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err.details()
    assert expected in err.details()


def test_a_schema_failure_names_the_path(stub: policy_pb2_grpc.PolicyServiceStub, example_facts: Path) -> None:
    document = json.loads(example_facts.read_text())
    document["todos"]["counts"]["total"] = "many"
    err = error_of(stub.Evaluate, policy_pb2.EvaluateRequest(facts_json=json_bytes(document)))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "todos/counts/total" in err.details()


def test_list_and_get_policies(stub: policy_pb2_grpc.PolicyServiceStub) -> None:
    listing = stub.ListPolicies(policy_pb2.ListPoliciesRequest(), timeout=30)
    (pack,) = listing.packs
    assert pack.id == "production-readiness" and len(pack.items) == 17
    ids = {p.id for p in pack.policies}
    assert "no-todos-in-release-files" in ids
    policy = stub.GetPolicy(policy_pb2.GetPolicyRequest(id="no-todos-in-release-files"), timeout=30).policy
    assert policy.rule == "size(vars.found) <= params.max_markers"
    assert [(p.name, json.loads(p.default_json)) for p in policy.params] == [("max_markers", 0)]
    assert set(policy.requires) == {"todos", "layout"}
    assert policy.file == "no-todos-in-release-files.yaml"  # never the server's folder layout
    err = error_of(stub.GetPolicy, policy_pb2.GetPolicyRequest(id="no-such-policy"))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_health_and_reflection(server: Server) -> None:
    channel = grpc.insecure_channel(server.target)
    health = health_pb2_grpc.HealthStub(channel)
    for name in ("", "anops.policy.v1.PolicyService"):
        answer = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=30)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
    reflect = reflection_pb2_grpc.ServerReflectionStub(channel)
    responses = reflect.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    names = {s.name for r in responses for s in r.list_services_response.service}
    assert {"anops.policy.v1.PolicyService", "grpc.health.v1.Health"} <= names
