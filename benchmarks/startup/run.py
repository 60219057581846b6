"""Benchmark 4, start-up: ``anops-policy --version``, ``anops-policy check policies/`` and ``anops-policy eval
examples/anops`` against ``python -c "import click"`` (the floor for a click CLI), with the compiled-policy
cache cold (an empty cache folder for every run), warm (a folder filled once beforehand) and off
(``--no-cache``), and which heavy modules each command imports.

    python benchmarks/startup/run.py [--repeat 15] [--eval-repeat 5]

Each round runs every command once, in rotating order, so they share the machine's load; the table gives
the median wall time and CPU time (user + sys of the child) and their ratios to the click import. Then
each command runs once more in a child that reports which heavy third-party packages ended up in
``sys.modules`` and whether cel-python's parser was built. ``--version`` and ``check`` must not import
grpc, docker or OpenTelemetry (``tests/startup/test_lazy_imports.py`` asserts it). Cache folders are
temporary and removed at the end; the user's own cache is never touched.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLICK = 'python -c "import click"'
HEAVY = (
    "grpc", "google.protobuf", "docker", "opentelemetry", "celpy", "lark", "jsonschema", "yaml",
    "cryptography", "requests", "urllib3", "markdown_it", "rfc8785", "pathspec", "defusedxml",
)
# Runs the real entry point in-process, then lists the heavy packages it imported (on stderr).
PROBE = """
import sys
sys.argv = ["anops-policy", *sys.argv[1:]]
from anops_policy.cli.main import main
try:
    main()
except SystemExit:
    pass
heavy = {heavy!r}
loaded = sorted(h for h in heavy if h in sys.modules)
parser = sys.modules.get("celpy.celparser")
built = parser is not None and parser.CELParser.CEL_PARSER is not None
print("MODULES", len(sys.modules), "parser-built" if built else "no-parser", " ".join(loaded), file=sys.stderr)
"""
EVAL_ARGS = ["eval", "examples/anops", "--now", "2026-11-26T10:00:00Z", "--no-decision-log", "-q"]


@dataclass
class Command:
    name: str
    argv: list[str]
    cache: str  # "none" (no policies involved), "off", "cold" or "warm"
    repeat: int
    ok_codes: tuple[int, ...] = (0,)
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)


def run_once(cmd: Command, env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd.argv, cwd=ROOT, capture_output=True, check=False, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in cmd.ok_codes:
        sys.exit(f"{' '.join(cmd.argv)}: exit {proc.returncode}\n{proc.stderr.decode(errors='replace')[-1000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


class Caches:
    """Cache folders under one temporary root: a fresh empty one per cold run, one shared warm one."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="anops-startup-"))
        self.warm = self.root / "warm"
        self.count = 0

    def env(self, cache: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "ANOPS_POLICY_CACHE"}
        if cache == "cold":
            self.count += 1
            env["ANOPS_POLICY_CACHE_DIR"] = str(self.root / f"cold-{self.count}")
        else:
            env["ANOPS_POLICY_CACHE_DIR"] = str(self.warm)
        return env


def imported(args: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
        cwd=ROOT, capture_output=True, text=True, check=False, env=env,
    )
    line = next((row for row in proc.stderr.splitlines() if row.startswith("MODULES ")), None)
    if line is None:
        sys.exit(f"probe for {args} failed:\n{proc.stderr[-1000:]}")
    _, count, parser, *names = line.split(" ")
    heavy = ", ".join(n for n in names if n) or "none"
    return f"{heavy} ({count} modules; {'parser built' if parser == 'parser-built' else 'no CEL parser'})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=15, help="runs of each quick command")
    ap.add_argument("--eval-repeat", type=int, default=5, help="runs of each eval variant")
    args = ap.parse_args(argv)
    cli = shutil.which("anops-policy")
    if cli is None:
        sys.exit("anops-policy is not on PATH (pip install -e .)")
    check = [cli, "check", "policies/"]
    evaluate = [cli, *EVAL_ARGS]
    commands = [
        Command(CLICK, [sys.executable, "-c", "import click"], "none", args.repeat),
        Command("anops-policy --version", [cli, "--version"], "none", args.repeat),
        Command("anops-policy check policies/ --no-cache", [*check, "--no-cache"], "off", args.repeat),
        Command("anops-policy check policies/ (cold cache)", check, "cold", args.repeat),
        Command("anops-policy check policies/ (warm cache)", check, "warm", args.repeat),
        # exit 1: the example repository has blocking failures (it is the checklist's bad example)
        Command(
            "anops-policy eval examples/anops --no-cache", [*evaluate, "--no-cache"], "off", args.eval_repeat, (0, 1)
        ),
        Command("anops-policy eval examples/anops (cold cache)", evaluate, "cold", args.eval_repeat, (0, 1)),
        Command("anops-policy eval examples/anops (warm cache)", evaluate, "warm", args.eval_repeat, (0, 1)),
    ]
    caches = Caches()
    try:
        for cmd in commands:  # warm byte-code caches and the warm cache folder; not timed
            run_once(cmd, caches.env(cmd.cache if cmd.cache != "cold" else "warm"))
        rounds = max(args.repeat, args.eval_repeat)
        for index in range(rounds):
            due = [c for c in commands if len(c.walls) < c.repeat]
            shift = index % len(due)
            for cmd in due[shift:] + due[:shift]:
                wall, cpu = run_once(cmd, caches.env(cmd.cache))
                cmd.walls.append(wall)
                cmd.cpus.append(cpu)
        probes = {c.name: imported(c.argv[1:], caches.env(c.cache)) for c in commands if c.argv[0] == cli}
    finally:
        shutil.rmtree(caches.root, ignore_errors=True)
    base_wall = statistics.median(commands[0].walls)
    base_cpu = statistics.median(commands[0].cpus)
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {when}, load average {load}")
    print()
    print(
        "| command | runs | median wall s | × import click | median CPU s | × import click CPU "
        "| heavy packages imported |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    for cmd in commands:
        wall, cpu = statistics.median(cmd.walls), statistics.median(cmd.cpus)
        print(
            f"| `{cmd.name}` | {len(cmd.walls)} | {wall:.3f} | {wall / base_wall:.2f} | {cpu:.3f} | "
            f"{cpu / base_cpu:.2f} | {probes.get(cmd.name, '')} |"
        )
    print()
    print(f"    cd {ROOT} && python benchmarks/startup/run.py --repeat {args.repeat} --eval-repeat {args.eval_repeat}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
