"""``deadline`` counts the evaluating thread's CPU time on the process's one ``ITIMER_PROF`` timer: an
outer timer (an enclosing deadline) keeps running, fires on time, and is re-armed with what is left of it on
exit; sleeping (a descheduled process) and other threads' CPU time do not use the budget up, and a
harness's SIGALRM timer is never touched."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from anops_policy.cel.deadline import DeadlineExceeded, deadline

pytestmark = pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="interval timers are main-thread only"
)


@pytest.fixture(autouse=True)
def restore_timer() -> Iterator[None]:
    handler = signal.getsignal(signal.SIGPROF)
    timer = signal.getitimer(signal.ITIMER_PROF)
    yield
    signal.setitimer(signal.ITIMER_PROF, 0)
    signal.signal(signal.SIGPROF, signal.SIG_DFL if handler is None else handler)
    if timer[0] > 0:
        signal.setitimer(signal.ITIMER_PROF, *timer)


def burn(seconds: float) -> None:
    """Use ``seconds`` of CPU time (a deadline counts CPU, so sleeping would never reach it)."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


class Recorder:
    def __init__(self) -> None:
        self.fired: list[float] = []
        self.start = time.process_time()

    def __call__(self, _signum: int, _frame: Any) -> None:
        self.fired.append(time.process_time() - self.start)


# (outer timer: delay and interval, the deadline's seconds)
OUTER_TIMERS = [(5.0, 0.0, 0.5), (5.0, 2.0, 0.5), (0.8, 0.0, 10.0)]


@pytest.mark.parametrize(("delay", "interval", "seconds"), OUTER_TIMERS)
def test_an_outer_timer_and_its_handler_survive(delay: float, interval: float, seconds: float) -> None:
    outer = Recorder()
    signal.signal(signal.SIGPROF, outer)
    signal.setitimer(signal.ITIMER_PROF, delay, interval)
    with deadline(seconds):
        burn(0.05)
    left, every = signal.getitimer(signal.ITIMER_PROF)
    assert delay - 0.5 < left <= delay - 0.04
    assert every == interval
    assert outer.fired == []
    assert signal.getsignal(signal.SIGPROF) == outer


# (CPU seconds to use inside the inner deadline, then after it): the outer 0.3 s deadline ends both
NESTED = [(0.0, 2.0), (2.0, 0.0), (0.1, 2.0)]


@pytest.mark.parametrize(("inside", "after"), NESTED)
def test_an_inner_deadline_does_not_cancel_the_outer_one(inside: float, after: float) -> None:
    start = time.process_time()
    with pytest.raises(DeadlineExceeded), deadline(0.3):
        with deadline(10):
            burn(inside)
        burn(after)
    assert 0.25 < time.process_time() - start < 1.5
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


def test_an_outer_expiry_inside_reaches_its_handler_and_the_deadline_still_holds() -> None:
    outer = Recorder()
    signal.signal(signal.SIGPROF, outer)
    signal.setitimer(signal.ITIMER_PROF, 0.1)
    start = time.process_time()
    with pytest.raises(DeadlineExceeded), deadline(0.4):
        burn(3)
    assert 0.35 < time.process_time() - start < 2
    assert len(outer.fired) == 1 and 0.05 < outer.fired[0] < 0.35
    assert signal.getsignal(signal.SIGPROF) == outer
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)  # a one-shot timer that fired is gone


def test_without_an_outer_timer_nothing_is_left_armed() -> None:
    previous = signal.getsignal(signal.SIGPROF)
    with pytest.raises(DeadlineExceeded), deadline(0.1):
        burn(2)
    with deadline(0.5):
        pass
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGPROF) == previous


def test_waiting_does_not_use_the_budget_and_sigalrm_is_left_alone() -> None:
    """A descheduled evaluation (a loaded CI runner) must not turn into a deadline error."""
    alarm = signal.getitimer(signal.ITIMER_REAL)
    with deadline(0.2):
        time.sleep(0.5)
    assert signal.getitimer(signal.ITIMER_REAL) == alarm


def test_a_lost_deadline_exception_is_raised_again() -> None:
    """C code can clear an exception raised from a signal handler (seen under load: a __hash__ inside a dict
    lookup); the deadline must fire again rather than let evaluation run unbounded."""
    swallowed = 0
    start = time.process_time()
    with pytest.raises(DeadlineExceeded), deadline(0.1):
        while time.process_time() - start < 5:
            try:
                burn(5)
            except DeadlineExceeded:
                if swallowed:
                    raise
                swallowed += 1  # lose the first one, as such C code would
    assert swallowed == 1
    assert time.process_time() - start < 2
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


def _spin(seconds: float) -> None:
    """Spend ``seconds`` of this thread's CPU time."""
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        sum(range(1000))


def test_other_threads_cpu_time_does_not_use_the_budget_up() -> None:
    """The budget is the evaluating thread's: a thread that burns CPU beside it (a server's, a library's
    pool, a test worker's leftovers) makes the process timer fire early, and it is re-armed for the rest."""
    import hashlib  # noqa: PLC0415

    stop = threading.Event()
    data = b"x" * (1 << 20)

    def burn() -> None:
        while not stop.is_set():
            hashlib.sha256(data).digest()  # releases the GIL: CPU time in parallel with the main thread

    worker = threading.Thread(target=burn, daemon=True)
    worker.start()
    try:
        process_before = time.process_time()
        with deadline(0.4):
            while time.process_time() - process_before < 0.6:  # the other thread spends past the budget
                time.sleep(0.01)
            _spin(0.1)
    finally:
        stop.set()
        worker.join()
    with pytest.raises(DeadlineExceeded), deadline(0.1):
        _spin(1.0)  # and the evaluating thread's own work is still bounded
