"""Serve replicas as real processes against a PostgreSQL store, and the gRPC calls the store tests make
to them (Evaluate with a stream and request id, the health check)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pg_cluster import Cluster, pg_bin, start_cluster
from store_helpers import NOW

from anops_policy.server import policy_pb2, policy_pb2_grpc

SERVING = re.compile(r"serving anops\.policy\.v1 on [^ ]+:(\d+)")


def start_replica(tmp: Path, pack: Path, url: str, *extra: str,
                  env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], int, Path]:
    log = tmp / f"serve-{time.monotonic_ns()}.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "anops_policy", "serve", "--listen", "127.0.0.1:0",
                                 "--policies", str(pack), "--max-workers", "1", "--decision-log", url, *extra],
                                stdout=sink, stderr=subprocess.STDOUT,
                                env={**os.environ, "NO_COLOR": "1", **(env or {})})
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        found = SERVING.search(log.read_text(errors="replace"))
        if found:
            return proc, int(found.group(1)), log
        if proc.poll() is not None:
            raise AssertionError(log.read_text())
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"serve did not start:\n{log.read_text()}")


@pytest.fixture()
def own_cluster() -> Iterator[Cluster]:
    """A cluster of this test's own: it is stopped and started again mid-test."""
    if pg_bin() is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    cluster = start_cluster()
    yield cluster
    with contextlib.suppress(subprocess.CalledProcessError):  # already stopped by a failing test
        cluster.stop("immediate")
    shutil.rmtree(cluster.folder, ignore_errors=True)


def health(port: int) -> int:
    stub = health_pb2_grpc.HealthStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
    return int(stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=10).status)


def evaluate(port: int, facts: bytes, stream: str, request_id: str) -> tuple[str, str]:
    """(status name, decision id) of one Evaluate call."""
    stub = policy_pb2_grpc.PolicyServiceStub(grpc.insecure_channel(f"127.0.0.1:{port}"))  # type: ignore[no-untyped-call]
    try:
        answer = stub.Evaluate(policy_pb2.EvaluateRequest(facts_json=facts, now=NOW, stream=stream,
                                                          request_id=request_id), timeout=120)
    except grpc.RpcError as exc:
        return exc.code().name, exc.details() or ""
    return "OK", answer.decision_id
