"""The whole default pack on both CEL backends, side by side in one process: cel-python alone
(ANOPS_CEL_BACKEND=python) against Google's C++ runtime with cel-python fallback (native).

Fact documents: the example repository's (``anops-policy facts examples/anops``) and the generated ones of
``benchmarks/generate_facts.py`` at the given TODO counts. For each document both backends evaluate the pack
``--repeat`` times, alternating; the table shows the median, the ratio, how many expression evaluations of
one run the C++ runtime answered and how many it handed to cel-python (and why), and that the decisions
(outcome, message, explanation, evidence) are identical. Each run starts a fresh backend, as a CLI run does:
the native times include compiling every expression for C++.

    python benchmarks/cel_backends/run.py [--sizes 1000,10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from anops_policy import cel
from anops_policy.engine import parse_timestamp
from anops_policy.evaluate import RunSettings, evaluate_packs
from anops_policy.loading import builtin_pack_dir, load_pack

ROOT = Path(__file__).resolve().parents[2]


def documents(sizes: list[int], workdir: Path) -> list[tuple[str, Path]]:
    example = workdir / "facts-example.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "anops_policy",
            "facts",
            str(ROOT / "examples" / "anops"),
            "--now",
            "2026-11-26T10:00:00Z",
            "-o",
            str(example),
        ],
        check=True,
    )
    out = [("example repository", example)]
    if sizes:
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "generate_facts.py"),
                str(workdir),
                "--sizes",
                ",".join(map(str, sizes)),
            ],
            check=True,
            capture_output=True,
        )
        out += [(f"{n:,} TODOs", workdir / f"facts-{n}.json") for n in sizes]
    return out


def run_once(backend: str, packs: list[Any], document: dict[str, Any], now: datetime) -> tuple[float, Any, Any]:
    cel.use_backend(backend)
    start = time.perf_counter()
    decisions = evaluate_packs(packs, document, {}, RunSettings(now=now, deadline_s=600.0))
    elapsed = time.perf_counter() - start
    return elapsed, [d.to_json() for d in decisions], cel.backend_stats()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="generated documents, TODO counts (empty: none)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    packs = [load_pack(builtin_pack_dir("production-readiness"))]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, path in documents(sizes, Path(tmp)):
            document = json.loads(path.read_text())
            now = parse_timestamp(document["meta"]["now"]) if "now" in document["meta"] else datetime.now(UTC)
            times: dict[str, list[float]] = {"python": [], "native": []}
            results: dict[str, Any] = {}
            stats: Any = None
            for _ in range(args.repeat):
                for backend in ("python", "native"):
                    elapsed, decisions, backend_stats = run_once(backend, packs, document, now)
                    times[backend].append(elapsed)
                    results[backend] = decisions
                    stats = backend_stats if backend == "native" else stats
            identical = json.dumps(results["python"]) == json.dumps(results["native"])  # key order too
            py, nat = statistics.median(times["python"]), statistics.median(times["native"])
            reasons = ", ".join(f"{k} {v}" for k, v in sorted(stats["reasons"].items())) or "-"
            rows.append(
                f"| {label} | {path.stat().st_size / 1e6:.1f} MB | {len(results['native'])} | {py:.2f} s "
                f"| {nat:.2f} s | {py / nat:.1f}× | {stats['native']} "
                f"| {stats['python']} ({reasons}) | {'yes' if identical else 'NO'} |"
            )
            print(rows[-1], flush=True)
    cel.use_backend(None)
    print()
    print(
        "| facts | size | decisions | cel-python | native + fallback | speed-up | native evaluations "
        "| handed to cel-python (why) | identical decisions |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\ncommand: python benchmarks/cel_backends/run.py --sizes {args.sizes} --repeat {args.repeat}")
    return 0 if all(r.endswith("| yes |") for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
