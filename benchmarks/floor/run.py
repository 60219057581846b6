"""Issue 21's parse floor and targets, side by side in one run on one tree.

    python benchmarks/generate_tree.py /tmp/bench-tree-5k --files 5000     # once (deterministic)
    python benchmarks/floor/run.py /tmp/bench-tree-5k [--repeat 3] [--json OUT] [--before OTHER_VENV/bin/python]

The floor: the cheapest full parse of every source file of the tree with the parsers the collectors use —
tree-sitter (through ast-grep, the ``syntax`` layer) for every language it knows, and Python's ``ast`` for
Python files (whichever is cheaper of the two is the Python floor) — in one process, each file read once
beforehand (reading is not parsing), CPU time of the best of ``--repeat`` rounds. Per language: files, MB
and MB/s.

Then, interleaved per round so they share the machine's load (medians of wall and CPU, user+sys of the
process and its children; peak RSS of the largest process):

* ``rg -c '\\b(TODO|FIXME|XXX|HACK)\\b' TREE`` and the ``git log`` age lookup alone
  (``git log --format=%H%x00%ct --name-only``), the todos target's references;
* start-up: ``anops-policy facts --only todos`` and ``anops-policy eval`` on a one-file repository, with
  the compiled-policy cache filled by a first run (as a CI job that keeps its cache sees it);
* ``anops-policy facts --only todos TREE`` (cache off);
* ``anops-policy eval TREE`` with an empty cache (cold) and again (warm);

and prints issue 21's targets with the measured ratio and whether it is met. With ``--before PYTHON`` (an
interpreter whose environment has another version of anops-policy installed: the one before a change) each
anops-policy run is made by both, interleaved in every round, and the tables have a column per version: the
targets' before and after from the same run. Nothing is written inside the tree; the caches live in a
temporary folder.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anops_policy.syntax.languages import LANGUAGES, Language

PATTERN = r"\b(TODO|FIXME|XXX|HACK)\b"
NOW = "2026-11-26T00:00:00Z"


def tree_files(tree: Path) -> list[str]:
    out = subprocess.run(["git", "-C", str(tree), "ls-files", "-z"], capture_output=True, check=True).stdout
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


def language_of(path: str) -> Language | None:
    for lang in LANGUAGES.values():
        if lang.owns(path):
            return lang
    return None


@dataclass
class FloorRow:
    language: str
    parser: str
    files: int = 0
    bytes: int = 0
    cpu: float = float("inf")

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.cpu if self.cpu > 0 else 0.0


def parse_floor(tree: Path, repeat: int) -> list[FloorRow]:
    from ast_grep_py import SgRoot  # noqa: PLC0415 - the benchmark's own imports stay out of the timings

    by_lang: dict[str, list[tuple[str, str]]] = {}
    for path in tree_files(tree):
        lang = language_of(path)
        if lang is None or lang.name in ("yaml", "json", "html", "css"):
            continue  # data and markup: no collector parses them with tree-sitter
        try:
            text = (tree / path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        by_lang.setdefault(lang.name, []).append((lang.grammar, text))
    rows: list[FloorRow] = []
    for name, items in sorted(by_lang.items()):
        size = sum(len(text.encode()) for _, text in items)
        row = FloorRow(name, "tree-sitter", len(items), size)
        for _ in range(repeat):
            start = time.process_time()
            for grammar, text in items:
                SgRoot(text, grammar).root()
            row.cpu = min(row.cpu, time.process_time() - start)
        rows.append(row)
        if name == "python":
            alt = FloorRow(name, "ast", len(items), size)
            for _ in range(repeat):
                start = time.process_time()
                for _grammar, text in items:
                    with contextlib.suppress(SyntaxError):
                        ast.parse(text)
                alt.cpu = min(alt.cpu, time.process_time() - start)
            rows.append(alt)
    return rows


def floor_cpu(rows: list[FloorRow]) -> float:
    """Every language's cheapest parser, summed."""
    best: dict[str, float] = {}
    for row in rows:
        best[row.language] = min(best.get(row.language, float("inf")), row.cpu)
    return sum(best.values())


@dataclass
class Timed:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    ok: tuple[int, ...] = (0, 1)

    def run(self) -> None:
        env = {**os.environ, **self.env}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package runs from compiled bytecode
        start = time.perf_counter()
        proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.returncode not in self.ok:
            raise SystemExit(f"{self.name}: exit {proc.returncode}\n{err[-2000:]}")
        self.walls.append(wall)
        self.cpus.append(usage.ru_utime + usage.ru_stime)
        self.rss.append(usage.ru_maxrss / 1024)

    def median(self, values: list[float]) -> float:
        return statistics.median(values) if values else float("nan")


def measure(tree: Path, repeat: int, work: Path, pythons: dict[str, str]) -> dict[str, dict[str, Timed]]:
    """Every run of the targets for each of ``pythons`` (label -> interpreter with anops-policy installed),
    interleaved per round; ripgrep and ``git log`` under the label ``""``."""
    one = work / "one-file"
    one.mkdir()
    (one / "main.py").write_text("print('hello')\n")
    subprocess.run(["git", "init", "-q", str(one)], check=True)
    rg = shutil.which("rg") or "rg"
    runs: dict[str, dict[str, Timed]] = {"": {
        "rg": Timed("rg -c", [rg, "-c", PATTERN, str(tree)]),
        "git-log": Timed("git log (ages)", ["git", "-C", str(tree), "log", "--format=%H%x00%ct", "--name-only"]),
    }}
    for label, python in pythons.items():
        cache = work / f"cache-{label}"
        # start-up as a CI job with a kept cache sees it: the pack's compiled policies cached (a first run fills it)
        one_cache = {"ANOPS_POLICY_CACHE_DIR": str(work / f"one-cache-{label}")}
        warm_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | one_cache
        cli = [python, "-m", "anops_policy"]
        subprocess.run([*cli, "eval", str(one), "--no-decision-log", "-q"],
                       env=warm_env, stdout=subprocess.DEVNULL, check=False)
        report = work / f"r-{label}.json"
        eval_args = ["eval", str(tree), "--now", NOW, "--no-decision-log", "-q", "--output", f"json={report}"]
        runs[label] = {
            "start-facts": Timed("start-up: facts --only todos, one file",
                                 [*cli, "facts", str(one), "--only", "todos", "-o", os.devnull], one_cache),
            "start-eval": Timed("start-up: eval, one file (compiled policies cached)",
                                [*cli, "eval", str(one), "--no-decision-log", "-q"], one_cache),
            # the cache off by its switch (a version from before the cache has no --no-cache)
            "todos": Timed("facts --only todos", [*cli, "facts", str(tree), "--only", "todos", "--now", NOW,
                                                  "-o", os.devnull], {"ANOPS_POLICY_CACHE": "off"}),
            "cold": Timed("eval, cold cache", [*cli, *eval_args], {"ANOPS_POLICY_CACHE_DIR": str(cache)}),
            "warm": Timed("eval, warm cache", [*cli, *eval_args], {"ANOPS_POLICY_CACHE_DIR": str(cache)}),
        }
    for _ in range(repeat):
        for label, group in runs.items():
            for key, timed in group.items():
                if key == "cold":
                    shutil.rmtree(work / f"cache-{label}", ignore_errors=True)
                timed.run()
    return runs


def targets(runs: dict[str, Timed], shared: dict[str, Timed], floor: float) -> list[tuple[str, float, float]]:
    """Issue 21's targets: (what, measured, limit) for one version's runs."""
    med = {k: (t.median(t.walls), t.median(t.cpus), max(t.rss)) for k, t in {**shared, **runs}.items()}
    start_facts, start_eval = med["start-facts"][0], med["start-eval"][0]
    todos_net = med["todos"][0] - start_facts
    return [
        ("facts --only todos net wall ≤ 2× (rg + git log)", todos_net / (med["rg"][0] + med["git-log"][0]), 2.0),
        ("facts --only todos net wall ≤ 5× rg", todos_net / med["rg"][0], 5.0),
        ("eval cold CPU ≤ 1.5× the parse floor", med["cold"][1] / floor, 1.5),
        ("eval cold net wall ≤ 30× rg", (med["cold"][0] - start_eval) / med["rg"][0], 30.0),
        ("start-up (eval, one file) ≤ 0.3 s", start_eval, 0.3),
        ("eval warm, nothing changed, wall ≤ 0.15× cold (1% changed: summary_cache/run.py)",
         med["warm"][0] / med["cold"][0], 0.15),
        ("peak RSS of the largest process ≤ 500 MB", max(med["cold"][2], med["warm"][2]), 500.0),
    ]


def report(tree: Path, rows: list[FloorRow], runs: dict[str, dict[str, Timed]]) -> dict[str, Any]:
    floor = floor_cpu(rows)
    shared = runs[""]
    labels = [label for label in runs if label]
    print(f"tree {tree}: {sum(r.files for r in rows if r.parser == 'tree-sitter')} parsed files; "
          f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}")
    print("\n| language | parser | files | MB | CPU s | MB/s |\n|---|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r.language} | {r.parser} | {r.files} | {r.bytes / 1e6:.1f} | {r.cpu:.3f} | {r.mb_per_s:.1f} |")
    print(f"| **floor** (cheapest parser per language) | | | | **{floor:.3f}** | |")
    head = " | ".join(f"{label} wall s | {label} CPU s | {label} RSS MB" for label in labels)
    print(f"\n| run | {head} |\n|---|{'---:|' * 3 * len(labels)}")
    for timed in shared.values():
        cells = f"{timed.median(timed.walls):.3f} | {timed.median(timed.cpus):.3f} | {max(timed.rss):.0f}"
        print(f"| {timed.name} | {cells}{' | | |' * (len(labels) - 1)} |")
    for key, first in runs[labels[0]].items():
        cells = " | ".join(
            f"{t.median(t.walls):.3f} | {t.median(t.cpus):.3f} | {max(t.rss):.0f}"
            for t in (runs[label][key] for label in labels)
        )
        print(f"| {first.name} | {cells} |")
    measured = {label: targets(runs[label], shared, floor) for label in labels}
    cols = " | ".join(f"{label} | met" for label in labels)
    print(f"\n| target | {cols} | limit |\n|---|{'---:|---|' * len(labels)}---:|")
    for i, (name, _, limit) in enumerate(measured[labels[0]]):
        cells = " | ".join(
            f"{measured[label][i][1]:.3f} | {'yes' if measured[label][i][1] <= limit else 'no'}" for label in labels
        )
        print(f"| {name} | {cells} | {limit:g} |")
    return {
        "floor": [vars(r) | {"mb_per_s": r.mb_per_s} for r in rows],
        "runs": {
            label or "reference": {
                k: {"wall": t.median(t.walls), "cpu": t.median(t.cpus), "rss_mb": max(t.rss)} for k, t in group.items()
            }
            for label, group in runs.items()
        },
        "targets": {
            label: [{"target": n, "value": v, "limit": lim, "met": v <= lim} for n, v, lim in measured[label]]
            for label in labels
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tree", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument("--before", metavar="PYTHON",
                        help="also measure this interpreter's anops-policy (another venv: the version before a "
                             "change), interleaved with this one's in every round")
    args = parser.parse_args()
    if not (args.tree / ".git").exists():
        raise SystemExit(f"{args.tree}: not a git repository (make it with benchmarks/generate_tree.py)")
    with tempfile.TemporaryDirectory(prefix="anops-floor-") as work:
        pythons = {"before": args.before, "after": sys.executable} if args.before else {"this": sys.executable}
        # the runs first: a child's peak RSS counts this process's pages at the fork, which the floor's
        # files, once read, would inflate
        runs = measure(args.tree, args.repeat, Path(work), pythons)
        rows = parse_floor(args.tree, args.repeat)
        out = report(args.tree, rows, runs)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
