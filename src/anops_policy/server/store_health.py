"""The decision store's state in the health service: a call the store could not record turns the server
``NOT_SERVING`` at once (load balancers move traffic to replicas that can record), and a probe brings it
back to ``SERVING`` as soon as the store answers again. A file log has no such watch: it is local."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from grpc_health.v1 import health, health_pb2

from anops_policy.errors import AnopsError
from anops_policy.store.url import is_store_url, redacted

log = logging.getLogger("anops_policy.server")
PROBE_S = 1.0


class StoreHealth:
    def __init__(self, target: Path | str | None, servicer: health.HealthServicer, names: Sequence[str]) -> None:
        self.url = str(target) if target is not None and is_store_url(target) else None
        self.servicer = servicer
        self.names = tuple(names)
        self.healthy = True
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def _set(self, healthy: bool, why: str = "") -> None:
        with self._lock:
            if healthy == self.healthy:
                return
            self.healthy = healthy
        status = health_pb2.HealthCheckResponse.SERVING if healthy else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in self.names:
            self.servicer.set(name, status)
        if healthy:
            log.info("decision store %s answers again: SERVING", redacted(self.url or ""))
        else:
            log.warning("decision store unavailable, NOT_SERVING until it answers: %s", why)

    def unavailable(self, why: str) -> None:
        """A call could not be recorded."""
        if self.url is not None:
            self._set(False, why)

    def start(self) -> None:
        if self.url is not None:
            self._thread = threading.Thread(target=self._probe, name="anops-store-health", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self.stop.set()

    def _probe(self) -> None:
        from anops_policy.store.postgres import PgStore  # noqa: PLC0415

        store = PgStore(self.url or "")
        while not self.stop.wait(PROBE_S):
            try:
                store.ensure_schema(may_create=False)
            except AnopsError as exc:
                self._set(False, str(exc))
            else:
                self._set(True)
