"""Split one collector's work across the usable cores: forked children, each computing its share of the
chunks and sending the pickled results back through a pipe, while the calling process does its own share.

For a collector whose work is native code under the GIL per file (tree-sitter parsing and matching):
threads do not help, and a collector already runs inside a daemonic scheduler worker, which may not start
``multiprocessing`` children. Children are plain ``os.fork`` processes that die with the caller (Linux
``PR_SET_PDEATHSIG``), ignore Ctrl-C (the caller handles it) and never run the caller's exit handlers. A
child that dies or raises makes the whole call raise ``CollectorFailed`` (never a partial answer).
Off Linux, with one usable core, or with native threads in the process (see ``parallel.available``), the
chunks run in process."""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
from collections.abc import Callable, Sequence
from typing import TypeVar

from anops_policy.collection.parallel import available, usable_cores
from anops_policy.collection.worker import die_with_parent
from anops_policy.errors import CollectorFailed

T = TypeVar("T")
R = TypeVar("R")


def fan_out(chunks: Sequence[T], work: Callable[[T], R], *, parallel: bool = True, jobs: int | None = None) -> list[R]:
    """``[work(c) for c in chunks]``, in the order of ``chunks``, computed by up to ``jobs`` processes
    (default: the usable cores) when ``parallel``."""
    processes = min(jobs or usable_cores(), len(chunks))
    if not parallel or processes < 2 or not available():
        return [work(c) for c in chunks]
    shares = [list(range(i, len(chunks), processes)) for i in range(processes)]
    children: list[tuple[int, int]] = []  # (pid, read end)
    try:
        for share in shares[1:]:
            children.append(_fork(chunks, share, work))
        out: dict[int, R] = {i: work(chunks[i]) for i in shares[0]}
        for (pid, fd), share in zip(children, shares[1:], strict=True):
            out.update(zip(share, _receive(pid, fd), strict=True))
        children.clear()
    finally:
        for pid, fd in children:  # an error or interrupt in this process: stop the rest
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.close(fd)
                os.waitpid(pid, 0)
    return [out[i] for i in range(len(chunks))]


def _fork(chunks: Sequence[T], share: list[int], work: Callable[[T], R]) -> tuple[int, int]:
    read, write = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running anything of the parent's
        code = 0
        try:
            os.close(read)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            die_with_parent(parent)
            try:
                payload = pickle.dumps(("ok", [work(chunks[i]) for i in share]))
            except BaseException as exc:  # reported by the caller as the collector's error
                payload, code = pickle.dumps(("error", f"{type(exc).__name__}: {exc}")), 1
            with os.fdopen(write, "wb") as fh:
                fh.write(payload)
        finally:
            os._exit(code)
    os.close(write)
    return pid, read


def _receive(pid: int, fd: int) -> list[R]:
    with os.fdopen(fd, "rb") as fh:
        data = fh.read()
    _, status = os.waitpid(pid, 0)
    if not data:
        raise CollectorFailed(f"a worker process ended without an answer ({_exit(status)})")
    kind, value = pickle.loads(data)
    if kind != "ok":
        raise CollectorFailed(f"a worker process failed: {value}")
    results: list[R] = value
    return results


def _exit(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
