"""Load test of ``anops-policy serve``: N concurrent clients, each making M Evaluate calls on the example
repository's fact document. Prints throughput, latency percentiles, errors by status code and the
server's resident memory (main process and evaluation workers) before and after.

    python benchmarks/grpc/bench_evaluate.py --clients 64 --calls 200

Starts its own server on a free loopback port (``--max-workers`` defaults to the CPU count) unless
``--server HOST:PORT`` names a running one (memory is then not measured).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import grpc

from anops_policy.config import load_config
from anops_policy.server import policy_pb2, policy_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "anops"
SERVING = re.compile(r"serving anops\.policy\.v1 on [^ ]+:(\d+) · \d+ workers \[([\d, ]*)\]")


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the fork server and the workers it forked)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            out.append(child)
            stack.append(child)
    return out


def memory(pid: int) -> tuple[int, int]:
    """(main process RSS, sum of its descendants' RSS) in MiB."""
    return rss_kib(pid) // 1024, sum(rss_kib(p) for p in descendants(pid)) // 1024


def start_server(workers: int | None, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    args = [sys.executable, "-m", "anops_policy", "serve", "--listen", "127.0.0.1:0"]
    if workers:
        args += ["--max-workers", str(workers)]
    with log.open("wb") as sink:
        process = subprocess.Popen(args, stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        match = SERVING.search(log.read_text(errors="replace"))
        if match:
            return process, f"127.0.0.1:{match.group(1)}"
        if process.poll() is not None:
            raise SystemExit(f"serve exited with {process.returncode}:\n{log.read_text()}")
        time.sleep(0.1)
    process.kill()
    raise SystemExit("serve did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--calls", type=int, default=200, help="Evaluate calls per client")
    parser.add_argument("--workers", type=int, default=None, help="serve --max-workers (default: CPU count)")
    parser.add_argument("--server", default=None, help="use a running server instead of starting one")
    parser.add_argument("--timeout", type=float, default=600.0, help="per-call deadline in seconds")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="anops-grpc-bench-"))
    facts = tmp / "facts.json"
    subprocess.run([sys.executable, "-m", "anops_policy", "facts", str(EXAMPLE), "-o", str(facts)], check=True)
    request = policy_pb2.EvaluateRequest(
        facts_json=facts.read_bytes(),
        config_json=json.dumps(dict(load_config(EXAMPLE / "anops-policy.yaml").raw)).encode(),
    )
    process = None
    if args.server:
        target = args.server
    else:
        process, target = start_server(args.workers, tmp / "serve.log")
    pid = process.pid if process else None
    try:
        stub = policy_pb2_grpc.PolicyServiceStub(grpc.insecure_channel(target))  # type: ignore[no-untyped-call]
        for _ in range(3):  # warm-up: first-call imports and caches are not a leak
            expected = stub.Evaluate(request, timeout=args.timeout)
        before = memory(pid) if pid else None
        latencies: list[float] = []
        errors: Counter[str] = Counter()
        mismatches = 0
        differences: Counter[str] = Counter()
        peak = [0, 0]
        lock = threading.Lock()
        done = threading.Event()

        def sample() -> None:
            last = time.monotonic()
            while not done.wait(2.0):
                if pid:
                    main_mib, workers_mib = memory(pid)
                    with lock:
                        peak[0], peak[1] = max(peak[0], main_mib), max(peak[1], workers_mib)
                if time.monotonic() - last >= 60:  # progress on stderr: a long run shows where it is
                    last = time.monotonic()
                    with lock:
                        seen = sorted(latencies)
                        count, failed = len(seen), sum(errors.values())
                    if seen:
                        rate = count / (time.perf_counter() - started)
                        p50, p99 = seen[count // 2] * 1000, seen[min(count - 1, int(0.99 * count))] * 1000
                        now_mib = memory(pid) if pid else (0, 0)
                        print(f"{count} calls, {failed} errors, {rate:.2f}/s, p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
                              f"RSS now {now_mib} peak {tuple(peak)} MiB (main, workers)", file=sys.stderr, flush=True)

        def client() -> None:
            nonlocal mismatches
            own = policy_pb2_grpc.PolicyServiceStub(grpc.insecure_channel(target))  # type: ignore[no-untyped-call]
            for _ in range(args.calls):
                start = time.perf_counter()
                try:
                    answer = own.Evaluate(request, timeout=args.timeout)
                except grpc.RpcError as exc:
                    with lock:
                        errors[exc.code().name] += 1
                    continue
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    if answer.summary != expected.summary or answer.outcomes != expected.outcomes:
                        mismatches += 1
                        # say why: the decisions whose outcome differs from the first answer's
                        first = {(d["policy"], d["subject"]): d for d in json.loads(expected.report_json)["decisions"]}
                        for d in json.loads(answer.report_json)["decisions"]:
                            was = first.get((d["policy"], d["subject"]))
                            if was is None or was["outcome"] != d["outcome"]:
                                why = f"{d['policy']}: {was and was['outcome']} -> {d['outcome']}: {d['message'][:120]}"
                                differences[why] += 1

        started = time.perf_counter()
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        done.set()
        after = memory(pid) if pid else None
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            process.wait(120)

    total = args.clients * args.calls
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else float("nan")

    print(f"| clients × calls | {args.clients} × {args.calls} = {total} |")
    print("|---|---|")
    print(f"| server workers | {args.workers or os.cpu_count()} (CPU count {os.cpu_count()}) |")
    print(f"| errors | {sum(errors.values())} {dict(errors) if errors else ''} |")
    print(f"| answers differing from the first | {mismatches} |")
    print(f"| wall time | {wall:.1f} s |")
    print(f"| throughput | {len(latencies) / wall:.2f} Evaluate/s |")
    print(f"| latency p50 / p99 / max | {pct(0.50):.0f} / {pct(0.99):.0f} / {ordered[-1] * 1000:.0f} ms |")
    if ordered:
        print(f"| latency mean | {statistics.fmean(ordered) * 1000:.0f} ms |")
    if before and after:
        print(f"| server RSS before (main / workers) | {before[0]} MiB / {before[1]} MiB |")
        print(f"| server RSS after (main / workers) | {after[0]} MiB / {after[1]} MiB |")
        print(f"| server RSS peak during the run (main / workers) | {peak[0]} MiB / {peak[1]} MiB |")
    for why, count in differences.most_common(10):
        print(f"differing decision ({count}×): {why}")
    return 1 if errors or mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
