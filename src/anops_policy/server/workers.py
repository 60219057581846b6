"""A pool of evaluation worker processes for the server.

Why processes, and why one job per process at a time: cel-python has no cost limit, and the engine's
per-policy deadline is a ``setitimer`` signal, which only a main thread receives. Each worker runs
evaluations on its own main thread, so the per-policy deadline works inside it; and a request whose
deadline passes is stopped for real by killing its worker (a thread cannot be stopped) — the pool then
starts a replacement. A DEADLINE_EXCEEDED therefore never leaves an evaluation running behind it.

Workers are forked from a ``forkserver`` (a clean interpreter that imported the engine once), never
from the gRPC process itself: forking a process that runs gRPC's threads is unsafe.

Each worker holds one snapshot of the packs (revisions.py). A job is judged with the snapshot its call
took: when the worker's snapshot is another one (a followed pack changed), the job travels with the
call's packs and the worker switches to them before judging.
"""

from __future__ import annotations

import logging
import multiprocessing
import pickle
import queue
import signal
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from anops_policy.errors import LogWriteError
from anops_policy.policy.model import Pack
from anops_policy.server.judge import BadRequest, Job, Judged, judge, record, summarize
from anops_policy.server.revisions import Revisions, Snapshot
from anops_policy.store.url import is_store_url
from anops_policy.telemetry import tracing

log = logging.getLogger("anops_policy.server")
POLL_S = 0.05  # how often a waiting call checks that its client is still there


class EvaluationTimeout(Exception):
    """The request's time ran out (waiting for a worker or evaluating); its worker was stopped."""


class EvaluationCancelled(Exception):
    """The client went away; its worker was stopped."""


class NotRecorded(Exception):
    """The evaluation finished but the decision log or store could not record it (UNAVAILABLE)."""


class WorkerFailed(Exception):
    """A worker died or raised unexpectedly; the text is the detail for the server's log."""


def _serve_jobs(conn: Connection, packs_blob: bytes, max_policy_deadline_s: float,
                log_path: Path | str | None, log_optional: bool = False) -> None:
    """A worker's main loop: one job at a time, on the main thread (the CEL deadline needs it)."""
    # Ctrl-C reaches the whole process group: the server decides when its workers stop, after draining
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    packs: list[Pack] = pickle.loads(packs_blob)
    while True:
        try:
            job, new_packs = conn.recv()
        except (EOFError, OSError):  # the server closed its end (or died): nothing more to do
            return
        reply: tuple[str, Any]
        try:
            if new_packs is not None:  # the call judges with another snapshot than this worker's last one
                packs = pickle.loads(new_packs)
            judgement = judge(job, packs, max_policy_deadline_s)
            try:
                decision_id = record(log_path, judgement, job) if log_path is not None else ""
            except LogWriteError as exc:
                if not log_optional:
                    raise
                # serve --decision-log-optional: the operator chose answers over records; the answer carries
                # no decision id and a note saying so (eval --server prints it), and the server logs and counts it
                judgement.report.notes.append(
                    "this evaluation was NOT recorded: the server's decision log failed and it runs with "
                    f"--decision-log-optional ({exc})")
                reply = ("ok-unrecorded", (summarize(judgement.report, ""), str(exc)))
            else:
                reply = ("ok", summarize(judgement.report, decision_id))
        except BadRequest as exc:
            reply = ("invalid", str(exc))
        except LogWriteError as exc:  # the decision log or store cannot record it: nothing is answered OK
            reply = ("unrecorded", str(exc))
        except Exception:
            reply = ("internal", traceback.format_exc(limit=20))
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    generation: int  # the snapshot of the packs the worker holds
    jobs: int = 0

    @property
    def pid(self) -> int:
        return self.process.pid or 0


class WorkerPool:
    """``size`` worker processes; ``run`` hands a job to an idle one and waits for it within a time budget."""

    def __init__(
        self,
        size: int,
        packs: Sequence[Pack] | Revisions,
        max_policy_deadline_s: float,
        log_path: Path | str | None = None,
        max_jobs: int = 0,
        log_optional: bool = False,
    ) -> None:
        self._ctx = multiprocessing.get_context("forkserver")
        # the fork server imports the engine once; each worker then starts in milliseconds
        self._ctx.set_forkserver_preload(["anops_policy.server.judge"])
        self.revisions = packs if isinstance(packs, Revisions) else Revisions(packs)
        self._max_policy_deadline_s = max_policy_deadline_s
        self._log_path = log_path
        self.records_to_store = is_store_url(log_path)  # streams are checked before a call is judged
        self._log_optional = log_optional  # serve --decision-log-optional: answer even when recording fails
        self._max_jobs = max_jobs  # 0: a worker serves until it dies or overruns
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: dict[int, _Worker] = {}
        self._closed = False
        self.replaced = 0
        for _ in range(size):
            self._idle.put(self._start())

    def _start(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        snapshot = self.revisions.current()  # a replacement starts with the newest packs
        process = self._ctx.Process(
            target=_serve_jobs,
            args=(child, snapshot.blob, self._max_policy_deadline_s, self._log_path, self._log_optional),
            name="anops-policy-worker",
            daemon=True,
        )
        process.start()
        child.close()  # only the worker holds its end: when the server dies, the worker reads EOF and exits
        worker = _Worker(process, parent, snapshot.generation)
        with self._lock:
            self._all[worker.pid] = worker
        return worker

    def pids(self) -> list[int]:
        with self._lock:
            return sorted(self._all)

    def run(
        self, job: Job, client_s: float | None, evaluation_s: float, active: Callable[[], bool] = lambda: True,
        snapshot: Snapshot | None = None,
    ) -> Judged:
        """Evaluate ``job`` in a worker with the packs of ``snapshot`` (default: the current one). The client's
        time (``client_s``, None = no deadline) covers waiting for a free worker and the evaluation; the
        server's bound ``evaluation_s`` covers the evaluation only (a queue under load is not the evaluation's
        fault). Raises BadRequest, EvaluationTimeout, EvaluationCancelled or WorkerFailed."""
        client_deadline = None if client_s is None else time.monotonic() + client_s
        worker = self._acquire(client_deadline, active)
        budget_s = evaluation_s if client_deadline is None else min(evaluation_s, client_deadline - time.monotonic())
        if budget_s <= 0:  # the client's time ran out as the worker came free: nothing started, nothing to stop
            self._release(worker)
            raise EvaluationTimeout("no time was left for the evaluation when a worker came free")
        deadline = time.monotonic() + budget_s
        snapshot = snapshot or self.revisions.current()
        update = None if worker.generation == snapshot.generation else snapshot.blob
        try:
            worker.conn.send((job, update))
            worker.generation = snapshot.generation
        except (BrokenPipeError, OSError) as exc:
            self._replace(worker, "its pipe broke")
            raise WorkerFailed(f"worker {worker.pid}: cannot send the job: {exc}") from None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self._replace(worker, f"the evaluation's deadline of {budget_s:.3f}s passed")
                raise EvaluationTimeout(f"evaluation did not finish within {budget_s:.3f}s")
            if not active():
                self._replace(worker, "the client cancelled")
                raise EvaluationCancelled("the client cancelled the call")
            if worker.conn.poll(min(left, POLL_S)):
                try:
                    kind, payload = worker.conn.recv()
                except (EOFError, OSError):
                    code = worker.process.exitcode
                    self._replace(worker, f"it died (exit code {code})")
                    raise WorkerFailed(f"worker {worker.pid} died during evaluation (exit code {code})") from None
                worker.jobs += 1
                self._release(worker)
                if kind == "ok":
                    assert isinstance(payload, Judged)
                    return payload
                if kind == "invalid":
                    raise BadRequest(str(payload))
                if kind == "unrecorded":
                    raise NotRecorded(str(payload))
                if kind == "ok-unrecorded":
                    judged, why = payload
                    log.warning("evaluation answered WITHOUT a record (serve --decision-log-optional): %s", why)
                    tracing.record_unrecorded(job.stream or "")
                    assert isinstance(judged, Judged)
                    return judged
                raise WorkerFailed(f"worker {worker.pid}: {payload}")

    def _acquire(self, deadline: float | None, active: Callable[[], bool]) -> _Worker:
        while True:
            left = POLL_S if deadline is None else deadline - time.monotonic()
            if left <= 0:
                raise EvaluationTimeout("no evaluation worker became free before the deadline")
            if not active():
                raise EvaluationCancelled("the client cancelled the call")
            try:
                worker = self._idle.get(timeout=min(left, POLL_S))
            except queue.Empty:
                continue
            if worker.process.is_alive():
                return worker
            self._replace(worker, f"it had exited (exit code {worker.process.exitcode})")

    def _release(self, worker: _Worker) -> None:
        if self._max_jobs and worker.jobs >= self._max_jobs:
            # memory a library keeps per evaluation (caches, native allocations) goes with the process
            self._replace(worker, f"retired after {worker.jobs} evaluations", kill=False)
            return
        self._idle.put(worker)

    def _replace(self, worker: _Worker, why: str, kill: bool = True) -> None:
        """Stop a worker and start another in the background (the caller answers its client at once)."""
        worker.conn.close()  # EOF: an idle worker leaves its loop and exits
        if kill:  # before answering the client: its evaluation must not outlive the call
            worker.process.kill()
            worker.process.join(5)
        with self._lock:
            self._all.pop(worker.pid, None)
            closed = self._closed
            self.replaced += 1
        if closed:
            return

        def start() -> None:
            if not kill:  # a retiring worker exits on EOF; waited for here, off the request's path
                worker.process.join(10)
                if worker.process.is_alive():
                    worker.process.kill()
                    worker.process.join(5)
            fresh = self._start()
            level = logging.WARNING if kill else logging.INFO
            log.log(level, "worker %d stopped (%s); replaced by worker %d", worker.pid, why, fresh.pid)
            with self._lock:
                if self._closed:
                    fresh.process.kill()
                    return
            self._idle.put(fresh)

        threading.Thread(target=start, name="anops-policy-respawn", daemon=True).start()

    def close(self) -> None:
        """Stop every worker (after the server drained: none is busy)."""
        with self._lock:
            self._closed = True
            workers = list(self._all.values())
            self._all.clear()
        for worker in workers:
            worker.conn.close()  # EOF: the worker leaves its loop
        for worker in workers:
            worker.process.join(2)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(2)
