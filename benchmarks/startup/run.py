"""Benchmark 4, start-up: ``anops-policy --version`` and ``anops-policy check policies/`` against
``python -c "import click"`` (the floor for a click CLI), and which heavy modules each command imports.

    python benchmarks/startup/run.py [--repeat 15]

Each command runs REPEAT times, interleaved (so they share the machine's load); the table gives the
median wall time and its ratio to the click import. Then each command runs once more in a child that
reports which of the heavy third-party packages ended up in ``sys.modules``; ``--version`` and ``check``
must not import grpc, docker or OpenTelemetry (``tests/startup/test_lazy_imports.py`` asserts it).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "grpc", "google.protobuf", "docker", "opentelemetry", "celpy", "lark", "jsonschema", "yaml",
    "cryptography", "requests", "urllib3", "markdown_it", "rfc8785", "pathspec", "defusedxml",
)
# Runs the real entry point in-process, then lists the heavy packages it imported (on stderr).
PROBE = """
import sys
sys.argv = ["anops-policy", *sys.argv[1:]]
from anops_policy.cli import main
try:
    main()
except SystemExit:
    pass
heavy = {heavy!r}
loaded = sorted(h for h in heavy if h in sys.modules)
print("MODULES", len(sys.modules), " ".join(loaded), file=sys.stderr)
"""


def median_wall(argv: list[str], walls: list[float]) -> None:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, check=False)
    walls.append(time.perf_counter() - start)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)}: exit {proc.returncode}\n{proc.stderr.decode(errors='replace')[-1000:]}")


def imported(args: list[str]) -> tuple[int, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    line = next((row for row in proc.stderr.splitlines() if row.startswith("MODULES ")), None)
    if line is None:
        sys.exit(f"probe for {args} failed:\n{proc.stderr[-1000:]}")
    _, count, *names = line.split(" ")
    return int(count), [n for n in names if n]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args(argv)
    cli = shutil.which("anops-policy")
    if cli is None:
        sys.exit("anops-policy is not on PATH (pip install -e .)")
    commands = {
        'python -c "import click"': [sys.executable, "-c", "import click"],
        "anops-policy --version": [cli, "--version"],
        "anops-policy check policies/": [cli, "check", "policies/"],
    }
    walls: dict[str, list[float]] = {name: [] for name in commands}
    for argv_ in commands.values():  # warm byte-code caches; not timed
        median_wall(argv_, [])
    for _ in range(args.repeat):
        for name, argv_ in commands.items():
            median_wall(argv_, walls[name])
    base = statistics.median(walls['python -c "import click"'])
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {when}")
    print()
    print("| command | runs | median wall s | × import click | heavy packages imported |")
    print("|---|---:|---:|---:|---|")
    probes = {"anops-policy --version": ["--version"], "anops-policy check policies/": ["check", "policies/"]}
    for name, times in walls.items():
        med = statistics.median(times)
        if name in probes:
            count, heavy = imported(probes[name])
            what = f"{', '.join(heavy) or 'none'} ({count} modules)"
        else:
            what = ""
        print(f"| `{name}` | {len(times)} | {med:.3f} | {med / base:.2f} | {what} |")
    print()
    print(f"    cd {ROOT} && python benchmarks/startup/run.py --repeat {args.repeat}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
