from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from anops_policy.telemetry import tracing

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "anops"
NOW = "2026-11-26T10:00:00Z"


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without any OTEL_* setting (a developer's shell may export some)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.pop("GITHUB_ACTIONS", None)  # no annotations on stderr
    env.update(extra)
    return env


def eval_process(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``anops-policy eval`` of the example in its own process (nothing recorded in its decision log)."""
    command = [sys.executable, "-m", "anops_policy", "eval", str(EXAMPLE), "--now", NOW, "--no-decision-log", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


def run_python(code: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", code, *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(autouse=True)
def _tracing_off() -> Iterator[None]:
    """Every test starts and ends with tracing off (the setup is process-wide)."""
    tracing.shutdown()
    yield
    tracing.shutdown()
