"""Benchmark 1, collection: anops-policy against ripgrep on a generated 20,000-file tree.

    python benchmarks/generate_tree.py /tmp/bench-tree            # once (deterministic, ~30 s)
    python benchmarks/collection/run.py /tmp/bench-tree [--repeat 5] [--eval-repeat 3] [--no-eval]

Runs, interleaved in each round so that they share the machine's load, REPEAT times:

* ``rg -c '\\b(TODO|FIXME|XXX|HACK)\\b' TREE`` (ripgrep 14.1.0 from PyPI; the reference),
* ``anops-policy facts --only todos TREE`` (the todos collector end to end, JSON written to a file),
* ``anops-policy eval TREE`` with the default pack (every collector the pack needs, then the policies),
  on every core (the default: collectors in worker processes) and with ``--jobs 1`` (one process),

and prints the median wall time and CPU time (user+sys of the process and its children) of each, as a
ratio to ripgrep's, and the peak memory: RSS of the largest process (``wait4``) and the proportional set
size (PSS) of all its processes together (sampled every 50 ms from /proc; shared pages count once). Each eval's
collector statuses are printed: a collector that ended in ``error`` did less work, so its time is no
result. Then it checks that every tool found what the generator planted
(``TREE.expected.json``): ripgrep's per-file line counts (markers in comments and decoys in strings,
Markdown and YAML block scalars; ripgrep skips hidden folders such as ``.github``), and the collector's
items (path, line, tag, age in days) — a fast but wrong answer fails the run (exit 1).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PATTERN = r"\b(TODO|FIXME|XXX|HACK)\b"
NOW = "2026-11-26T00:00:00Z"


@dataclass
class Timed:
    name: str
    argv: list[str]
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)  # MB, the largest process of the run
    totals: list[float] = field(default_factory=list)  # MB, the process tree's summed PSS (sampled)
    ok_codes: tuple[int, ...] = (0,)
    stdout: bytes = b""

    def run(self) -> None:
        start = os.times()
        wall0 = _now()
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(self.argv, stdout=out, stderr=err)
            sampler = TreeRss(proc.pid)
            sampler.start()
            # wait4: this run's own rusage (ru_maxrss: the largest process of its tree, KB), not the
            # script's running maximum over every child so far
            _pid, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            sampler.stop()
            wall = _now() - wall0
            end = os.times()
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
        if proc.returncode not in self.ok_codes:
            sys.exit(f"{self.name}: exit {proc.returncode}\n{stderr.decode(errors='replace')[-2000:]}")
        self.walls.append(wall)
        self.cpus.append((end.children_user - start.children_user) + (end.children_system - start.children_system))
        self.peaks.append(usage.ru_maxrss / 1024)
        self.totals.append(sampler.peak / 1e6)
        self.stdout = stdout


class TreeRss(threading.Thread):
    """Samples the summed memory (PSS) of a process and all its descendants every 50 ms (Linux /proc):
    what a run with worker processes really takes, which the largest process alone understates."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            self.peak = max(self.peak, self._total(self.pid))

    def stop(self) -> None:
        self.done.set()
        self.join()

    def _total(self, pid: int) -> int:
        """Proportional set size (PSS) of the tree: pages a worker shares copy-on-write with its parent
        count once in the sum, not once per process as plain RSS would."""
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            pss = next(int(row.split()[1]) for row in rollup.splitlines() if row.startswith("Pss:")) * 1024
        except (OSError, IndexError, ValueError, StopIteration):  # exited between the reads
            return 0
        return pss + sum(self._total(int(child)) for child in children)


def _now() -> float:
    import time  # noqa: PLC0415

    return time.perf_counter()


def shown(argv: list[str]) -> str:
    return " ".join(f"'{a}'" if any(c in a for c in " \\|()") else a for a in argv)


def check_rg(stdout: bytes, tree: Path, expected: dict[str, Any]) -> list[str]:
    got: dict[str, int] = {}
    for row in stdout.decode().splitlines():
        path, _, count = row.rpartition(":")
        got[Path(path).relative_to(tree).as_posix()] = int(count)
    # ripgrep skips hidden files and folders (.github/…) unless --hidden: so must the expectation
    want = {p: n for p, n in expected["rg_counts"].items() if not any(part.startswith(".") for part in p.split("/"))}
    if got == want:
        return []
    wrong = sorted(p for p in set(got) | set(want) if got.get(p) != want.get(p))
    return [f"rg: {len(wrong)} files differ from the planted counts, e.g. {wrong[:3]}"]


def check_todos(facts_file: Path, expected: dict[str, Any]) -> list[str]:
    document = json.loads(facts_file.read_text())
    if "todos" not in document:
        return [f"facts: no todos section: {document['meta']['collectors']}"]
    section = document["todos"]
    now = datetime.fromisoformat(NOW.replace("Z", "+00:00"))
    want = {
        (m["path"], m["line"]): (m["tag"], (now - datetime.fromisoformat(m["date"])).days)
        for m in expected["markers"]
    }
    got = {(it["path"], it["line"]): (it["tag"], it.get("age_days")) for it in section["items"]}
    problems = []
    if got != want:
        wrong = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
        problems.append(f"todos: {len(wrong)} items differ from the planted markers, e.g. {wrong[:3]}")
    summary = expected["summary"]
    if section["counts"]["without_owner_or_ticket"] != summary["without_owner_or_ticket"]:
        problems.append(
            f"todos: without_owner_or_ticket {section['counts']['without_owner_or_ticket']}, "
            f"planted {summary['without_owner_or_ticket']}"
        )
    if section["blame"]["status"] != "ok":
        problems.append(f"todos: blame {section['blame']}")
    return problems


def eval_statuses(report_file: Path) -> dict[str, Any]:
    """Collector statuses (``error`` ones with their message) and the verdict of one eval's JSON report."""
    report = json.loads(report_file.read_text())
    collectors = report.get("collectors", {})
    statuses: dict[str, Any] = {}
    for name, run in sorted(collectors.items()):
        statuses[name] = run.get("status") if run.get("status") != "error" else f"error: {run.get('error', '')[:160]}"
    return {"collectors": statuses, "exit_code": report.get("exit_code"), "summary": report["summary"]["line"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tree", type=Path)
    ap.add_argument("--expected", type=Path, help="default: TREE.expected.json beside the tree")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--eval-repeat", type=int, default=1, help="rounds that also run the full eval (minutes each)")
    ap.add_argument("--no-eval", action="store_true")
    args = ap.parse_args(argv)
    tree: Path = args.tree.resolve()
    expected = json.loads((args.expected or tree.parent / (tree.name + ".expected.json")).read_text())
    rg = shutil.which("rg")
    cli = shutil.which("anops-policy")
    if rg is None or cli is None:
        sys.exit("needs rg (pip install --only-binary :all: ripgrep==14.1.0) and anops-policy on PATH")
    with tempfile.TemporaryDirectory() as tmp:
        facts_file = Path(tmp) / "facts.json"
        tools = [
            Timed("rg -c", [rg, "-c", PATTERN, str(tree)]),
            Timed("facts --only todos",
                  [cli, "facts", "--only", "todos", str(tree), "--now", NOW, "-o", str(facts_file)]),
        ]
        reports = {"eval (default pack)": Path(tmp) / "eval.json", "eval --jobs 1": Path(tmp) / "eval-1.json"}
        if not args.no_eval:
            for name, report in reports.items():
                jobs = ["--jobs", "1"] if "--jobs 1" in name else []
                tools.append(
                    Timed(name, [cli, "eval", str(tree), "--now", NOW, "--no-decision-log", "-q", *jobs,
                                 "--output", f"json={report}"], ok_codes=(0, 1))
                )
        for tool in tools[:2]:  # warm the page cache and byte-code caches (the eval runs after both); not timed
            tool.run()
            tool.walls.clear()
            tool.cpus.clear()
        for round_no in range(args.repeat):
            for tool in tools:
                if tool.name.startswith("eval") and round_no >= args.eval_repeat:
                    continue
                tool.run()
        problems = check_rg(tools[0].stdout, tree, expected) + check_todos(facts_file, expected)
        statuses = {name: eval_statuses(report) for name, report in reports.items() if report.is_file()}
    base_wall = statistics.median(tools[0].walls)
    base_cpu = statistics.median(tools[0].cpus)
    summary = expected["summary"]
    print(f"tree: {tree} — {summary['files']} files, {summary['bytes'] / 1e6:.0f} MB; "
          f"{summary['rg_lines']} tagged lines, {summary['comment_markers']} markers in comments")
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{subprocess.run([rg, '--version'], capture_output=True, text=True, check=False).stdout.splitlines()[0]}, "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print()
    print("| what | runs | median wall s | × rg | median CPU s | × rg CPU | peak RSS MB, largest process | "
          "peak PSS MB, all processes |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for tool in tools:
        wall, cpu = statistics.median(tool.walls), statistics.median(tool.cpus)
        print(f"| `{tool.name}` | {len(tool.walls)} | {wall:.3f} | {wall / base_wall:.1f} | {cpu:.3f} | "
              f"{cpu / base_cpu:.1f} | {max(tool.peaks):,.0f} | {max(tool.totals):,.0f} |")
    print()
    for name, found in statuses.items():
        print(f"{name}: {found}")
    if len({json.dumps(v, sort_keys=True) for v in statuses.values()}) > 1:
        problems.append("the evals with and without --jobs 1 disagree on collector statuses or the verdict")
    print()
    for tool in tools:
        print(f"    {shown(tool.argv)}")
    print()
    if problems:
        print("WRONG ANSWERS:\n  " + "\n  ".join(problems))
        return 1
    print(f"checked: rg's per-file counts and all {summary['comment_markers']} collector items (tag, line, age) "
          "match what the generator planted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
