"""The packs a server judges with, as immutable snapshots. A call takes the current snapshot once, at its
start, and uses it for everything it does (the worker that judges it is brought to that snapshot first);
a followed pack's new revision is a new snapshot swapped in between calls, so no call ever sees a mix of
two revisions or a half-loaded pack."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from anops_policy.policy.model import Pack


@dataclass(frozen=True)
class Snapshot:
    """One set of loaded packs. ``generation`` counts swaps (0 at start); ``blob`` is the packs pickled once,
    for the worker processes."""

    generation: int
    packs: tuple[Pack, ...]
    blob: bytes

    @classmethod
    def of(cls, generation: int, packs: Sequence[Pack]) -> Snapshot:
        return cls(generation, tuple(packs), pickle.dumps(list(packs)))

    def describe(self) -> str:
        return ", ".join(f"{p.id} {p.version} {short(p.digest)}" for p in self.packs)


def short(digest: str) -> str:
    """``sha256:`` and the first 12 hex digits: enough to tell revisions apart in a log line."""
    return digest[:19]


class Revisions:
    """The current snapshot; ``current()`` is one attribute read, ``swap`` replaces it whole."""

    def __init__(self, packs: Sequence[Pack]) -> None:
        self._current = Snapshot.of(0, packs)
        self._lock = threading.Lock()

    def current(self) -> Snapshot:
        return self._current

    def swap(self, change: Callable[[tuple[Pack, ...]], Sequence[Pack]]) -> Snapshot:
        """Build the next snapshot from the current packs (the pickling happens before the swap, so a call
        never waits for it) and make it current."""
        with self._lock:
            now = self._current
            fresh = Snapshot.of(now.generation + 1, change(now.packs))
            self._current = fresh
            return fresh
