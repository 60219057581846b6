"""Several ``serve`` replicas sharing one PostgreSQL decision store under a gRPC load client with a
pre-collected fact document: append latency (p50/p99 of Evaluate calls that record), retries under the
same request_id, then full verification and the auditor's stream listing over the whole store.

    python benchmarks/store/load.py --replicas 4 --streams 1000 --calls 30 --retry-every 7

Starts its own throwaway cluster (Debian's postgresql; initdb + pg_ctl on a loopback port) and checks,
after the load: every call answered OK has exactly one record, every stream verifies."""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "store"))
from pg_cluster import start_cluster  # noqa: E402
from store_helpers import NOW, make_repo  # noqa: E402

from anops_policy.server import policy_pb2, policy_pb2_grpc  # noqa: E402
from anops_policy.store.postgres import PgStore  # noqa: E402

SERVING = re.compile(r"serving anops\.policy\.v1 on [^ ]+:(\d+)")


def replica(tmp: Path, pack: Path, url: str, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    log = tmp / f"serve-{time.monotonic_ns()}.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "anops_policy", "serve", "--listen", "127.0.0.1:0",
                                 "--policies", str(pack), "--max-workers", str(workers), "--decision-log", url],
                                stdout=sink, stderr=subprocess.STDOUT)
    while True:
        found = SERVING.search(log.read_text(errors="replace"))
        if found:
            return proc, int(found.group(1))
        if proc.poll() is not None:
            raise SystemExit(log.read_text())
        time.sleep(0.1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replicas", type=int, default=4)
    ap.add_argument("--workers", type=int, default=1, help="worker processes per replica")
    ap.add_argument("--streams", type=int, default=100)
    ap.add_argument("--calls", type=int, default=10)
    ap.add_argument("--retry-every", type=int, default=7, help="send every Nth call twice (same request_id)")
    ap.add_argument("--threads", type=int, default=16)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="anops-store-bench-"))
    cluster = start_cluster()
    url = cluster.url()
    repo, pack = make_repo(tmp)
    facts_file = tmp / "facts.json"
    subprocess.run([sys.executable, "-m", "anops_policy", "facts", str(repo), "--now", NOW, "-o", str(facts_file)],
                   check=True)
    facts = facts_file.read_bytes()
    procs = [replica(tmp, pack, url, args.workers) for _ in range(args.replicas)]
    stubs = [policy_pb2_grpc.PolicyServiceStub(grpc.insecure_channel(f"127.0.0.1:{port}")) for _p, port in procs]
    calls = [(f"bench/repo{s:04d}", f"r-{s}-{c}") for c in range(args.calls) for s in range(args.streams)]
    calls += [call for i, call in enumerate(calls) if args.retry_every and i % args.retry_every == 0]

    def one(item: tuple[int, tuple[str, str]]) -> tuple[str, str, float, tuple[str, str]]:
        index, (stream, request_id) = item
        started = time.perf_counter()
        try:
            answer = stubs[index % len(stubs)].Evaluate(policy_pb2.EvaluateRequest(
                facts_json=facts, now=NOW, stream=stream, request_id=request_id), timeout=300)
            return "OK", answer.decision_id, time.perf_counter() - started, (stream, request_id)
        except grpc.RpcError as exc:
            return exc.code().name, "", time.perf_counter() - started, (stream, request_id)

    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            answers = list(pool.map(one, enumerate(calls)))
        wall = time.perf_counter() - started
        latencies = sorted(a[2] for a in answers if a[0] == "OK")
        ok_requests = {a[3] for a in answers if a[0] == "OK"}
        ids: dict[tuple[str, str], set[str]] = {}
        for status, decision, _t, call in answers:
            if status == "OK":
                ids.setdefault(call, set()).add(decision)
        store = PgStore(url)
        records = {s.stream: s.records for s in store.streams()}
        expected: dict[str, int] = {}
        for stream, _r in ok_requests:
            expected[stream] = expected.get(stream, 0) + 1
        t0 = time.perf_counter()
        verify = subprocess.run([sys.executable, "-m", "anops_policy", "audit", "verify", url], capture_output=True,
                                text=True, check=False)
        verify_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        listing = subprocess.run([sys.executable, "-m", "anops_policy", "audit", "streams", url, "--no-verify"],
                                 capture_output=True, text=True, check=False)
        streams_s = time.perf_counter() - t0
        print(f"| replicas × workers | {args.replicas} × {args.workers} |")
        print(f"| calls sent (retries) | {len(calls)} ({len(calls) - args.streams * args.calls}) |")
        print(f"| answered OK / other | {len(latencies)} / {len(answers) - len(latencies)} |")
        print(f"| throughput | {len(answers) / wall:.1f} calls/s over {wall:.1f} s |")
        print(f"| Evaluate latency p50 / p99 | {statistics.median(latencies) * 1000:.0f} ms / "
              f"{latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms |")
        print(f"| records == OK request ids, per stream | {records == expected} ({sum(records.values())} records) |")
        print(f"| one decision id per request id | {all(len(v) == 1 for v in ids.values())} |")
        print(f"| audit verify (every stream) | exit {verify.returncode}, {verify_s:.1f} s: "
              f"{verify.stdout.strip().splitlines()[-1]} |")
        print(f"| audit streams --no-verify | exit {listing.returncode}, {streams_s:.1f} s |")
    finally:
        for proc, _port in procs:
            proc.send_signal(signal.SIGTERM)
        for proc, _port in procs:
            proc.wait(60)
        cluster.stop("immediate")
        shutil.rmtree(cluster.folder, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
