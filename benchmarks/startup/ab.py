"""Start-up of two installs side by side: the same commands on a one-file repository (a git repository holding
one Python file), run through each install's ``anops-policy`` in alternating order, round after round, so
both share the machine's load. Medians of wall time and of CPU time (user + sys of the child), and the
second install's CPU as a share of the first's.

    python -m venv /tmp/venv-base && /tmp/venv-base/bin/pip install ./base-checkout
    python -m venv /tmp/venv-new && /tmp/venv-new/bin/pip install .
    python benchmarks/startup/ab.py /tmp/venv-base /tmp/venv-new [--rounds 9]

Each install first runs every command once (compiled policies cached, bytecode written), as a CI job that
keeps its cache sees it; ``PYTHONDONTWRITEBYTECODE`` is dropped for the children. The cache folder and the
repository are temporary.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

COMMANDS = {
    "--version": ["--version"],
    "facts --only todos": ["facts", ".", "--only", "todos", "-o", os.devnull],
    "eval": ["eval", ".", "--no-decision-log"],
}


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one child run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first", type=Path, help="a virtualenv with anops-policy installed (the base)")
    parser.add_argument("second", type=Path, help="another one (the change)")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="anops-startup-ab-"))
    try:
        repo = work / "one"
        repo.mkdir()
        (repo / "app.py").write_text("print('hello')\n", encoding="utf-8")
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["ANOPS_POLICY_CACHE_DIR"] = str(work / "cache")
        installs = [args.first, args.second]
        runs: dict[tuple[Path, str], list[tuple[float, float]]] = {(v, c): [] for v in installs for c in COMMANDS}
        for venv in installs:
            for command in COMMANDS.values():
                timed([str(venv / "bin" / "anops-policy"), *command], repo, env)
        for round_ in range(args.rounds):
            for name, command in COMMANDS.items():
                for venv in installs if round_ % 2 == 0 else installs[::-1]:
                    runs[(venv, name)].append(timed([str(venv / "bin" / "anops-policy"), *command], repo, env))
        print(f"| command | {args.first} wall / CPU s | {args.second} wall / CPU s | CPU, second ÷ first |")
        print("|---|---:|---:|---:|")
        for name in COMMANDS:
            first, second = runs[(args.first, name)], runs[(args.second, name)]
            fw, fc = statistics.median(r[0] for r in first), statistics.median(r[1] for r in first)
            sw, sc = statistics.median(r[0] for r in second), statistics.median(r[1] for r in second)
            print(f"| `{name}` | {fw:.3f} / {fc:.3f} | {sw:.3f} / {sc:.3f} | {sc / fc:.2f} |")
        print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
