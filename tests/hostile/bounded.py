"""Run one CLI invocation in a child process under a wall-clock bound; measure its CPU time and peak RSS.

``os.wait4`` returns the resource usage of exactly that child (and the children it waited for, such as
``git``), so cases never share one ``RUSAGE_CHILDREN`` total. An address-space limit (``RLIMIT_AS``) is
only a guard that keeps a runaway case from swapping the machine; the assertion is on the measured RSS.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ADDRESS_SPACE_GUARD = 4 * 1024**3


@dataclass(frozen=True)
class Bounded:
    exit_code: int
    stdout: str
    stderr: str
    wall_s: float
    cpu_s: float  # user + system time of the child and the children it waited for (git)
    peak_rss_bytes: int
    timed_out: bool


def _guard() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_GUARD, ADDRESS_SPACE_GUARD))


def run_cli(args: Sequence[str], *, cwd: Path, timeout_s: float, env: dict[str, str] | None = None) -> Bounded:
    """``python -m anops_policy ARGS`` (the console script's entry point) in its own session."""
    argv = [sys.executable, "-m", "anops_policy", *args]
    child_env = {**os.environ, "NO_COLOR": "1", "PYTHONFAULTHANDLER": "", **(env or {})}
    child_env.pop("GITHUB_ACTIONS", None)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(
            argv, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=child_env,
            preexec_fn=_guard, start_new_session=True,  # noqa: PLW1509 - the test process starts no threads
        )
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout_s:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        wall = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", errors="backslashreplace")
        stderr = err.read().decode("utf-8", errors="backslashreplace")
    cpu = usage.ru_utime + usage.ru_stime
    return Bounded(proc.returncode, stdout, stderr, wall, cpu, usage.ru_maxrss * 1024, timed_out)
