"""The server's life: refusing a bad pack, deadlines that stop the work, a crashed worker, draining."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from anops_policy.server import policy_pb2, policy_pb2_grpc

from .conftest import PACKS, ROOT, Server, cli, connect, start_server

REPLACED = re.compile(r"worker (\d+) stopped \((.*?)\); replaced by worker (\d+)")


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def proc_state(pid: int) -> tuple[str, int] | None:
    """(state letter, user+system CPU ticks) of a live process, None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None
    return fields[0], int(fields[11]) + int(fields[12])


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("slow"), "--policies", str(PACKS / "slow"), "--max-workers", "1"
    )
    yield running
    running.stop()


def facts_request(example_facts: Path, policy: str, **fields: Any) -> policy_pb2.EvaluateRequest:
    return policy_pb2.EvaluateRequest(facts_json=example_facts.read_bytes(), policies=[policy], **fields)


def test_a_bad_pack_refuses_to_start() -> None:
    run = subprocess.run(
        cli("serve", "--listen", "127.0.0.1:0", "--policies", str(PACKS / "broken")),
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )
    assert run.returncode == 2, run.stderr
    assert "cubic-comprehension.yaml:7:25: unknown field 'facts.layout.componentz'" in run.stderr
    assert "Traceback" not in run.stderr


def test_deadline_exceeded_stops_the_work(slow_server: Server, example_facts: Path) -> None:
    stub = connect(slow_server)
    (busy,) = slow_server.workers
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as info:
        stub.Evaluate(facts_request(example_facts, "cubic-comprehension"), timeout=1.5)
    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 10
    match = wait_for(lambda: REPLACED.search(slow_server.log_text()), 30, "the worker's replacement")
    assert int(match.group(1)) == busy
    assert "deadline" in match.group(2)
    assert proc_state(busy) is None  # the evaluating process is gone, not left running
    fresh = int(match.group(3))
    state = proc_state(fresh)
    assert state is not None
    time.sleep(1.0)
    later = proc_state(fresh)
    assert later is not None and later[0] == "S"  # idle, waiting for a job
    assert later[1] - state[1] < 20  # under 0.2 s of CPU in a second: nothing runs behind the client's back
    answer = stub.Evaluate(facts_request(example_facts, "layout-present"), timeout=60)
    assert json.loads(answer.report_json)["decisions"][0]["policy"] == "layout-present"


def test_a_dead_worker_is_internal_with_an_error_id(slow_server: Server, example_facts: Path) -> None:
    stub = connect(slow_server)
    worker = wait_for(lambda: _idle_worker(slow_server), 30, "an idle worker")
    result: dict[str, grpc.RpcError] = {}

    def call() -> None:
        try:
            stub.Evaluate(facts_request(example_facts, "cubic-comprehension"), timeout=60)
        except grpc.RpcError as exc:
            result["error"] = exc

    thread = threading.Thread(target=call)
    thread.start()
    wait_for(lambda: (proc_state(worker) or ("", 0))[0] == "R", 20, "the worker to start evaluating")
    os.kill(worker, signal.SIGKILL)  # what the kernel's OOM killer would do
    thread.join(60)
    error = result["error"]
    assert error.code() == grpc.StatusCode.INTERNAL
    found = re.search(r"internal error ([0-9a-f]{12})", error.details())
    assert found, error.details()
    assert f"internal error {found.group(1)} in Evaluate: worker {worker} died" in slow_server.log_text()
    stub.Evaluate(facts_request(example_facts, "layout-present"), timeout=60)  # a replacement serves


def _idle_worker(server: Server) -> int | None:
    """The pid of the slow server's one worker (the newest replacement, if any)."""
    replaced = REPLACED.findall(server.log_text())
    pid = int(replaced[-1][2]) if replaced else server.workers[0]
    state = proc_state(pid)
    return pid if state is not None and state[0] == "S" else None


def test_sigterm_drains_in_flight_calls(tmp_path: Path, example_facts: Path) -> None:
    running = start_server(tmp_path, "--policies", str(PACKS / "slow"), "--max-workers", "1", "--grace", "60")
    channel = grpc.insecure_channel(running.target)
    stub = policy_pb2_grpc.PolicyServiceStub(channel)  # type: ignore[no-untyped-call]
    health = health_pb2_grpc.HealthStub(channel)

    def status() -> int:
        return int(health.Check(health_pb2.HealthCheckRequest(service=""), timeout=10).status)

    assert status() == health_pb2.HealthCheckResponse.SERVING
    result: dict[str, Any] = {}

    def slow_call() -> None:
        # the cubic policy runs into its 4 s per-policy deadline: a call that takes ~4 s and then succeeds
        request = facts_request(example_facts, "cubic-comprehension", policy_deadline_s=4.0)
        try:
            result["answer"] = stub.Evaluate(request, timeout=120)
        except grpc.RpcError as exc:
            result["error"] = exc

    thread = threading.Thread(target=slow_call)
    thread.start()
    wait_for(lambda: (proc_state(running.workers[0]) or ("", 0))[0] == "R", 20, "the slow call to be evaluating")
    running.process.send_signal(signal.SIGTERM)
    wait_for(lambda: status() == health_pb2.HealthCheckResponse.NOT_SERVING, 10, "health NOT_SERVING")
    with pytest.raises(grpc.RpcError) as refused:
        stub.Evaluate(facts_request(example_facts, "layout-present"), timeout=10)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    thread.join(120)
    assert "error" not in result, result.get("error")
    decision = json.loads(result["answer"].report_json)["decisions"][0]
    assert decision["policy"] == "cubic-comprehension" and decision["outcome"] == "error"
    assert running.process.wait(60) == 0
    log = running.log_text()
    assert "received SIGTERM: draining" in log and "drained in" in log
    assert proc_state(running.workers[0]) is None


def test_the_server_decision_log_records_every_evaluation(tmp_path: Path, example_facts: Path) -> None:
    log = tmp_path / "log" / "decisions.jsonl"
    running = start_server(tmp_path, "--max-workers", "2", "--decision-log", str(log))
    try:
        stub = connect(running)
        request = policy_pb2.EvaluateRequest(facts_json=example_facts.read_bytes())
        answers: list[policy_pb2.EvaluateResponse] = []
        threads = [threading.Thread(target=lambda: answers.append(stub.Evaluate(request, timeout=120)))
                   for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(180)
    finally:
        assert running.stop() == 0
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted(e["decision_id"] for e in events) == sorted(a.decision_id for a in answers)
    assert len(events) == 3 and all(a.decision_id for a in answers)  # two workers appended without forking the chain
    assert {e["facts_digest"] for e in events} == {answers[0].facts_digest}
    verify = subprocess.run(cli("audit", "verify", str(log)), capture_output=True, text=True, cwd=ROOT, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_each_rpc_is_a_server_span_in_the_callers_trace(tmp_path: Path, example_facts: Path) -> None:
    spans_file = tmp_path / "spans.jsonl"
    running = start_server(tmp_path, "--max-workers", "1", "--trace-file", str(spans_file))
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    metadata = (("traceparent", f"00-{trace_id}-00f067aa0ba902b7-01"),)
    try:
        stub = connect(running)
        request = facts_request(example_facts, "no-todos-in-release-files")
        answer = stub.Evaluate(request, timeout=120, metadata=metadata)
        with pytest.raises(grpc.RpcError):
            stub.Evaluate(policy_pb2.EvaluateRequest(facts_json=b"{"), timeout=60)
    finally:
        assert running.stop() == 0
    spans = [json.loads(line) for line in spans_file.read_text().splitlines()]
    rpc = [s for s in spans if s["name"] == "anops.policy.v1.PolicyService/Evaluate"]
    assert [s["kind"] for s in rpc] == ["SERVER", "SERVER"]
    ok, bad = sorted(rpc, key=lambda s: s["start_time_unix_nano"])
    assert ok["trace_id"] == trace_id and ok["parent_span_id"] == "00f067aa0ba902b7"
    assert ok["attributes"]["rpc.grpc.status_code"] == 0 and ok["status"]["code"] != "ERROR"
    assert bad["attributes"]["rpc.grpc.status_code"] == 3 and bad["status"]["code"] == "ERROR"
    assert "INVALID_ARGUMENT" in bad["status"]["description"]
    assert json.loads(answer.report_json)["trace_id"] == trace_id


def test_workers_are_retired_after_their_quota(tmp_path: Path, example_facts: Path) -> None:
    running = start_server(
        tmp_path, "--policies", str(PACKS / "slow"), "--max-workers", "1", "--max-jobs-per-worker", "2"
    )
    try:
        stub = connect(running)
        for _ in range(5):  # every call is answered: a retired worker's replacement takes the next one
            answer = stub.Evaluate(facts_request(example_facts, "layout-present"), timeout=120)
            assert json.loads(answer.report_json)["decisions"][0]["policy"] == "layout-present"
        retired = wait_for(
            lambda: [m for m in REPLACED.findall(running.log_text()) if "retired after 2" in m[1]] or None
            if len(REPLACED.findall(running.log_text())) >= 2 else None,
            30, "two retirements",
        )
    finally:
        assert running.stop() == 0
    chain = [running.workers[0]] + [int(new) for _old, _why, new in retired]
    assert [int(old) for old, _why, _new in retired] == chain[:-1]  # each retiree was the worker then serving
    assert all(proc_state(pid) is None for pid in chain)
