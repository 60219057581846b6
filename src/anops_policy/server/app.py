"""``anops-policy serve``: the gRPC server's life — start the workers, listen, serve, and on SIGTERM/SIGINT
drain (health NOT_SERVING, new calls refused, running calls finish within the grace period) and stop."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from anops_policy.errors import ConfigError, LogWriteError
from anops_policy.policy.model import Pack
from anops_policy.server import policy_pb2, policy_pb2_grpc
from anops_policy.server.callers import caller_gate, describe_gate
from anops_policy.server.exposure import Exposure
from anops_policy.server.revisions import Revisions, short
from anops_policy.server.service import SERVICE_NAME, Limits, PolicyService
from anops_policy.server.store_health import StoreHealth
from anops_policy.server.telemetry import RpcTelemetry
from anops_policy.server.tls import CertificateReloader, TlsFiles
from anops_policy.server.workers import WorkerPool
from anops_policy.telemetry import tracing

if TYPE_CHECKING:  # the follower (and the registry clients it imports) only when --pack-refresh asks for it
    from anops_policy.identity.config import AuthConfig
    from anops_policy.server.pack_follow import FollowPlan

log = logging.getLogger("anops_policy.server")
# room for the request's other fields on top of the facts limit, so that an oversized fact document
# reaches the servicer and gets a clear INVALID_ARGUMENT rather than gRPC's bare RESOURCE_EXHAUSTED
ENVELOPE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ServeSettings:
    listen: str
    workers: int
    limits: Limits
    grace_s: float
    threads: int
    decision_log: Path | str | None = None  # the server's own log (a file or a postgresql:// store) of every answer
    trace_file: Path | None = None  # spans as JSON lines (OTLP export is configured by OTEL_* variables)
    max_jobs_per_worker: int = 0
    follow: FollowPlan | None = None  # serve --pack-refresh: the remote packs to follow
    tls: TlsFiles | None = None  # serve --tls-cert/--tls-key (--tls-client-ca: mutual TLS)
    insecure: bool = False  # serve --insecure: plaintext or anonymous callers accepted off loopback
    decision_log_optional: bool = False  # serve --decision-log-optional: answer even when recording fails
    auth: AuthConfig | None = None  # serve --auth-config: OIDC issuers, the authorisation policy, caller limits


def _health_names() -> Sequence[str]:
    return ("", SERVICE_NAME)


def serve(packs: Sequence[Pack], settings: ServeSettings) -> int:
    """Run until SIGTERM or SIGINT; returns the exit code (0 after a clean drain)."""
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    tracing.configure(trace_file=settings.trace_file)
    stop = threading.Event()
    # checked before anything starts: a server that must not listen stops here (exit 2)
    gate = caller_gate(settings.auth, settings.tls)
    open_issuers = tuple(i.url for i in settings.auth.issuers if not i.claims) \
        if settings.auth is not None and gate.authorisation is None else ()
    exposure = Exposure(settings.listen, settings.tls is not None, not gate.anonymous, settings.insecure, open_issuers)
    exposure_warnings = exposure.warnings()
    reloader = CertificateReloader(settings.tls) if settings.tls is not None else None

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: draining", signal.Signals(signum).name)
        stop.set()

    # installed before the workers start, so that a signal during start-up is a clean stop too
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    if reloader is not None:
        current = reloader  # SIGHUP: reload the certificate at the next connection, without dropping calls
        previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, lambda _s, _f: current.request_reload())
    if settings.decision_log is not None:
        from anops_policy.audit.sinks import open_log  # noqa: PLC0415

        # a log that cannot be written (a store that cannot be reached) stops the start (exit 3), unless the
        # operator chose answers over records
        try:
            open_log(settings.decision_log, stream="serve").prepare()  # (the stream is per request)
        except LogWriteError as exc:
            if not settings.decision_log_optional:
                raise
            log.warning("starting with a decision log that cannot be written (--decision-log-optional): %s", exc)
    revisions = Revisions(packs)
    pool = WorkerPool(
        settings.workers, revisions, settings.limits.max_policy_deadline_s, settings.decision_log,
        settings.max_jobs_per_worker, settings.decision_log_optional,
    )
    service = PolicyService(pool, settings.limits, gate)
    health_service = health.HealthServicer(experimental_non_blocking=True)
    size = settings.limits.max_message_bytes + ENVELOPE_BYTES
    server = grpc.server(
        ThreadPoolExecutor(max_workers=settings.threads, thread_name_prefix="anops-rpc"),
        interceptors=[RpcTelemetry()],
        options=[("grpc.max_receive_message_length", size), ("grpc.max_send_message_length", -1)],
    )
    policy_pb2_grpc.add_PolicyServiceServicer_to_server(service, server)  # type: ignore[no-untyped-call]
    health_pb2_grpc.add_HealthServicer_to_server(health_service, server)
    reflection.enable_server_reflection(
        (policy_pb2.DESCRIPTOR.services_by_name["PolicyService"].full_name, health.SERVICE_NAME,
         reflection.SERVICE_NAME),
        server,
    )
    try:
        if reloader is not None:
            port = server.add_secure_port(settings.listen, reloader.credentials())
        else:
            port = server.add_insecure_port(settings.listen)
    except RuntimeError as exc:
        pool.close()
        raise ConfigError(f"serve --listen {settings.listen}: cannot listen: {exc}") from None
    if port == 0:
        pool.close()
        raise ConfigError(f"serve --listen {settings.listen}: cannot listen (address in use or not local?)")
    server.start()
    for name in _health_names():
        health_service.set(name, health_pb2.HealthCheckResponse.SERVING)
    # with --decision-log-optional the store's state does not decide whether this server can answer
    store_health = StoreHealth(None if settings.decision_log_optional else settings.decision_log, health_service,
                               _health_names())
    service.on_unrecorded = store_health.unavailable
    store_health.start()
    host = settings.listen.rpartition(":")[0]
    packs_text = ", ".join(f"{p.id} {p.version} {short(p.digest)} ({len(p.policies)} policies)" for p in packs)
    # tests and scripts read the bound port from this line (--listen HOST:0 picks a free one)
    log.info("serving anops.policy.v1 on %s:%d · %d workers %s · %s", host, port, settings.workers,
             pool.pids(), packs_text)
    if reloader is not None:
        mutual = f"; client certificates must chain to {settings.tls.client_ca}" if settings.tls and \
            settings.tls.client_ca else ""
        log.info("TLS: %s (reloaded on SIGHUP or when the files change)%s", reloader.loaded.description, mutual)
    for line in describe_gate(gate):
        log.info("%s", line)
    for warning in exposure_warnings:
        log.warning("%s", warning)
    follower = None
    if settings.follow is not None:
        from anops_policy.server.pack_follow import PackFollower  # noqa: PLC0415

        follower = PackFollower(settings.follow, revisions)
        follower.start()
    try:
        while not stop.wait(0.5):
            pass
        store_health.close()  # draining owns the health status from here
        _drain(server, service, health_service, settings.grace_s)
    finally:
        if follower is not None:
            follower.stop()
        pool.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        tracing.shutdown()
    log.info("stopped")
    return 0


def _drain(server: grpc.Server, service: PolicyService, health_service: health.HealthServicer, grace_s: float) -> None:
    """Health says NOT_SERVING (load balancers stop sending), new calls get UNAVAILABLE, running calls
    get up to ``grace_s`` to finish; then the server stops (cancelling what is left)."""
    started = time.monotonic()
    health_service.enter_graceful_shutdown()
    service.draining.set()
    if service.in_flight.wait_idle(grace_s):
        log.info("drained in %.2fs", time.monotonic() - started)
    else:
        log.warning("grace period of %.1fs over: cancelling the calls still running", grace_s)
    left = max(0.0, grace_s - (time.monotonic() - started))
    server.stop(min(left, 1.0)).wait()
