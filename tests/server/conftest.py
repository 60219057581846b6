"""A real ``anops-policy serve`` process on a loopback port, and the example facts to send it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from anops_policy.config import load_config
from anops_policy.server import policy_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "anops"
PACKS = Path(__file__).resolve().parent / "packs"
NOW = "2026-11-26T10:00:00Z"
SERVING = re.compile(r"serving anops\.policy\.v1 on [^ ]+:(\d+) · \d+ workers \[([\d, ]*)\]")
START_TIMEOUT_S = 90.0  # the machine is shared: start-up under load can take many seconds


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    log: Path
    port: int
    workers: list[int]

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait(10)


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "anops_policy", *args]


def start_server(tmp: Path, *args: str) -> Server:
    """Start ``serve --listen 127.0.0.1:0`` and wait for the log line that names the bound port."""
    log = tmp / f"serve-{time.monotonic_ns()}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            cli("serve", "--listen", "127.0.0.1:0", *args), stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT,
            env={**os.environ, "NO_COLOR": "1"},
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        match = SERVING.search(log.read_text(encoding="utf-8", errors="replace"))
        if match:
            pids = [int(p) for p in match.group(2).split(",") if p.strip()]
            return Server(process, log, int(match.group(1)), pids)
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode}:\n{log.read_text()}")
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"serve did not start within {START_TIMEOUT_S}s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def example_facts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example repository's fact document, as `anops-policy facts` writes it."""
    out = tmp_path_factory.mktemp("facts") / "facts.json"
    subprocess.run(cli("facts", str(EXAMPLE), "--now", NOW, "-o", str(out)), check=True, cwd=ROOT)
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The built-in pack, two workers."""
    running = start_server(tmp_path_factory.mktemp("server"), "--max-workers", "2", "--max-message-bytes", "1000000")
    yield running
    running.stop()


def example_config() -> dict[str, Any]:
    return dict(load_config(EXAMPLE / "anops-policy.yaml").raw)


def json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode()


def connect(server: Server) -> policy_pb2_grpc.PolicyServiceStub:
    return policy_pb2_grpc.PolicyServiceStub(grpc.insecure_channel(server.target))  # type: ignore[no-untyped-call]
