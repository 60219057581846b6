"""Run a collection's collectors in forked worker processes, one per core.

The heavy collectors parse source files in pure Python (``ast`` for Python, a lexer for Rust): threads
cannot run them side by side (the GIL), processes can. The scheduler here keeps the sequential run's
contract exactly:

* a collector starts once every collector it ``depends_on`` has finished, and sees exactly those
  sections in ``ctx.facts``; its run (status, section, skips, duration) is the one it would have in
  process, so the assembled fact document does not depend on ``--jobs``;
* collectors that share work through ``CollectContext.memo`` (the Python module summaries of the python,
  grpc and logging collectors) form a *group* that is pinned to one worker, so each file is still
  parsed once; the most expensive ready collectors start first;
* a worker that dies (killed, out of memory) costs only the collector it was running, which becomes an
  ``error`` naming the exit; the others go on in a new worker (an idle worker's death costs nothing but
  its group's shared work, which the next worker redoes);
* workers ignore Ctrl-C (the parent stops them) and never touch the terminal: files read are reported
  back as counts for the progress line, start and end times for the collector's span.

Workers are forked after the repository is listed, so they share the listing (copy-on-write) and the
loaded code; nothing is pickled on the way in but the dependency sections a worker did not produce
itself, and file names a worker's listing skipped come back with each run. Only on Linux (``fork`` is
unsafe on macOS, and a worker relies on ``PR_SET_PDEATHSIG``); elsewhere the caller collects in process.

Work shared between collectors in different workers travels as data: the rust collector runs beside the
python one, and the checks it leaves for each Rust test file (``Placement.memo_in``) are shipped to the
grpc collector's worker, which waits for the rust collector (``Placement.after``) instead of scanning
those files again.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anops_policy.collection.collector import Collector, CollectorRun
from anops_policy.collection.log_reader import DecisionLogReader
from anops_policy.collection.repo import Repo
from anops_policy.collection.worker import Finished, RunOne, WorkerSetup, worker_main
from anops_policy.config import RepoConfig

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

MAX_JOBS = 4  # the built-in collectors form ~3 independent chains; more workers only cost memory
SMALL_REPO_FILES = 300  # below this many listed files collection takes well under a second: stay in process


@dataclass(frozen=True)
class Placement:
    """How the scheduler places one collector: ``group`` names the memo it shares (same group, same
    worker), ``cost`` orders the first picks (higher starts earlier; relative, default 1). ``memo_in``
    names memo entries (dicts of picklable values) the collector reuses when another collector made them
    first, in any worker: they are shipped to it; ``after`` names collectors it waits for (without
    reading their sections) so that those entries exist. Neither changes what it finds, only its time."""

    group: str | None = None
    cost: int = 1
    memo_in: tuple[str, ...] = ()
    after: tuple[str, ...] = ()


OnStart = Callable[[Sequence[str], int], None]  # names running now, collectors finished
OnReads = Callable[[int], None]


def available() -> bool:
    """Workers can be forked: Linux, and no native threads in this process. A thread Python does not
    know of (a Go runtime, gRPC's core, a C++ pool) may hold a lock at the fork that nothing in the
    child ever releases: the worker would hang in its first call into that library. Python's own
    threads are fine (the interpreter, logging and OpenTelemetry re-initialise their locks at fork)."""
    import multiprocessing  # noqa: PLC0415 - start-up: a small repository is collected in process

    if not sys.platform.startswith("linux") or "fork" not in multiprocessing.get_all_start_methods():
        return False
    return native_threads() == 0


def native_threads() -> int:
    """Threads of this process that Python did not start (0 when /proc cannot tell)."""
    try:
        os_threads = sum(1 for _ in Path(f"/proc/{os.getpid()}/task").iterdir())
    except OSError:
        return 0
    return max(0, os_threads - threading.active_count())


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def resolve_jobs(requested: int | None, file_count: Callable[[], int], collectors: int) -> int:
    """Workers to use: ``requested`` when given (>= 1; 1 = in process; 0 or None = decide), else one per
    usable core up to MAX_JOBS, but 1 for small repositories (forking costs more than it saves there),
    for a single collector, or off Linux. ``file_count`` lists the repository only when it matters."""
    if collectors < 2 or requested == 1:
        return 1
    decide = requested is None or requested < 1
    if (decide and file_count() < SMALL_REPO_FILES) or not available():
        return 1
    if not decide:
        return min(requested or 1, collectors)
    return max(1, min(usable_cores(), MAX_JOBS, collectors))


# ---- parent side ----------------------------------------------------------------------------------


@dataclass
class _Worker:
    process: Any  # multiprocessing.Process (typed loosely: the fork context's class)
    conn: Connection
    groups: set[str] = field(default_factory=set)
    produced: set[str] = field(default_factory=set)
    memo_seen: dict[str, set[Any]] = field(default_factory=dict)  # shipped memo entries it has
    running: str | None = None
    crash: str | None = None  # what a worker said before it exited abnormally


class ParallelCollection:
    """One collection's schedule over ``jobs`` workers. ``run()`` returns every collector's run, in
    ``ordered``'s order."""

    def __init__(
        self,
        ordered: Sequence[Collector],
        *,
        repo: Repo,
        config: RepoConfig,
        now: Any,
        jobs: int,
        run_one: RunOne,
        placement: Callable[[str], Placement],
        on_start: OnStart | None = None,
        on_reads: OnReads | None = None,
        on_finish: Callable[[Collector, Finished], CollectorRun] | None = None,
        log_reader: DecisionLogReader | None = None,
    ) -> None:
        self.ordered = list(ordered)
        self.by_name = {c.name: c for c in self.ordered}
        self.position = {c.name: i for i, c in enumerate(self.ordered)}
        self.repo, self.config, self.now = repo, config, now
        self.jobs = jobs
        self.run_one = run_one
        self.placement = placement
        self.log_reader = log_reader
        self.on_start = on_start
        self.on_reads = on_reads
        self.on_finish = on_finish
        import multiprocessing  # noqa: PLC0415

        self.context = multiprocessing.get_context("fork")
        self.workers: list[_Worker] = []
        self.pinned: dict[str, _Worker] = {}  # group -> the worker holding its memo
        self.waiting = [c.name for c in self.ordered]
        self.freeze = gc.get_freeze_count() == 0  # never undo someone else's gc.freeze()
        self.shipped = frozenset(key for c in self.ordered for key in self.placement(c.name).memo_in)
        self.shared_memo: dict[str, dict[Any, Any]] = {key: {} for key in self.shipped}
        self.runs: dict[str, CollectorRun] = {}
        self.sections: dict[str, Any] = {}

    # -- scheduling ---------------------------------------------------------------------------------
    def _ready(self, name: str) -> bool:
        waits = (*self.by_name[name].depends_on, *self.placement(name).after)
        return all(dep in self.runs for dep in waits if dep in self.by_name)

    def _pick(self, worker: _Worker | None) -> str | None:
        """The ready collector ``worker`` (None: a new worker) should run next: its own groups' first,
        then the costliest whose group is not pinned; never one whose group is pinned to another."""
        best: tuple[int, int, int] | None = None
        chosen = None
        for index, name in enumerate(self.waiting):
            if not self._ready(name):
                continue
            place = self.placement(name)
            owner = self.pinned.get(place.group) if place.group else None
            if owner is not None and owner is not worker:
                continue
            rank = (0 if owner is not None else 1, -place.cost, index)
            if best is None or rank < best:
                best, chosen = rank, name
        return chosen

    def _spawn(self) -> _Worker:
        parent, child = self.context.Pipe(duplex=True)
        setup = WorkerSetup(
            self.by_name, self.repo, self.config, self.now, self.run_one, self.shipped, self.log_reader
        )
        process = self.context.Process(
            target=worker_main,
            args=(child, setup, os.getpid()),
            name="anops-policy collector",
            daemon=True,
        )
        worker = _Worker(process, parent)
        self.workers.append(worker)  # before it exists: an interrupt from here on still stops it
        if self.freeze and gc.get_freeze_count() == 0:
            gc.freeze()  # the parent's objects stay out of the worker's collections: fewer pages copied
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            process.start()
        except BaseException:
            self.workers.remove(worker)
            parent.close()
            raise
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            child.close()
        return worker

    def _dispatch(self) -> None:
        """Give every idle worker its next collector, then start new workers while there are free
        slots and ready collectors no worker holds."""
        started = True
        while started:
            started = False
            for worker in [w for w in self.workers if w.running is None]:
                name = self._pick(worker)
                if name is not None:
                    self._send(worker, name)
                    started = True
            if len(self.workers) < self.jobs:
                name = self._pick(None)
                if name is not None:
                    self._send(self._spawn(), name)
                    started = True

    def _send(self, worker: _Worker, name: str) -> None:
        collector = self.by_name[name]
        deps = [d for d in collector.depends_on if d in self.sections]
        sent = {d: self.sections[d] for d in deps if d not in worker.produced}
        local = [d for d in deps if d in worker.produced]
        memo_in: dict[str, dict[Any, Any]] = {}
        for key in self.placement(name).memo_in:
            seen = worker.memo_seen.setdefault(key, set())
            fresh = {entry: value for entry, value in self.shared_memo[key].items() if entry not in seen}
            if fresh:
                memo_in[key] = fresh
                seen.update(fresh)
        group = self.placement(name).group
        if group:
            self.pinned.setdefault(group, worker)
            worker.groups.add(group)
        self.waiting.remove(name)
        worker.running = name
        try:
            if not worker.process.is_alive():
                raise BrokenPipeError
            worker.conn.send((name, sent, local, memo_in))
        except OSError:  # the worker died while idle: the collector goes back to the queue
            worker.running = None
            self.waiting.append(name)
            self.waiting.sort(key=self.position.__getitem__)
            self._lost(worker)
            return
        self._progress()

    def _progress(self) -> None:
        if self.on_start is not None:
            self.on_start([w.running for w in self.workers if w.running], len(self.runs))

    # -- results ------------------------------------------------------------------------------------
    def _finish(self, name: str, worker: _Worker | None, finished: Finished) -> None:
        for skip in finished.listing_skips:
            if skip not in self.repo.listing_skips:
                self.repo.listing_skips.append(skip)
        for key, entries in finished.memo_out.items():
            for entry, value in entries.items():
                self.shared_memo[key].setdefault(entry, value)
            if worker is not None:
                worker.memo_seen.setdefault(key, set()).update(entries)
        run = finished.run
        if self.on_finish is not None:
            run = self.on_finish(self.by_name[name], finished)
        self.runs[name] = run
        if run.status == "ok" and run.section is not None:
            self.sections[name] = run.section
            if worker is not None:
                worker.produced.add(name)
        self._progress()

    def _lost(self, worker: _Worker) -> None:
        """The worker died: its running collector is an error, its groups are free for another worker."""
        worker.process.join(timeout=5)
        code = worker.process.exitcode
        self.workers.remove(worker)
        worker.conn.close()
        for group in worker.groups:
            if self.pinned.get(group) is worker:
                del self.pinned[group]
        name, worker.running = worker.running, None
        if name is None:
            return
        if code is not None and code < 0:
            how = f"was killed by signal {-code} (out of memory? --jobs 1 collects in one process)"
        else:
            how = f"exited with code {code}" + (f" ({worker.crash})" if worker.crash else "")
        run = CollectorRun(
            name,
            self.by_name[name].version,
            "error",
            0,
            f"internal error in collector {name}: the worker process running it {how}",
            (),
            None,
        )
        now = time.time_ns()
        self._finish(name, None, Finished(run, 0, now, now))

    def run(self) -> list[CollectorRun]:
        from multiprocessing.connection import wait as connection_wait  # noqa: PLC0415 - start-up

        try:
            while self.waiting or any(w.running for w in self.workers):
                self._dispatch()
                busy = [w for w in self.workers if w.running is not None]
                if not busy:
                    if any(self._ready(n) for n in self.waiting):
                        continue  # a worker died while idle: dispatch again
                    raise RuntimeError("collector schedule stalled: " + ", ".join(self.waiting))
                idle = [w for w in self.workers if w.running is None]
                # busy workers report on their pipe; an idle worker is watched for dying (its group's work)
                ready = connection_wait([w.conn for w in busy] + [w.process.sentinel for w in idle])
                for worker in busy:
                    if worker.conn in ready and worker in self.workers:
                        self._receive(worker)
                for worker in idle:
                    if worker.process.sentinel in ready and worker in self.workers:
                        self._lost(worker)
        finally:
            self._stop()
            if self.freeze and gc.get_freeze_count():
                gc.unfreeze()
        return [self.runs[c.name] for c in self.ordered]

    def _receive(self, worker: _Worker) -> None:
        while True:
            try:
                kind, payload = worker.conn.recv()
            except (EOFError, OSError):
                self._lost(worker)
                return
            if kind == "reads":
                if self.on_reads is not None:
                    self.on_reads(int(payload))
            elif kind == "crash":
                worker.crash = str(payload)
            else:
                name, worker.running = worker.running, None
                assert name is not None, "a worker reported a collector it was not given"
                self._finish(name, worker, payload)
            if not worker.conn.poll():
                return

    def _stop(self) -> None:
        for worker in self.workers:
            with contextlib.suppress(OSError, ValueError):  # already gone
                worker.conn.send(None)
        deadline = time.monotonic() + 5
        for worker in self.workers:
            worker.process.join(timeout=max(0.0, deadline - time.monotonic()) if worker.running is None else 0)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        self.workers.clear()
