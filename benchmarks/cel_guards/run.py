"""Error blow-up in ``all()``: the guarded engine (anops_policy.cel.evaluator) against cel-python's own
``logical_and`` (the unguarded original), side by side in one run.

Each measurement runs in a fresh subprocess (peak RSS is per process). Usage:
    python benchmarks/cel_guards/run.py [--sizes 10,14,18,20] [--big 10000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

CHILD = r"""
import json, resource, sys, time
mode, n = sys.argv[1], int(sys.argv[2])
from anops_policy.cel import evaluator as cel
from anops_policy.cel.celpy_patches import ORIGINAL_AND, ORIGINAL_OR
from anops_policy.cel.values import to_cel
if mode == "unguarded":
    import celpy.celtypes as ct, celpy.evaluation as ev
    ct.logical_and, ct.logical_or = ORIGINAL_AND, ORIGINAL_OR
    ev.base_functions["_&&_"], ev.base_functions["_||_"] = ORIGINAL_AND, ORIGINAL_OR
tree = cel.compile_expr('facts.items.all(t, t.owner != "")').tree
facts = to_cel({"items": [{"path": "a.py", "line": i} for i in range(n)]})
start = time.perf_counter()
try:
    cel.evaluate(tree, {"facts": facts})
    length = 0
except cel.CelRuntimeError as exc:
    length = len(str(exc))
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"mode": mode, "n": n, "seconds": seconds, "peak_mb": peak, "message_chars": length}))
"""


def measure(mode: str, n: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(n)], capture_output=True, text=True, timeout=600,
                         check=True)
    result: dict[str, float] = json.loads(out.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10,14,18,20")
    parser.add_argument("--big", type=int, default=10_000)
    args = parser.parse_args()
    print("| elements | unguarded s | unguarded MB | guarded s | guarded MB | time ratio |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in [int(s) for s in args.sizes.split(",")]:
        bad, good = measure("unguarded", n), measure("guarded", n)
        ratio = bad["seconds"] / good["seconds"] if good["seconds"] else float("inf")
        print(f"| {n} | {bad['seconds']:.3f} | {bad['peak_mb']:.0f} | {good['seconds']:.3f} | {good['peak_mb']:.0f} "
              f"| {ratio:.0f}× |")
    big = measure("guarded", args.big)
    print(f"| {args.big} | (not run: exponential) | | {big['seconds']:.2f} | {big['peak_mb']:.0f} | |")
    print(f"\nself rusage children max RSS: {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB;"
          f" finished {time.strftime('%Y-%m-%d %H:%M:%S')}")


if __name__ == "__main__":
    main()
