"""``pack build`` in a process of its own, for the packs tests: it runs the pack's examples under their
CPU-time deadline, which a long-lived test worker (its heap, its other tests' threads) must not share."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Built:
    """The parts of click's ``Result`` the tests read."""

    exit_code: int
    output: str
    stdout: str
    stderr: str


def built(*args: str) -> Built:
    proc = subprocess.run([sys.executable, "-m", "anops_policy", *args], capture_output=True, text=True, check=False)
    return Built(proc.returncode, proc.stdout + proc.stderr, proc.stdout, proc.stderr)
