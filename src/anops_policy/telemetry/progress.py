"""A progress line on stderr while ``eval`` collects and evaluates: collectors done/total, files read,
policies done/total. Only on a terminal and without ``-q``: a CI log or a redirected stderr gets no
carriage-return noise, and the line is erased before the report is printed.

The engine reports through a plain callback (``ProgressCallback``) so that the gRPC service and tests can
run it with none, or record the events.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

COLLECT = "collect"
EVALUATE = "evaluate"


@dataclass(frozen=True)
class ProgressEvent:
    stage: str  # COLLECT | EVALUATE
    done: int  # units finished in this stage
    total: int
    current: str  # the collector or policy being worked on ("" once the stage is finished)
    files: int = 0  # files read by collectors so far


ProgressCallback = Callable[[ProgressEvent], None]


class TerminalProgress:
    """Renders events as one rewritten line, at most every ``interval`` seconds (reading a file is far
    faster than redrawing a terminal line)."""

    def __init__(self, stream: TextIO, *, interval: float = 0.1, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.interval = interval
        self.clock = clock
        self._last = float("-inf")
        self._step: tuple[str, int] | None = None
        self._shown = False

    def __call__(self, event: ProgressEvent) -> None:
        now = self.clock()
        step = (event.stage, event.done)
        if now - self._last < self.interval and step == self._step:
            return  # only a file count changed, and the line was redrawn moments ago
        self._last, self._step = now, step
        width = max(20, shutil.get_terminal_size((80, 24)).columns - 1)
        self.stream.write("\r\x1b[2K" + render(event)[:width])
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        """Erase the line so the report starts on a clean one."""
        if self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._shown = False


def render(event: ProgressEvent) -> str:
    if event.stage == COLLECT:
        text = f"collecting facts {event.done}/{event.total} collectors · {event.files} files read"
    else:
        text = f"evaluating {event.done}/{event.total} policies"
    return f"{text} · {event.current}" if event.current else text


def terminal_progress(stream: TextIO, *, quiet: bool) -> TerminalProgress | None:
    """A progress display for ``stream``, or None when it is not a terminal, ``-q`` was given, or the
    terminal cannot rewrite a line (TERM=dumb)."""
    if quiet or os.environ.get("TERM") == "dumb":
        return None
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return None
    return TerminalProgress(stream) if tty else None


class CollectProgress:
    """Turns the collection loop's steps (a collector starts, a file is read) into events."""

    def __init__(self, callback: ProgressCallback, total: int) -> None:
        self.callback = callback
        self.total = total
        self.done = 0
        self.current = ""
        self.files = 0

    def start(self, index: int, name: str) -> None:
        self.done, self.current = index, name
        self._emit()

    def read(self, _path: str) -> None:
        self.files += 1
        self._emit()

    def running(self, names: Sequence[str], done: int) -> None:
        """Collectors run in parallel (``--jobs``): all of those running now, and how many finished."""
        self.done, self.current = done, ", ".join(names)
        self._emit()

    def reads(self, count: int) -> None:
        """``count`` files were read in a worker process."""
        self.files += count
        self._emit()

    def finish(self) -> None:
        self.done, self.current = self.total, ""
        self._emit()

    def _emit(self) -> None:
        self.callback(ProgressEvent(COLLECT, self.done, self.total, self.current, self.files))
