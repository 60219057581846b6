"""MB/s of source per collector, before and after a change, side by side in one run (issue 21's last target).

    python benchmarks/generate_tree.py /tmp/bench-tree-5k --files 5000     # once (deterministic)
    python benchmarks/accuracy/fetch.py --cache /tmp/anops-accuracy         # real code (PyPI, Debian, npm)
    python benchmarks/floor/collectors.py /tmp/bench-tree-5k /tmp/anops-accuracy/src \\
        --before BEFORE_VENV/bin/python [--after AFTER_VENV/bin/python] [--repeat 2]

For each tree, both versions (interpreters whose environments have anops-policy installed; ``--after``
defaults to this one) run, interleaved in every round,

    ANOPS_POLICY_CACHE=off PYTHON -m anops_policy facts TREE --jobs 1 --now … -o FACTS.json

every collector in one process, one after the other, with no summary cache: each collector's own cold work
is its ``duration_ms`` in the fact document (wall time in a process doing nothing else, so CPU time but for
the few git and ripgrep children it waits on), the lower of the rounds. A collector's *source* is the bytes
of the tree's files it reads (``INPUTS``: by name, e.g. ``.py`` files for the python collector; for the
todos and patterns collectors every file of a language they know), so MB/s = source MB ÷ seconds. The
whole run's CPU (user+sys, children included) is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import posixpath
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

NOW = "2026-11-26T00:00:00Z"
SKIP_DIRS = frozenset({".git", "node_modules", "target", "__pycache__", ".anops-policy"})
_SOURCE = (".py", ".rs", ".go", ".js", ".ts", ".tsx", ".c", ".h", ".cc", ".cpp", ".hpp", ".sh", ".java", ".kt", ".cs")


def _name(path: str) -> str:
    return posixpath.basename(path).lower()


INPUTS: dict[str, Callable[[str], bool]] = {
    "python": lambda p: p.endswith(".py"),
    "rust": lambda p: p.endswith(".rs") or _name(p) == "cargo.toml",
    "todos": lambda p: p.endswith((*_SOURCE, ".yml", ".yaml", ".toml")) or "dockerfile" in _name(p),
    "patterns": lambda p: p.endswith(_SOURCE),
    "docs": lambda p: p.endswith((".md", ".markdown", ".rst")),
    "ci": lambda p: p.endswith((".yml", ".yaml")) and (".github/" in p or ".gitlab" in p or "ci" in _name(p)),
    "dockerfiles": lambda p: "dockerfile" in _name(p) or "containerfile" in _name(p),
    "layout": lambda p: p.endswith((".py", ".rs", ".go", ".toml", ".json", ".cfg")),
    "grpc": lambda p: p.endswith((".proto", ".py", ".rs")),
    "logging": lambda p: p.endswith((".py", ".ini", ".cfg", ".toml", ".yaml", ".yml", ".json")),
}


def tree_bytes(tree: Path) -> dict[str, int]:
    """Collector → bytes of the files it reads (``INPUTS``)."""
    sizes = dict.fromkeys(INPUTS, 0)
    for folder, dirs, names in os.walk(tree):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in names:
            full = Path(folder) / name
            rel = full.relative_to(tree).as_posix()
            try:
                size = full.lstat().st_size
            except OSError:
                continue
            for collector, wanted in INPUTS.items():
                if wanted(rel):
                    sizes[collector] += size
    return sizes


def run_facts(python: str, tree: Path, out: Path) -> tuple[float, dict[str, float]]:
    """(CPU s of the whole run, collector -> its duration in s)."""
    argv = [python, "-m", "anops_policy", "facts", str(tree), "--jobs", "1", "--now", NOW, "-o", str(out)]
    # the cache off by its switch, not by --no-cache: a version from before the cache has neither
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"ANOPS_POLICY_CACHE": "off"}
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)}: exit {os.waitstatus_to_exitcode(status)}\n{err[-1500:]}")
    meta = json.loads(out.read_text())["meta"]["collectors"]
    durations = {name: float(row.get("duration_ms") or 0) / 1000 for name, row in meta.items() if row["status"] == "ok"}
    return usage.ru_utime + usage.ru_stime, durations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trees", type=Path, nargs="+")
    parser.add_argument("--before", required=True, metavar="PYTHON", help="the interpreter of the version before")
    parser.add_argument("--after", default=sys.executable, metavar="PYTHON", help="default: this interpreter")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    versions = {"before": args.before, "after": args.after}
    out: dict[str, dict[str, dict[str, float]]] = {}
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"{started} · {os.cpu_count()} CPUs · load {os.getloadavg()[0]:.1f} · before {args.before} · "
          f"after {args.after}")
    with tempfile.TemporaryDirectory(prefix="anops-collectors-") as work:
        for tree in args.trees:
            sizes = tree_bytes(tree)
            best: dict[str, dict[str, float]] = {label: {} for label in versions}
            total: dict[str, list[float]] = {label: [] for label in versions}
            for _ in range(args.repeat):
                for label, python in versions.items():
                    cpu, durations = run_facts(python, tree, Path(work) / f"{label}.json")
                    total[label].append(cpu)
                    for name, seconds in durations.items():
                        best[label][name] = min(best[label].get(name, float("inf")), seconds)
            print(f"\n### {tree}\n")
            print("| collector | source MB | before s | before MB/s | after s | after MB/s | after ÷ before |")
            print("|---|---:|---:|---:|---:|---:|---:|")
            rows: dict[str, dict[str, float]] = {}
            for name in sorted(best["after"], key=lambda n: -best["after"][n]):
                if name not in best["before"]:
                    continue
                mb = sizes.get(name, 0) / 1e6
                before, after = max(best["before"][name], 0.001), max(best["after"][name], 0.001)
                rows[name] = {"mb": mb, "before_s": before, "after_s": after}
                speed = (f"{mb / before:.1f}", f"{mb / after:.1f}") if name in INPUTS else ("—", "—")
                print(f"| {name} | {mb:.1f} | {before:.2f} | {speed[0]} | {after:.2f} | {speed[1]} | "
                      f"{after / before:.2f} |")
            cpus = {label: min(values) for label, values in total.items()}
            print(f"| **whole run, CPU** (user+sys) | | {cpus['before']:.2f} | | {cpus['after']:.2f} | | "
                  f"{cpus['after'] / cpus['before']:.2f} |")
            out[str(tree)] = rows
    print(f"\nload at the end {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
