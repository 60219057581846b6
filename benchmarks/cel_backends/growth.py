"""Memory growth of a long-lived process on each CEL backend: what a gRPC evaluation worker does per job.

Each backend runs in a fresh child process that loads the default pack once, then ``--evaluations`` times
parses the example repository's fact document anew (as a worker parses each request) and evaluates the pack
on it. RSS is read from ``/proc/self/status`` after every evaluation; the table shows it after the first
and the last one and the growth per evaluation between the second half's first and last (the first
evaluations fill caches that are bounded: compiled programs, key orders).

``library`` isolates cel-expr-python: one C++ program (a comprehension over a 200-element list of maps, the
shape of a policy's scan) evaluated with a fresh activation each time, no anops-policy code in the loop.

    python benchmarks/cel_backends/growth.py [--evaluations 300]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
MODES = ("python", "native", "auto", "library")
NOW_ARGS = ("--now", "2026-11-26T10:00:00Z", "-o")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def child(mode: str, facts: Path, evaluations: int) -> list[float]:
    samples = []
    if mode == "library":
        from cel_expr_python import cel as native  # noqa: PLC0415 - only this mode needs it

        env = native.NewEnv(variables={"xs": native.Type.DYN})
        program = env.compile("xs.filter(x, x.n % 3 == 0).map(x, x.path + ':' + string(x.n)).size()")
        for _ in range(evaluations):
            data = {"xs": [{"path": f"src/file{i}.py", "n": i} for i in range(200)]}
            program.eval(data=data)
            samples.append(rss_mb())
        return samples
    from anops_policy.cel.backend import use_backend  # noqa: PLC0415 - each child loads only its backend
    from anops_policy.evaluation.evaluate import RunSettings, evaluate_packs  # noqa: PLC0415
    from anops_policy.policy.packs import builtin_pack_dir, load_pack  # noqa: PLC0415

    use_backend(mode)
    packs = [load_pack(builtin_pack_dir("production-readiness"))]
    text = facts.read_text()
    for _ in range(evaluations):
        evaluate_packs(packs, json.loads(text), {}, RunSettings(now=NOW, deadline_s=60.0))
        samples.append(rss_mb())
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--evaluations", "-n", type=int, default=300)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--facts", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.facts, args.evaluations)))
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        facts = Path(tmp) / "facts.json"
        subprocess.run(
            [sys.executable, "-m", "anops_policy", "facts", str(ROOT / "examples" / "anops"), *NOW_ARGS, str(facts)],
            check=True,
        )
        for mode in args.modes.split(","):
            out = subprocess.run(
                [sys.executable, __file__, "--child", mode, "--facts", str(facts), "-n", str(args.evaluations)],
                check=True,
                capture_output=True,
                text=True,
            )
            samples = json.loads(out.stdout.strip().splitlines()[-1])
            half = len(samples) // 2
            slope = (samples[-1] - samples[half]) / max(len(samples) - 1 - half, 1)
            rows.append(f"| {mode} | {len(samples)} | {samples[0]:.0f} | {samples[-1]:.0f} | {slope * 1024:.0f} KB |")
            print(rows[-1], file=sys.stderr, flush=True)
    print("| backend | evaluations | RSS after the first (MB) | after the last (MB) | growth per evaluation |")
    print("|---|---:|---:|---:|---:|")
    print("\n".join(rows))
    print(f"\ncommand: python {' '.join(sys.argv)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
