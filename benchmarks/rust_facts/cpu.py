"""CPU of ``facts --only rust --jobs 1 --no-cache`` for two installs side by side, and the MB/s of Rust
source each reads: the base (another checkout on ``--base-pythonpath``, e.g. a ``git archive`` of the
commit before a change) and the new one (``--new-pythonpath``, else the installed package), interleaved
per round; the lower of the rounds.

    python benchmarks/rust_facts/cpu.py --base-pythonpath /tmp/rust-base/src --rounds 2 \\
        bench-tree-5k=/tmp/bench-tree-5k real-code=/tmp/anops-accuracy/src/*/ ...

A ``NAME=PATH`` argument names a tree; further bare paths join the last named one (each is one ``facts``
run, their CPU summed). Children run without ``PYTHONDONTWRITEBYTECODE`` so imports come from bytecode."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

NOW = "2026-11-26T00:00:00Z"


def cpu(repo: Path, env: dict[str, str]) -> float:
    """user+sys seconds of one ``facts --only rust`` run on ``repo``."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "anops_policy", "facts", str(repo), "--only", "rust", "--jobs", "1"]
        cmd += ["--no-cache", "--now", NOW, "-o", str(Path(tmp) / "facts.json")]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"facts failed on {repo}: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
        return usage.ru_utime + usage.ru_stime


def rust_bytes(repos: list[Path]) -> tuple[int, int]:
    files = [p for repo in repos for p in repo.rglob("*.rs") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-pythonpath", required=True)
    parser.add_argument("--new-pythonpath", help="the new checkout (default: the installed anops_policy)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("trees", nargs="+")
    args = parser.parse_args()
    trees: dict[str, list[Path]] = {}
    last = ""
    for item in args.trees:
        if "=" in item:
            last, path = item.split("=", 1)
            trees[last] = [Path(path)]
        else:
            trees[last].append(Path(item))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    base_env = {**env, "PYTHONPATH": args.base_pythonpath}
    if args.new_pythonpath:
        env["PYTHONPATH"] = args.new_pythonpath
    best: dict[tuple[str, str], float] = {}
    for n in range(args.rounds):
        for name, repos in trees.items():
            order = [("base", base_env), ("new", env)] if n % 2 == 0 else [("new", env), ("base", base_env)]
            for label, run_env in order:
                seconds = sum(cpu(repo, run_env) for repo in repos)
                key = (name, label)
                best[key] = min(best.get(key, seconds), seconds)
                print(f"round {n + 1} {name} {label}: {seconds:.2f} s CPU", file=sys.stderr, flush=True)
    print("| tree | `.rs` files | MB | base CPU s (MB/s) | new CPU s (MB/s) | × base |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, repos in trees.items():
        files, size = rust_bytes(repos)
        mb = size / 1e6
        base, new = best[(name, "base")], best[(name, "new")]
        print(
            f"| {name} | {files:,} | {mb:.1f} | {base:.2f} ({mb / base:.1f}) | {new:.2f} ({mb / new:.1f}) "
            f"| {new / base:.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
