"""Per-caller abuse bounds: a token bucket of calls per minute and a cap on calls running at once, each
counted by the caller's verified identity (so one busy CI job cannot starve the others)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from anops_policy.identity.config import CallLimits

MAX_TRACKED = 10_000  # callers remembered at once; idle ones are forgotten first


class LimitExceeded(Exception):
    """The caller is over one of its limits; the message says which (RESOURCE_EXHAUSTED)."""


@dataclass
class _Caller:
    tokens: float
    updated: float
    running: int = 0


class CallerLimits:
    def __init__(self, limits: CallLimits) -> None:
        self.limits = limits
        self._rate = limits.calls_per_minute / 60.0
        self._callers: dict[str, _Caller] = {}
        self._lock = threading.Lock()

    def enter(self, key: str) -> None:
        """Count a call in; LimitExceeded when the caller is over its rate or its concurrent calls."""
        now = time.monotonic()
        with self._lock:
            caller = self._callers.get(key)
            if caller is None:
                if len(self._callers) >= MAX_TRACKED:
                    self._forget_idle(now)
                caller = self._callers[key] = _Caller(float(self.limits.burst), now)
            caller.tokens = min(float(self.limits.burst), caller.tokens + (now - caller.updated) * self._rate)
            caller.updated = now
            if caller.running >= self.limits.concurrent_calls:
                raise LimitExceeded(f"over {self.limits.concurrent_calls} calls running at once for this caller; "
                                    "retry when one has finished")
            if caller.tokens < 1.0:
                wait = (1.0 - caller.tokens) / self._rate
                raise LimitExceeded(f"over {self.limits.calls_per_minute} calls per minute for this caller; "
                                    f"retry in {wait:.1f}s")
            caller.tokens -= 1.0
            caller.running += 1

    def leave(self, key: str) -> None:
        with self._lock:
            caller = self._callers.get(key)
            if caller is not None:
                caller.running = max(0, caller.running - 1)

    def _forget_idle(self, now: float) -> None:
        full = [k for k, c in self._callers.items()
                if c.running == 0 and c.tokens + (now - c.updated) * self._rate >= self.limits.burst]
        for key in full or [k for k, c in self._callers.items() if c.running == 0][: MAX_TRACKED // 10]:
            del self._callers[key]
