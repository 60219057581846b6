"""Benchmark: ``eval`` with the per-file summary cache off, cold, warm, and warm after 1% of the files changed.

    python benchmarks/generate_tree.py /tmp/bench-tree                      # once (deterministic)
    python benchmarks/summary_cache/run.py /tmp/bench-tree examples/anops examples/polyglot [--jobs N]

For each tree (copied to a temporary folder first: the script edits the copy), in this order and with one
cache folder of its own (``ANOPS_POLICY_CACHE_DIR``):

1. ``off``: ``eval --no-cache`` (what every run cost before the cache),
2. ``cold``: ``eval`` with an empty cache (it fills the cache),
3. ``warm``: ``eval`` again, nothing changed,
4. then 1% of the tree's files (at least one; seeded choice among files with a known comment syntax)
   get a comment line appended, and ``warm, 1% changed``: ``eval`` with the cache,
5. ``off, 1% changed``: ``eval --no-cache`` on the changed tree.

Each run's wall time and CPU time (user+sys of the process and its children: collector workers) is
printed with its ratio to ``cold``, and the fact document's digest (``run.facts_digest`` of the JSON
report: the canonical fact document without its time and durations) must be the same cold, warm and off,
and the same warm and off after the change (exit 1 otherwise). Start-up is in every row alike.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

NOW = "2026-11-26T00:00:00Z"
SHARE = 0.01
COMMENTS = {
    ".py": "# changed by the benchmark\n", ".sh": "# changed by the benchmark\n",
    ".yaml": "# changed by the benchmark\n", ".yml": "# changed by the benchmark\n",
    ".toml": "# changed by the benchmark\n", ".rs": "// changed by the benchmark\n",
    ".go": "// changed by the benchmark\n", ".js": "// changed by the benchmark\n",
    ".ts": "// changed by the benchmark\n", ".java": "// changed by the benchmark\n",
    ".md": "\nchanged by the benchmark\n",
}


@dataclass
class Row:
    name: str
    wall: float
    cpu: float
    digest: str
    exit_code: int
    load: float
    peak_mb: float  # RSS of the largest process of the run (wait4 through GNU time), 0 when unknown


def _eval(binary: str, tree: Path, report: Path, cache: Path, jobs: str | None, *extra: str) -> Row:
    argv = [binary, "eval", str(tree), "--now", NOW, "--no-decision-log", "-q", "--output", f"json={report}"]
    if jobs:
        argv += ["--jobs", jobs]
    argv += list(extra)
    env = {**os.environ, "ANOPS_POLICY_CACHE_DIR": str(cache)}
    env.pop("ANOPS_POLICY_CACHE", None)
    peak_file = report.with_suffix(".rss")
    timer = ["/usr/bin/time", "-f", "%M", "-o", str(peak_file)] if Path("/usr/bin/time").exists() else []
    before = os.times()
    start = time.perf_counter()
    proc = subprocess.run([*timer, *argv], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-2000:]}")
    data = json.loads(report.read_text())
    try:
        peak = int(peak_file.read_text().split()[-1]) / 1024
    except (OSError, ValueError, IndexError):
        peak = 0.0
    return Row("", wall, cpu, data["run"]["facts_digest"], proc.returncode, os.getloadavg()[0], peak)


def _change(tree: Path, seed: int) -> list[str]:
    """Append a comment line to 1% of the tree's files (at least one), chosen with ``seed``."""
    listed = subprocess.run(
        ["git", "-C", str(tree), "ls-files", "-z"], capture_output=True, check=False
    ).stdout.decode().split("\0")
    files = [f for f in listed if f and not f.startswith(".anops-policy/")]
    if not files:  # not a git checkout: every file
        files = [p.relative_to(tree).as_posix() for p in sorted(tree.rglob("*")) if p.is_file()]
    count = max(1, math.ceil(len(files) * SHARE))
    candidates = sorted(f for f in files if Path(f).suffix in COMMENTS and (tree / f).is_file())
    chosen = random.Random(seed).sample(candidates, min(count, len(candidates)))
    for path in chosen:
        with (tree / path).open("a", encoding="utf-8") as out:
            out.write(COMMENTS[Path(path).suffix])
    return chosen


def bench(binary: str, source: Path, jobs: str | None, seed: int) -> bool:
    with tempfile.TemporaryDirectory(prefix="anops-summary-bench-") as scratch:
        work = Path(scratch) / source.name
        shutil.copytree(source, work, symlinks=True)
        cache = Path(scratch) / "cache"
        report = Path(scratch) / "report.json"
        files = sum(1 for p in work.rglob("*") if p.is_file() and ".git" not in p.parts)
        rows: list[Row] = []
        for name, extra in (("off", ("--no-cache",)), ("cold", ()), ("warm", ())):
            row = _eval(binary, work, report, cache, jobs, *extra)
            row.name = name
            rows.append(row)
        changed = _change(work, seed)
        for name, extra in (("warm, 1% changed", ()), ("off, 1% changed", ("--no-cache",))):
            row = _eval(binary, work, report, cache, jobs, *extra)
            row.name = name
            rows.append(row)
        store = sum(p.stat().st_size for p in (cache / "summaries-v1").glob("*.json")) if cache.is_dir() else 0
    cold = rows[1]
    print(f"\n### {source} ({files} files; {len(changed)} changed; cache {store / 1e6:.2f} MB)\n")
    print("| run | wall s | × cold | CPU s | × cold | peak RSS MB | exit | load (1 min) | facts digest |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        print(
            f"| {row.name} | {row.wall:.2f} | {row.wall / cold.wall:.3f} | {row.cpu:.2f} | {row.cpu / cold.cpu:.3f} "
            f"| {row.peak_mb:.0f} | {row.exit_code} | {row.load:.1f} | `{row.digest[7:19]}…` |"
        )
    same = rows[0].digest == rows[1].digest == rows[2].digest and rows[3].digest == rows[4].digest
    print(f"\nsame fact document cold, warm and off: {rows[0].digest == rows[1].digest == rows[2].digest}; "
          f"warm and off after the change: {rows[3].digest == rows[4].digest}")
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--anops", default=shutil.which("anops-policy") or "anops-policy", help="the CLI to run")
    parser.add_argument("--jobs", default=None, help="--jobs for eval (default: the CLI's default)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    version = subprocess.run([args.anops, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {platform.platform()} · {os.cpu_count()} CPUs · "
          f"Python {platform.python_version()} · {version} · load {os.getloadavg()[0]:.1f}")
    print(f"command: {args.anops} eval TREE --now {NOW} --no-decision-log -q --output json=REPORT"
          + (f" --jobs {args.jobs}" if args.jobs else ""))
    results = [bench(args.anops, tree.resolve(), args.jobs, args.seed) for tree in args.trees]  # every tree
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
