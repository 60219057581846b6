"""CPU of ``facts --only ci --only dockerfiles --no-cache`` with two installations, in one run: for every
repository of the shell-facts corpus (``freeze.py``'s), the old and the new interpreter alternate
(``--rounds`` times each, after one warm-up run each that also writes the byte-code), and the children's
user+system CPU is summed per corpus and installation.

    env -u PYTHONDONTWRITEBYTECODE python benchmarks/shell_facts/timing.py OLD_PYTHON NEW_PYTHON [--rounds 3]"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from freeze import NOW, corpus


def cpu_of(cmd: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    scratch = Path(tempfile.mkdtemp(prefix="shell-timing-"))
    out = scratch / "facts.json"
    try:
        repos_by_corpus = corpus(scratch)
        for python in (args.old, args.new):  # warm-up: byte-code written, caches of the OS filled
            cpu_of([python, "-m", "anops_policy", "facts", str(repos_by_corpus["cases"][0][1]), "--only", "ci",
                    "-o", str(out)])
        for label, repos in repos_by_corpus.items():
            totals = {"old": 0.0, "new": 0.0}
            for _name, repo, config in repos:
                for _ in range(args.rounds):
                    for which, python in (("old", args.old), ("new", args.new)):
                        cmd = [python, "-m", "anops_policy", "facts", str(repo), "--only", "ci", "--only",
                               "dockerfiles", "--no-cache", "--now", NOW, "-o", str(out)]
                        if config is not None:
                            cmd += ["--config", str(config)]
                        totals[which] += cpu_of(cmd)
            per = {k: v / args.rounds for k, v in totals.items()}
            print(f"{label:9} {len(repos):3} repositories  old {per['old']:7.2f} s  new {per['new']:7.2f} s  "
                  f"new/old {per['new'] / per['old']:.3f}", flush=True)
        # the shell reading alone, in one process: the differential check's scripts through both analyses
        script = str(Path(__file__).resolve().parent / "differential.py")
        spent = {which: sum(cpu_of([python, script, "emit", str(scratch / "d.jsonl")]) for _ in range(args.rounds))
                 / args.rounds for which, python in (("old", args.old), ("new", args.new))}
        print(f"differential.py emit (3000 scripts, CI + RUN analysis)  old {spent['old']:.2f} s  "
              f"new {spent['new']:.2f} s  new/old {spent['new'] / spent['old']:.3f}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
