"""End-to-end: api-service and model-service as real processes on real sockets.

Run from the repository root after `ao build --no-images`:

    pytest tests/test_e2e.py
"""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
GRPC_PORT = 15051
API_PORT = 18080


def wait_for_port(port, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listening on port {port} after {timeout}s")


@pytest.fixture(scope="session")
def api_url():
    model_env = dict(
        os.environ,
        MODEL_PATH=str(ROOT / "model-service" / "models" / "sentiment-v3.json"),
        GRPC_PORT=str(GRPC_PORT),
    )
    subprocess.Popen([sys.executable, "server.py"], cwd=ROOT / "model-service", env=model_env)
    wait_for_port(GRPC_PORT)

    api_env = dict(
        os.environ,
        MODEL_SERVICE_ADDR=f"127.0.0.1:{GRPC_PORT}",
        API_PORT=str(API_PORT),
    )
    subprocess.Popen([sys.executable, "app.py"], cwd=ROOT / "api-service", env=api_env)
    wait_for_port(API_PORT)
    return f"http://127.0.0.1:{API_PORT}"


# TODO: add negative-path tests (model-service down, invalid input)


def test_predict_end_to_end(api_url):
    response = requests.post(
        f"{api_url}/v1/predict", json={"text": "rollout was smooth and fast"}, timeout=5
    )
    assert response.status_code == 200
    body = response.json()
    assert body["label"] == "positive"
    assert body["model_version"] == "3.1.0"


def test_ready_once_the_model_is_loaded(api_url):
    requests.post(f"{api_url}/v1/predict", json={"text": "docs update"}, timeout=5)
    response = requests.get(f"{api_url}/readyz", timeout=5)
    assert response.status_code == 200
    assert response.json()["model_version"] == "3.1.0"
