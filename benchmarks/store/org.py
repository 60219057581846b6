"""An organisation's store end to end, beside load.py's gRPC load: real ``eval --server`` processes for
many repositories against serve replicas sharing one PostgreSQL store, then the append alone under
concurrency, then what an auditor runs over the whole store (verify, the organisation's HTML report,
the Parquet export and the DuckDB query of docs/store.md).

    python benchmarks/store/org.py --replicas 4 --repos 20 --runs 3 --bulk-streams 1000 --bulk-records 30

1. ``--repos`` git repositories (the tiny pack of tests/store), each evaluated ``--runs`` times by a real
   ``anops-policy eval --server`` process (``--parallel`` at once, spread over the replicas); checks that
   every run is one record in its repository's stream.
2. ``--bulk-streams`` × ``--bulk-records`` appends of a real evaluation record (the last one of step 1,
   with a fresh decision id each time) from ``--writers`` processes through the store's append path (the
   head-row lock, the chain check, the insert): the latency of the append alone, p50/p99.
3. ``audit verify URL`` (every stream), ``audit report --log URL --html`` (every stream on one page),
   ``audit export URL --format parquet`` and the documented query over the export, each timed.

Starts its own throwaway cluster (Debian's postgresql; initdb + pg_ctl on a loopback port)."""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
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
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "store"))
from load import replica  # noqa: E402 - the same serve replica as the load benchmark
from pg_cluster import start_cluster  # noqa: E402
from store_helpers import NOW, make_repo  # noqa: E402

GIT = {"GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_COMMITTER_NAME": "Dev",
       "GIT_COMMITTER_EMAIL": "dev@example.com"}


def anops(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "anops_policy", *args], capture_output=True, text=True, cwd=cwd,
                          check=False, env={**os.environ, "NO_COLOR": "1"})


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered)) - 1))]


def repositories(tmp: Path, count: int) -> list[tuple[Path, Path]]:
    out = []
    for n in range(count):
        repo, pack = make_repo(tmp, f"repo{n:02d}", todo=n % 3 == 0)
        for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "start"]):
            subprocess.run(["git", "-C", str(repo), *args], check=True, env={**os.environ, **GIT})
        out.append((repo, pack))
    return out


def eval_runs(repos: list[tuple[Path, Path]], ports: list[int], runs: int, parallel: int) -> tuple[list[float], float]:
    jobs = [(i, repo, pack) for _run in range(runs) for i, (repo, pack) in enumerate(repos)]

    def one(job: tuple[int, Path, Path]) -> float:
        index, repo, pack = job
        started = time.perf_counter()
        done = anops("eval", str(repo), "--server", f"127.0.0.1:{ports[index % len(ports)]}", "--policies",
                     str(pack), "--now", NOW, "--stream", f"github.com/acme/repo{index:02d}", "-q")
        if done.returncode not in (0, 1):
            raise SystemExit(f"eval --server failed ({done.returncode}): {done.stderr[-2000:]}")
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        times = list(pool.map(one, jobs))
    return times, time.perf_counter() - started


def _writer(url: str, template: dict[str, Any], streams: list[str], records: int, out: Any) -> None:
    from anops_policy.audit.decision_log import new_id  # noqa: PLC0415
    from anops_policy.audit.pg_log import PgLog  # noqa: PLC0415

    latencies = []
    logs = {s: PgLog(url, s) for s in streams}
    began = time.perf_counter()
    for _round in range(records):
        for stream in streams:
            body = {**template, "decision_id": new_id("d")}
            started = time.perf_counter()
            logs[stream].append(lambda _tail, body=body: body)
            latencies.append(time.perf_counter() - started)
    out.put((latencies, time.perf_counter() - began))


def bulk_appends(url: str, template: dict[str, Any], streams: int, records: int,
                 writers: int) -> tuple[list[float], float]:
    names = [f"bench/org{s:04d}" for s in range(streams)]
    # spawned, not forked: a forked writer would share this process's cached database connection
    context = multiprocessing.get_context("spawn")
    queue: Any = context.Queue()
    # each writer owns a share of the streams and appends round-robin over them; writers contend on the
    # database (and on the cores), not on one stream's head row (load.py measures contention per stream)
    procs = [context.Process(target=_writer, args=(url, template, names[w::writers], records, queue))
             for w in range(writers)]
    for proc in procs:
        proc.start()
    latencies: list[float] = []
    busiest = 0.0  # the writers' own time, from their first append to their last (not the interpreter start)
    for _ in procs:
        theirs, seconds = queue.get()
        latencies += theirs
        busiest = max(busiest, seconds)
    for proc in procs:
        proc.join()
    return latencies, busiest


def timed(*args: str, cwd: Path | None = None) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.perf_counter()
    done = anops(*args, cwd=cwd)
    return done, time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replicas", type=int, default=4)
    ap.add_argument("--repos", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--parallel", type=int, default=4, help="eval --server processes at once")
    ap.add_argument("--bulk-streams", type=int, default=1000)
    ap.add_argument("--bulk-records", type=int, default=30)
    ap.add_argument("--writers", type=int, default=4, help="appending processes")
    ap.add_argument("--keep", type=Path, default=None, help="copy the report and export here")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="anops-store-org-"))
    cluster = start_cluster()
    url = cluster.url()
    procs: list[tuple[subprocess.Popen[bytes], int]] = []
    try:
        repos = repositories(tmp, args.repos)
        procs = [replica(tmp, repos[0][1], url, 1) for _ in range(args.replicas)]
        times, wall = eval_runs(repos, [port for _p, port in procs], args.runs, args.parallel)
        listing = json.loads(anops("audit", "streams", url, "--format", "json").stdout)
        per_stream = {row["stream"]: row["records"] for row in listing}
        runs_ok = per_stream == {f"github.com/acme/repo{i:02d}": args.runs for i in range(args.repos)}
        for proc, _port in procs:
            proc.send_signal(signal.SIGTERM)
        for proc, _port in procs:
            proc.wait(60)
        procs = []

        from anops_policy.audit.pg_log import PgLog  # noqa: PLC0415

        last = PgLog(url, "github.com/acme/repo01").events()[-1]
        template = {k: v for k, v in last.items() if k not in ("seq", "prev_hash", "hash", "time", "signature")}
        appends, append_wall = bulk_appends(url, template, args.bulk_streams, args.bulk_records, args.writers)
        records = args.repos * args.runs + args.bulk_streams * args.bulk_records

        verify, verify_s = timed("audit", "verify", url)
        page = tmp / "org.html"
        report, report_s = timed("audit", "report", "--log", url, "--html", str(page))
        export, export_s = timed("audit", "export", url, "--format", "parquet", "-o", str(tmp / "decisions.parquet"))
        doc = (ROOT / "docs" / "store.md").read_text(encoding="utf-8").split("## Analysis", 1)[1]
        query = re.search(r"```sql\n(.*?)```", doc, re.S)
        import duckdb  # noqa: PLC0415

        started = time.perf_counter()
        os.chdir(tmp)
        with duckdb.connect() as db:
            answer = db.execute(query.group(1) if query else "SELECT 1").fetchall()
        query_s = time.perf_counter() - started
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(page, args.keep / "org.html")
        print(f"| `eval --server` processes | {args.repos} repositories × {args.runs} runs = {len(times)}, "
              f"{args.parallel} at once over {args.replicas} replicas |")
        print(f"| one `eval --server` run (process start to exit) p50 / p99 | {statistics.median(times):.2f} s / "
              f"{pct(times, 0.99):.2f} s ({wall:.1f} s for all) |")
        print(f"| every run one record in its repository's stream | {runs_ok} |")
        print(f"| appends alone ({args.writers} processes, {len(appends):,} records over {args.bulk_streams:,} "
              f"streams) p50 / p99 | {statistics.median(appends) * 1000:.1f} ms / {pct(appends, 0.99) * 1000:.1f} ms "
              f"({len(appends) / append_wall:.0f} appends/s) |")
        print(f"| `audit verify URL` ({records:,} records) | exit {verify.returncode}, {verify_s:.1f} s: "
              f"{verify.stdout.strip().splitlines()[-1]} |")
        print(f"| `audit report --log URL --html` (every stream on one page) | exit {report.returncode}, "
              f"{report_s:.1f} s, {page.stat().st_size / 1e6:.1f} MB: {report.stdout.strip()[-80:]} |")
        print(f"| `audit export URL --format parquet` | exit {export.returncode}, {export_s:.1f} s, "
              f"{(tmp / 'decisions.parquet').stat().st_size / 1e6:.1f} MB |")
        print(f"| the DuckDB query of docs/store.md over the export | {query_s:.2f} s, {len(answer)} rows |")
    finally:
        for proc, _port in procs:
            proc.kill()
        cluster.stop("immediate")
        shutil.rmtree(cluster.folder, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
