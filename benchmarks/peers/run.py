"""Benchmark 3: anops-policy vs checkov vs hadolint on the same folder of Dockerfiles and workflows.

    python benchmarks/peers/run.py --dir /tmp/peers --repeat 5 --checkov /tmp/checkov-venv/bin/checkov

Generates the folder first when it is missing (``generate.py``, 200 Dockerfiles + 200 workflows). Each
round runs every command once, in a rotating order, so the tools share whatever load the machine has;
the table shows the median wall and CPU time (user+sys of the process and its children) of the rounds
and their ratio to checkov's. Then it compares what the tools find against what the generator planted.
checkov lives in its own virtualenv (its pins conflict with ours):
``python -m venv /tmp/checkov-venv && /tmp/checkov-venv/bin/pip install checkov``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import compare
from generate import generate, validate

HERE = Path(__file__).resolve().parent
PACK = HERE.parents[1] / "policies" / "production-readiness"
SUBSET_POLICIES = (
    "dockerfiles-bake-in-no-secrets",
    "dockerfiles-install-nothing-unnecessary",
    "ci-does-not-mask-test-failures",
)
SUBSET_PACK = """apiVersion: anops.dev/pack/v1
id: dockerfiles-and-ci
version: 0.1.0
title: Dockerfiles and CI (the production-readiness pack's items 2.4 and 4.2)
sections: [2. Coding Best Practices, 4. Automation]
items:
  - {id: "2.4", section: 2. Coding Best Practices, title: "Dockerfiles carry no unnecessary packages or files"}
  - {id: "4.2", section: 4. Automation, title: "CI failures are visible (no masking)"}
"""
# The subset run also opts in to the no-healthcheck code, which checkov checks by default.
STRICT_CONFIG = """apiVersion: anops.dev/config/v1
params:
  dockerfiles-install-nothing-unnecessary:
    codes: [base-latest, full-base-image, build-tools-in-final-stage, apt-install-recommends, apt-lists-kept,
            apk-cache-kept, rpm-cache-kept, pip-cache-kept, npm-cache-kept, install-files-left, no-dockerignore,
            add-url, runs-as-root, no-healthcheck]
"""


@dataclass
class Tool:
    name: str
    argv: list[str]
    output: Path | None  # where its JSON lands (stdout is captured here when the tool has no output option)
    capture_stdout: bool
    env: dict[str, str] = field(default_factory=dict)
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    exit_codes: set[int] = field(default_factory=set)

    def run(self) -> None:
        env = {**os.environ, **self.env}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        if self.capture_stdout and self.output is not None:
            with self.output.open("wb") as out:
                done = subprocess.run(self.argv, stdout=out, stderr=subprocess.DEVNULL, env=env, check=False)
        else:
            done = subprocess.run(self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.walls.append(wall)
        self.cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
        self.exit_codes.add(done.returncode)


def tools(args: argparse.Namespace, root: Path, work: Path, dockerfiles: list[str]) -> list[Tool]:
    pack = work / "pack"
    pack.mkdir()
    (pack / "pack.yaml").write_text(SUBSET_PACK, encoding="utf-8")
    for pid in SUBSET_POLICIES:
        shutil.copy(PACK / f"{pid}.yaml", pack / f"{pid}.yaml")
    (work / "strict.yaml").write_text(STRICT_CONFIG, encoding="utf-8")
    anops = [args.anops, "eval", str(root), "--now", "2026-11-26", "--no-decision-log", "-q"]
    if args.deadline:
        anops += ["--deadline", str(args.deadline)]
    return [
        Tool("anops-policy eval (default pack)", [*anops, "--output", f"json={work / 'anops.json'}"],
             work / "anops.json", False),
        # the same with the pure-Python CEL backend (what `pip install anops-policy` without the fast extra runs)
        Tool("anops-policy eval (default pack, cel-python)", [*anops, "--output", f"json={work / 'anops-py.json'}"],
             work / "anops-py.json", False, {"ANOPS_CEL_BACKEND": "python"}),
        Tool("anops-policy eval (Dockerfile+CI policies)",
             [*anops, "--policies", str(pack), "--config", str(work / "strict.yaml"),
              "--output", f"json={work / 'anops-subset.json'}"], work / "anops-subset.json", False),
        Tool("checkov", [args.checkov, "-d", str(root), "--framework", "dockerfile,github_actions", "-o", "json",
                         "--quiet", "--skip-download"], work / "checkov.json", True),
        Tool("hadolint (Dockerfiles only)", [args.hadolint, "-f", "json", "--no-fail",
                                             *[str(root / p) for p in dockerfiles]], work / "hadolint.json", True),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/peers"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--checkov", default="/tmp/checkov-venv/bin/checkov")
    parser.add_argument("--hadolint", default=shutil.which("hadolint") or "hadolint")
    parser.add_argument("--anops", default=shutil.which("anops-policy") or "anops-policy")
    # anops-policy's per-policy deadline (2 s by default) turns a policy that runs out of time into an
    # `error` decision; timing a run that skipped work would flatter it, so the default lifts the deadline.
    parser.add_argument("--deadline", type=float, default=600.0,
                        help="anops-policy's per-policy deadline in seconds (0: its own default, 2 s)")
    args = parser.parse_args()
    for exe in (args.checkov, args.hadolint, args.anops):
        if shutil.which(exe) is None:
            sys.exit(f"run.py: {exe} not found (see the module docstring for installing the peers)")
    truth_file = args.dir / ".bench/truth.json"
    if not truth_file.exists():
        truth = generate(args.dir, 200, 200, 3)
        problems = validate(args.dir, truth)
        if problems:
            sys.exit("run.py: generated files are invalid:\n" + "\n".join(problems[:20]))
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="peers-bench-") as tmp:
        runs = tools(args, args.dir.resolve(), Path(tmp), sorted(truth["dockerfiles"]))
        for round_ in range(args.repeat):
            shift = round_ % len(runs)
            for tool in runs[shift:] + runs[:shift]:
                tool.run()
        report(args, runs, truth)
    return 0


def report(args: argparse.Namespace, runs: list[Tool], truth: dict[str, Any]) -> None:
    checkov = next(t for t in runs if t.name == "checkov")
    cw, cc = statistics.median(checkov.walls), statistics.median(checkov.cpus)
    print(f"{len(truth['dockerfiles'])} Dockerfiles + {len(truth['workflows'])} workflows in {args.dir}, "
          f"median of {args.repeat} rounds; CEL backend 'auto' = "
          f"{'cel-expr-python (native)' if importlib.util.find_spec('cel_expr_python') else 'cel-python'}\n")
    print("| tool | wall s | CPU s | wall / checkov | CPU / checkov | exit codes |")
    print("|---|---:|---:|---:|---:|---|")
    for t in runs:
        w, c = statistics.median(t.walls), statistics.median(t.cpus)
        codes = ",".join(str(x) for x in sorted(t.exit_codes))
        print(f"| {t.name} | {w:.2f} | {c:.2f} | {w / cw:.2f} | {c / cc:.2f} | {codes} |")
    print("\nCommands:")
    for t in runs:
        shown = t.argv if not t.name.startswith("hadolint") else [*t.argv[:4], f"<{len(truth['dockerfiles'])} files>"]
        print(f"  {shlex.join(shown)}")
    planted = compare.truth_sets(truth)
    found: dict[str, compare.Found] = {}
    facts = subprocess.run([args.anops, "facts", str(args.dir), "--only", "dockerfiles", "--only", "ci"],
                           capture_output=True, check=True).stdout
    found["anops-policy"] = compare.anops_found(json.loads(facts))
    keys = ("anops-policy (default)", "anops-policy (default, cel-python)", "anops-policy (subset)", "checkov",
            "hadolint")
    for t, key in zip(runs, keys, strict=True):
        assert t.output is not None
        data = compare.load_json(t.output.read_text(encoding="utf-8"))
        if key.startswith("anops"):
            errors = [d for d in data["decisions"] if d["outcome"] == "error"]
            durations = {k: v["duration_ms"] for k, v in data["collectors"].items() if v["duration_ms"]}
            print(f"\n{key}: last run's collector ms {durations}; {len(errors)} error decision(s)"
                  + "".join(f"\n  error: {d['policy']} {d['subject'] or ''}: {d['message'][:140]}" for d in errors))
        elif key == "checkov":
            found[key] = compare.checkov_found(data)
            names = {Path(p).name for p in compare.checkov_files(data)}
            unseen = sorted({Path(p).name for p in truth["dockerfiles"]} - names)
            print(f"\ncheckov reported nothing on any file named: {', '.join(unseen) or '(none)'}")
        else:
            found[key] = compare.hadolint_found(data, str(args.dir.resolve()))
    print("\nFound / planted per category (+N: flagged where nothing was planted; — : no such check; "
          "anops-policy from its fact document, * = in the facts but no default-pack policy fails on it)\n")
    print("\n".join(compare.table(planted, found)))


if __name__ == "__main__":
    raise SystemExit(main())
