"""The per-evaluation CPU-time deadline: a ``ITIMER_PROF`` timer that interrupts a runaway expression
(cel-python has no cost limit) and nests with an outer deadline."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class DeadlineExceeded(BaseException):
    """Raised inside evaluation by the timer. A BaseException so celpy's ``except Exception`` blocks
    (which log the full argument reprs) do not swallow it."""


RETRY_S = 0.05
# CPU time, not wall-clock time (see ``deadline``); a timer of its own kind leaves SIGALRM (test
# harness timeouts, libFuzzer) alone.
_TIMER = signal.ITIMER_PROF
_SIGNAL = signal.SIGPROF
# The evaluating (main) thread's CPU time: the process timer counts every thread's, so it may fire early
# when other threads ran (a server's, a library's pool, a test harness's); it is then re-armed for what is
# left of this thread's budget.
_clock = time.thread_time


def _deliver(handler: Any, signum: int, frame: Any) -> None:
    """Hand a SIGPROF that belongs to an outer timer to the handler that was installed for it."""
    if callable(handler):
        handler(signum, frame)
    elif handler != signal.SIG_IGN:  # SIG_DFL (or a handler installed outside Python): the default action
        signal.signal(_SIGNAL, signal.SIG_DFL)
        signal.raise_signal(_SIGNAL)


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Interrupt evaluation after ``seconds`` (main thread only; elsewhere no timer is available and
    the bound is the static check's nesting limit).

    The deadline counts the evaluating thread's CPU time, not wall-clock time: it bounds the work a policy
    does, so a loaded or descheduled machine (a busy CI runner) never turns a policy that finishes into an
    error, and the same facts give the same decisions on any machine. Its timer is ``ITIMER_PROF``, which
    counts the CPU time of every thread of the process: when other threads' time makes it fire before this
    thread has spent its budget, it is re-armed for the rest. The process has
    one ``ITIMER_PROF`` timer, so an outer one (an enclosing deadline) is kept: while inside, the timer
    is armed for whichever is due first and an outer expiry is handed to the outer handler; on exit the
    outer timer is re-armed with what is left of it and the previous handler is restored."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    outer_delay, outer_interval = signal.getitimer(_TIMER)
    start = _clock()
    own_due = start + seconds
    # when the outer timer fires next (None: it has no pending expiry)
    outer_due: float | None = start + outer_delay if outer_delay > 0 else None
    previous = signal.getsignal(_SIGNAL)
    active = True

    def arm() -> None:
        due = own_due if outer_due is None else min(own_due, outer_due)
        signal.setitimer(_TIMER, max(due - _clock(), 1e-6))

    def on_alarm(signum: int, frame: Any) -> None:
        nonlocal outer_due
        now = _clock()
        if outer_due is not None and outer_due <= own_due:
            if now < outer_due:  # early: other threads' CPU time ran the process timer
                arm()
                return
            # the outer timer's expiry: like the real timer, a periodic one comes round again
            outer_due = outer_due + outer_interval if outer_interval > 0 else None
            arm()
            _deliver(previous, signum, frame)
            return
        if not active:
            return
        if now < own_due:  # early, as above: this thread has budget left
            arm()
            return
        # An exception raised from a signal handler can be lost: C code that calls back into Python (a
        # __hash__ inside a dict lookup) may clear it, and evaluation would then run unbounded (seen
        # under load). So it is raised again every RETRY_S until the block is left.
        signal.setitimer(_TIMER, RETRY_S)
        raise DeadlineExceeded()

    signal.signal(_SIGNAL, on_alarm)
    try:
        arm()
        yield
    finally:
        active = False
        try:
            signal.setitimer(_TIMER, 0)
        finally:
            signal.signal(_SIGNAL, signal.SIG_DFL if previous is None else previous)
            if outer_due is not None:
                left = max(outer_due - _clock(), 1e-6)  # overdue: fire at once, under its handler
                signal.setitimer(_TIMER, left, outer_interval)
