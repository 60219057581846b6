"""Stopping a parallel collection leaves no worker behind: Ctrl-C in the parent stops its workers, and
a parent killed outright (a CI timeout's SIGKILL) takes them with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# A parent process that collects with two slow workers; each worker writes its pid, then sleeps.
SCRIPT = r"""
import os, sys, time
from datetime import UTC, datetime
from pathlib import Path
from anops_policy.collection.collector import run_collector
from anops_policy.collection.parallel import ParallelCollection, Placement
from anops_policy.config import RepoConfig
from anops_policy.collection.repo import Repo

out = Path(sys.argv[1])

class Slow:
    version = "1"
    depends_on = ()
    def __init__(self, name):
        self.name = name
    def collect(self, ctx):
        (out / f"{self.name}.pid").write_text(str(os.getpid()))
        time.sleep(60)
        return {}

try:
    ParallelCollection(
        [Slow("a"), Slow("b")], repo=Repo(out, use_git=False), config=RepoConfig(),
        now=datetime.now(UTC), jobs=2, run_one=run_collector, placement=lambda _n: Placement(),
    ).run()
except KeyboardInterrupt:
    sys.exit(130)
"""


def gone(pid: int) -> bool:
    """No such process, or only a zombie waiting for its new parent to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in {"Z", "X"}


def start(tmp_path: Path) -> tuple[subprocess.Popen[bytes], list[int]]:
    parent = subprocess.Popen([sys.executable, "-c", SCRIPT, str(tmp_path)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pids = [p.read_text() for p in tmp_path.glob("*.pid")]
        if len(pids) == 2 and all(pids):
            return parent, [int(p) for p in pids]
        time.sleep(0.05)
    parent.kill()
    parent.communicate(timeout=30)
    pytest.fail("the workers did not start")


def wait_gone(pids: list[int], seconds: float = 10) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not all(gone(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if not gone(p)]


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_ctrl_c_stops_the_workers(tmp_path: Path) -> None:
    parent, workers = start(tmp_path)
    assert parent.pid not in workers
    parent.send_signal(signal.SIGINT)
    _out, err = parent.communicate(timeout=30)
    assert parent.returncode == 130, err.decode()
    assert b"Traceback" not in err
    assert wait_gone(workers) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_killed_parent_takes_its_workers_with_it(tmp_path: Path) -> None:
    parent, workers = start(tmp_path)
    os.kill(parent.pid, signal.SIGKILL)
    parent.communicate(timeout=30)  # reaps it and closes its stderr pipe
    assert wait_gone(workers) == []
