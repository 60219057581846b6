"""Wall and CPU time of ``anops-policy test --mutate`` on the built-in packs, for one or more installs of
anops-policy side by side (e.g. the commit before a change and after it), in rotating order.

Each run is a fresh process (``anops-policy test --mutate PACKS -q --format json``); its wall time, the CPU
time of it and its workers (``RUSAGE_CHILDREN``), the load average before it, and the pack scores it printed
are recorded. Usage:

    python benchmarks/mutation/run.py [--policies policies] [--repeat 3] [--jobs N] \
        [--cli after=anops-policy] [--cli before=/tmp/venv-before/bin/anops-policy]

Prints a Markdown table (median of the repeats) with the machine, date and command.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime


def measure(cli: str, policies: str, jobs: int | None) -> dict[str, object]:
    command = [cli, "test", "--mutate", policies, "-q", "--format", "json"]
    if jobs:
        command += ["--jobs", str(jobs)]
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode not in (0, 1):
        sys.exit(f"error: {' '.join(command)} exited {out.returncode}: {out.stderr.strip()[-500:]}")
    report = json.loads(out.stdout)
    packs = {p["pack"]: p.get("score") for p in report.get("packs", [])}
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "load": load, "packs": packs, "mutants": report.get("mutants")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--policies", default="policies", help="a folder of packs (default: policies)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None, help="--jobs for test --mutate (default: one per core)")
    parser.add_argument(
        "--cli",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="an anops-policy executable to measure (repeatable; default: after=anops-policy)",
    )
    args = parser.parse_args()
    clis = dict(item.split("=", 1) for item in args.cli) or {"after": "anops-policy"}
    runs: dict[str, list[dict[str, object]]] = {name: [] for name in clis}
    names = list(clis)
    for round_ in range(args.repeat):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:  # rotating order
            result = measure(clis[name], args.policies, args.jobs)
            runs[name].append(result)
            print(
                f"# {name} round {round_ + 1}: wall {result['wall']:.1f} s, cpu {result['cpu']:.1f} s, "
                f"load {result['load']:.1f}",
                file=sys.stderr,
            )
    print(
        f"Machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n"
    )
    print(
        f"Command: `anops-policy test --mutate {args.policies} -q --format json`"
        + (f" `--jobs {args.jobs}`" if args.jobs else "")
        + f", {args.repeat} runs each, rotating order\n"
    )
    print("| install | wall s (median) | wall s (min–max) | CPU s (median) | load avg at start | pack scores |")
    print("|---|---|---|---|---|---|")
    for name, items in runs.items():
        walls = [float(str(r["wall"])) for r in items]
        cpus = [float(str(r["cpu"])) for r in items]
        loads = [float(str(r["load"])) for r in items]
        packs = items[-1]["packs"]
        scores = (
            ", ".join(f"{k} {v:.1f}%" for k, v in packs.items() if isinstance(v, float))
            if isinstance(packs, dict)
            else ""
        )
        print(
            f"| {name} | {statistics.median(walls):.1f} | {min(walls):.1f}–{max(walls):.1f} | "
            f"{statistics.median(cpus):.1f} | {min(loads):.1f}–{max(loads):.1f} | {scores} |"
        )


if __name__ == "__main__":
    main()
