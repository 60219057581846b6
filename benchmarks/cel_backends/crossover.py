"""Where the C++ runtime starts to pay, per expression: the measurements behind ``auto``'s thresholds
(``cel_native_auto.AUTO_BUY_S``).

1. A scan (``facts.items.all(...)``/``filter``, the shape of a policy over a fact list) of N elements, evaluated
   once from a fresh backend: cel-python against C++ including compiling the expression and converting the
   list (what a one-off evaluation costs).
2. A small look-up evaluated K times (a per-subject rule): cel-python K times against one C++ compile plus K
   evaluations.

Each cell is the median of ``--repeat`` runs, the backends alternating, through ``cel.evaluate`` (the
engine's seam: conversions of inputs and results included).

    python benchmarks/cel_backends/crossover.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any

from anops_policy.cel import evaluator as cel
from anops_policy.cel.backend import use_backend
from anops_policy.cel.values import timestamp, to_cel, to_cel_lazy

NOW = timestamp(datetime(2026, 11, 26, tzinfo=UTC))
SCAN = "facts.items.filter(t, !has(t.owner) && t.path.startsWith('src/')).map(t, t.path + ':' + string(t.line))"
LOOKUP = "subject in facts.by_path ? facts.by_path[subject].count > params.max : false"


def items(n: int) -> list[dict[str, Any]]:
    return [{"path": f"src/m{i % 97}/f{i}.py", "line": i, "tag": "TODO", "text": "fix"} for i in range(n)]


def timed(backend: str, source: str, facts: dict[str, Any], subjects: list[str]) -> float:
    use_backend(backend)  # a fresh backend: nothing compiled yet
    tree = cel.compile_expr(source).tree
    base = {"facts": to_cel_lazy(facts), "params": to_cel({"max": 0}), "now": NOW}
    start = time.perf_counter()
    for subject in subjects:
        cel.evaluate(tree, {**base, "subject": to_cel(subject)})
    return time.perf_counter() - start


def cell(source: str, facts: dict[str, Any], subjects: list[str], repeat: int) -> str:
    times: dict[str, list[float]] = {"python": [], "native": []}
    for i in range(repeat):
        for backend in ("python", "native") if i % 2 == 0 else ("native", "python"):
            times[backend].append(timed(backend, source, facts, subjects))
    py, nat = statistics.median(times["python"]), statistics.median(times["native"])
    return f"{py * 1000:.2f} ms | {nat * 1000:.2f} ms | {py / nat:.2f}×"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print("| scan of N elements, once | cel-python | C++ (compile + convert + evaluate) | speed-up |")
    print("|---:|---:|---:|---:|")
    for n in (1, 10, 25, 50, 100, 500, 2000):
        print(f"| {n:,} | {cell(SCAN, {'items': items(n)}, ['x'], args.repeat)} |", flush=True)
    print()
    print("| look-up evaluated K times | cel-python | C++ (compile + K evaluations) | speed-up |")
    print("|---:|---:|---:|---:|")
    by_path = {f"src/f{i}.py": {"count": i % 3} for i in range(100)}
    for k in (1, 2, 5, 10, 20, 50, 200):
        subjects = [f"src/f{i % 120}.py" for i in range(k)]
        print(f"| {k:,} | {cell(LOOKUP, {'by_path': by_path}, subjects, args.repeat)} |", flush=True)
    use_backend(None)
    print(f"\ncommand: python {' '.join(sys.argv)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
