"""The whole default pack on the CEL backends, side by side in one process: cel-python alone
(ANOPS_CEL_BACKEND=python), Google's C++ runtime with cel-python fallback for every expression (native), and
the default (auto), which gives C++ only the expressions where it pays.

Fact documents: the example repository's (``anops-policy facts examples/anops``) and the generated ones of
``benchmarks/generate_facts.py`` at the given TODO counts. For each document the backends evaluate the pack
``--repeat`` times, in rotation; the table shows the medians, the ratios, how many expression evaluations of
one run the C++ runtime answered and how many went to cel-python (and why), and that the decisions
(outcome, message, explanation, evidence) are identical. Each run starts a fresh backend, as a CLI run does:
the native times include compiling expressions for C++. ``--auto-buy-ms`` overrides auto's threshold (to
measure where it should be). ``--peak-rss`` adds each backend's peak RSS: a fresh child process per document
and backend loads the document and evaluates the pack once.

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

from anops_policy.cel.backend import backend_stats, use_backend
from anops_policy.evaluation.evaluate import RunSettings, evaluate_packs
from anops_policy.pipeline.run import parse_timestamp
from anops_policy.policy.packs import builtin_pack_dir, load_pack

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


BACKENDS = ("python", "native", "auto")


def run_once(backend: str, packs: list[Any], document: dict[str, Any], now: datetime) -> tuple[float, Any, Any]:
    use_backend(backend)
    start = time.perf_counter()
    decisions = evaluate_packs(packs, document, {}, RunSettings(now=now, deadline_s=600.0))
    elapsed = time.perf_counter() - start
    return elapsed, [d.to_json() for d in decisions], backend_stats()


def child(backend: str, facts: str) -> int:
    """Load ``facts``, evaluate the pack once on ``backend``, print the peak RSS (MB)."""
    packs = [load_pack(builtin_pack_dir("production-readiness"))]
    document = json.loads(Path(facts).read_text())
    run_once(backend, packs, document, parse_timestamp(document["meta"]["now"]))
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            print(int(line.split()[1]) / 1024)
    return 0


def peak_rss(backend: str, facts: Path) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--child", backend, str(facts)], check=True, capture_output=True, text=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="generated documents, TODO counts (empty: none)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--auto-buy-ms", type=float, default=None, help="override cel_native_auto.AUTO_BUY_S")
    parser.add_argument("--peak-rss", action="store_true", help="also each backend's peak RSS (child processes)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(*args.child)
    from anops_policy.cel import native_auto as cel_native_auto  # noqa: PLC0415 - auto's thresholds

    if args.auto_buy_ms is not None:
        cel_native_auto.AUTO_BUY_S = args.auto_buy_ms / 1000
    sizes = [int(s) for s in args.sizes.split(",") if s]
    packs = [load_pack(builtin_pack_dir("production-readiness"))]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, path in documents(sizes, Path(tmp)):
            document = json.loads(path.read_text())
            now = parse_timestamp(document["meta"]["now"]) if "now" in document["meta"] else datetime.now(UTC)
            times: dict[str, list[float]] = {b: [] for b in BACKENDS}
            results: dict[str, Any] = {}
            stats: dict[str, Any] = {}
            for i in range(args.repeat):
                for backend in BACKENDS[i % 3 :] + BACKENDS[: i % 3]:  # rotated: load hits each alike
                    elapsed, decisions, stats[backend] = run_once(backend, packs, document, now)
                    times[backend].append(elapsed)
                    results[backend] = decisions
            # key order too
            identical = len({json.dumps(results[b]) for b in BACKENDS}) == 1
            py, nat, auto = (statistics.median(times[b]) for b in BACKENDS)

            def split(s: dict[str, Any]) -> str:
                reasons = ", ".join(f"{k} {v}" for k, v in sorted(s["reasons"].items())) or "-"
                return f"{s['native']} / {s['python']} ({reasons})"

            rss = " | ".join(f"{peak_rss(b, path):.0f}" for b in BACKENDS) if args.peak_rss else "- | - | -"
            rows.append(
                f"| {label} | {path.stat().st_size / 1e6:.1f} MB | {len(results['native'])} | {py:.2f} s "
                f"| {nat:.2f} s | {auto:.2f} s | {py / nat:.1f}× | {py / auto:.1f}× | {rss} "
                f"| {split(stats['native'])} | {split(stats['auto'])} | {'yes' if identical else 'NO'} |"
            )
            print(rows[-1], flush=True)
    use_backend(None)
    print()
    print(
        "| facts | size | decisions | python | native | auto | python / native | python / auto "
        "| peak MB python | peak MB native | peak MB auto "
        "| native: C++ / cel-python evaluations (why) | auto: C++ / cel-python evaluations (why) "
        "| identical decisions |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\ncommand: python {' '.join(sys.argv)}")
    return 0 if all(r.endswith("| yes |") for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
