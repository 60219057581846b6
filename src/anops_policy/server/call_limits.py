"""Per-caller abuse bounds: a token bucket of calls per minute and a cap on calls running at once, each
counted by the caller's verified identity (so one busy CI job cannot starve the others); and, before
anyone is identified, a budget of refused credentials per network address (``RefusalBudget``), so a flood
of bad tokens stops costing signature checks."""

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


def peer_address(peer: str) -> str:
    """The address of a gRPC peer string without its port (``ipv4:10.0.0.7:51234`` → ``ipv4:10.0.0.7``,
    ``ipv6:[::1]:51234`` → ``ipv6:[::1]``); other forms (``unix:…``) as they are."""
    kind, _, rest = peer.partition(":")
    if kind in ("ipv4", "ipv6") and ":" in rest:
        return f"{kind}:{rest.rpartition(':')[0]}"
    return peer


class RefusalBudget:
    """Refused credentials per address, as a token bucket of ``per_minute`` (burst the same): an address
    over it is refused before its next credential is even verified, until the bucket refills."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._rate = per_minute / 60.0
        self._addresses: dict[str, _Caller] = {}
        self._lock = threading.Lock()

    def _bucket(self, address: str, now: float) -> _Caller:
        bucket = self._addresses.get(address)
        if bucket is None:
            if len(self._addresses) >= MAX_TRACKED:
                full = [a for a, b in self._addresses.items()
                        if b.tokens + (now - b.updated) * self._rate >= self.per_minute]
                for key in full or list(self._addresses)[: MAX_TRACKED // 10]:
                    del self._addresses[key]
            bucket = self._addresses[address] = _Caller(float(self.per_minute), now)
        bucket.tokens = min(float(self.per_minute), bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        return bucket

    def check(self, address: str) -> None:
        """LimitExceeded when ``address`` has used up its refusals."""
        with self._lock:
            bucket = self._bucket(address, time.monotonic())
            if bucket.tokens < 1.0:
                wait = (1.0 - bucket.tokens) / self._rate
                raise LimitExceeded(f"over {self.per_minute} refused credentials per minute from this address; "
                                    f"retry in {wait:.1f}s")

    def spend(self, address: str) -> None:
        """One refusal from ``address``."""
        with self._lock:
            bucket = self._bucket(address, time.monotonic())
            bucket.tokens = max(0.0, bucket.tokens - 1.0)
