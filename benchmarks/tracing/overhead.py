"""What tracing costs an ``eval`` of the example: off (nothing configured), on (spans and metrics to an
in-memory exporter, and to a --trace-file), the off-path hooks alone against a loop without them, and the
one-off import of the OpenTelemetry SDK and OTLP exporter that only a traced run pays.

    python benchmarks/tracing/overhead.py --rounds 15

Each round runs every variant once, in rotating order, in this process (so machine noise hits all
variants alike); the table gives medians and ratios to "off".
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from anops_policy.evaluation.telemetry import record_decisions
from anops_policy.facts import parse_now
from anops_policy.pipeline.run import EvalRequest, run_eval
from anops_policy.telemetry import tracing

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "anops"
NOW = parse_now("2026-11-26T10:00:00Z")


def one_eval() -> int:
    report, *_ = run_eval(EvalRequest(path=EXAMPLE, now=NOW))
    return len(report.decisions)


def hook_sites() -> int:
    """Hook calls per eval: the run, each collector that ran, each policy."""
    spans = InMemorySpanExporter()
    tracing.configure(span_exporter=spans)
    one_eval()
    tracing.shutdown()
    return len(spans.get_finished_spans())


def variant_off() -> float:
    tracing.shutdown()
    start = time.perf_counter()
    one_eval()
    return time.perf_counter() - start


def variant_memory() -> float:
    start = time.perf_counter()
    tracing.configure(span_exporter=InMemorySpanExporter(), metric_reader=InMemoryMetricReader())
    one_eval()
    tracing.shutdown()
    return time.perf_counter() - start


def variant_trace_file(folder: Path) -> Callable[[], float]:
    def run() -> float:
        start = time.perf_counter()
        tracing.configure(trace_file=folder / "spans.jsonl")
        one_eval()
        tracing.shutdown()
        return time.perf_counter() - start

    return run


def hook_cost(calls: int) -> tuple[float, float]:
    """ns per collector/policy hook while off, and per iteration of the same loop without hooks."""
    tracing.shutdown()
    decisions: list[object] = []
    start = time.perf_counter()
    for _ in range(calls):
        with tracing.span("anops.policy x") as span:
            record_decisions(span, "x", "p", decisions)  # type: ignore[arg-type]
    hooked = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(calls):
        pass
    bare = time.perf_counter() - start
    return hooked / calls * 1e9, bare / calls * 1e9


def import_cost() -> float:
    code = (
        "import time; t = time.perf_counter(); "
        "import opentelemetry.sdk.trace, opentelemetry.sdk.metrics, "
        "opentelemetry.exporter.otlp.proto.grpc.trace_exporter, "
        "opentelemetry.exporter.otlp.proto.grpc.metric_exporter; "
        "print(time.perf_counter() - t)"
    )
    runs = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(5)
    ]
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    decisions = one_eval()  # warm caches (compiled policies, imports) before timing anything
    variant_memory()
    with tempfile.TemporaryDirectory() as tmp:
        variants: dict[str, Callable[[], float]] = {
            "off (nothing configured)": variant_off,
            "on: in-memory exporter + metrics": variant_memory,
            "on: --trace-file": variant_trace_file(Path(tmp)),
        }
        times: dict[str, list[float]] = {name: [] for name in variants}
        names = list(variants)
        for round_ in range(args.rounds):
            for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
                times[name].append(variants[name]())
    base = statistics.median(times[names[0]])
    print(f"eval of {EXAMPLE.relative_to(ROOT)} ({decisions} decisions), {args.rounds} rounds, medians:")
    print("| variant | median ms | ratio to off |")
    print("|---|---:|---:|")
    for name in names:
        median = statistics.median(times[name])
        print(f"| {name} | {median * 1000:.1f} | {median / base:.3f} |")
    hooked, bare = hook_cost(200_000)
    sites = hook_sites()
    print(f"\noff-path hook (span + record_decisions): {hooked:.0f} ns per call, empty loop {bare:.0f} ns")
    print(
        f"{sites} hook sites per eval: {sites * (hooked - bare) / 1000:.1f} µs per eval while off "
        f"({sites * (hooked - bare) / 1e9 / base:.5%} of the off median) — the cost of a build without hooks"
    )
    print(f"one-off import of the OpenTelemetry SDK + OTLP/gRPC exporters: {import_cost() * 1000:.0f} ms")


if __name__ == "__main__":
    main()
