"""The worker side of parallel collection (``collect_parallel``): a forked process that runs the
collectors its parent sends, one at a time, and reports each run back over its pipe.

A worker inherits everything it needs at fork (``WorkerSetup``: nothing is pickled on the way in but
the sections and memo entries sent with each collector), never touches the terminal (files read are
counted and reported), never exports telemetry (the parent records each run's span from the reported
start and end), ignores Ctrl-C (the parent stops it) and dies with its parent (Linux
``PR_SET_PDEATHSIG``). A failure outside any collector is reported before the process exits, never as a
traceback.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from anops_policy.collection.collector import CollectContext, Collector, CollectorRun
from anops_policy.collection.counting import CountingRepo
from anops_policy.collection.log_reader import DecisionLogReader
from anops_policy.collection.repo import Repo, Skip
from anops_policy.config import RepoConfig
from anops_policy.telemetry import tracing

if TYPE_CHECKING:  # a worker is forked with its end of the pipe; the parent imports multiprocessing then
    from multiprocessing.connection import Connection

READS_REPORT_INTERVAL_S = 0.1  # how often a worker tells the parent how many files it read


@dataclass(frozen=True)
class Finished:
    """One collector's run as a worker reports it."""

    run: CollectorRun
    reads: int
    start_ns: int  # wall clock (time.time_ns) so that spans line up across processes
    end_ns: int
    listing_skips: tuple[Skip, ...] = ()  # file names the worker's listing skipped (gitignored results globs)
    memo_out: dict[str, dict[Any, Any]] = field(default_factory=dict)  # new entries of shipped memo keys


RunOne = Callable[[Collector, CollectContext], CollectorRun]


class _ReadCounter:
    """Counts files read in a worker and reports the count to the parent at most every interval."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pending = 0
        self.last = time.monotonic()

    def __call__(self, _path: str) -> None:
        self.pending += 1
        now = time.monotonic()
        if now - self.last >= READS_REPORT_INTERVAL_S:
            self.flush(now)

    def flush(self, now: float | None = None) -> None:
        if self.pending:
            self.conn.send(("reads", self.pending))
            self.pending = 0
        self.last = time.monotonic() if now is None else now


def die_with_parent(parent: int) -> None:
    """Linux: the kernel kills this worker when the parent dies (SIGKILL, a CI timeout), so no orphan
    keeps parsing a repository nobody waits for. Elsewhere the broken pipe ends it after its collector."""
    try:
        import ctypes  # noqa: PLC0415 - only in workers

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(0)


@dataclass(frozen=True)
class WorkerSetup:
    """What every worker inherits from the parent at fork (nothing here is pickled)."""

    collectors: Mapping[str, Collector]
    repo: Repo
    config: RepoConfig
    now: Any
    run_one: RunOne
    shipped: frozenset[str]  # memo keys whose entries travel between workers
    log_reader: DecisionLogReader | None = None


def worker_main(conn: Connection, setup: WorkerSetup, parent: int) -> None:
    # SIGINT arrives blocked (the parent forks with it blocked): ignore it before unblocking, so that
    # Ctrl-C never interrupts a worker half-way into its loop; the parent handles it and stops workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    tracing.forked_worker()
    die_with_parent(parent)
    try:
        _serve(conn, setup)
    except (EOFError, OSError):  # the parent is gone or stopped listening: nothing left to report to
        pass
    except BaseException as exc:  # a failure outside any collector: tell the parent, never print a traceback
        with contextlib.suppress(Exception):
            conn.send(("crash", f"{type(exc).__name__}: {exc}"))
        os._exit(70)


def _serve(conn: Connection, setup: WorkerSetup) -> None:
    repo, shipped = setup.repo, setup.shipped
    counter = _ReadCounter(conn)
    known: dict[str, set[Any]] = {key: set() for key in shipped}  # entries the parent has or gave us
    if isinstance(repo, CountingRepo):
        repo.report_reads_to(counter)  # the parent's progress callback writes to its terminal, not ours
    memo: dict[str, Any] = {}
    produced: dict[str, Any] = {}  # sections this worker made: kept, so the parent never sends them back
    while True:
        message = conn.recv()
        if message is None:
            return
        name, sent, local, memo_in = message
        for key, entries in memo_in.items():
            mine = memo.setdefault(key, {})
            for entry, value in entries.items():
                mine.setdefault(entry, value)
            known[key].update(entries)
        facts = dict(sent)
        facts.update((dep, produced[dep]) for dep in local if dep in produced)
        ctx = CollectContext(
            repo=repo, config=setup.config, now=setup.now, facts=facts, memo=memo, log_reader=setup.log_reader
        )
        start = time.time_ns()
        run = setup.run_one(setup.collectors[name], ctx)
        end = time.time_ns()
        counter.flush()
        if run.status == "ok" and run.section is not None:
            produced[name] = run.section
        skipped = tuple(repo.listing_skips)
        memo_out = {}
        for key in shipped:
            fresh = {entry: value for entry, value in memo.get(key, {}).items() if entry not in known[key]}
            if fresh:
                memo_out[key] = fresh
                known[key].update(fresh)
        try:
            conn.send(("done", Finished(run, ctx.reads, start, end, skipped, memo_out)))
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as exc:
            # a section that cannot be pickled: reported like any collector bug
            failed = CollectorRun(
                run.name,
                run.version,
                "error",
                run.duration_ms,
                f"internal error in collector {name}: its facts could not be passed on ({type(exc).__name__}: {exc})",
                run.skipped,
                None,
            )
            produced.pop(name, None)
            conn.send(("done", Finished(failed, ctx.reads, start, end, skipped)))  # memo entries stay here
        if memo:
            # kept syntax trees and scans live to the end: out of the cyclic collector's generations
            gc.freeze()
