"""OpenTelemetry traces and metrics for eval, facts and the gRPC service: the facade every caller imports.

Off unless something asks for it (an ``OTEL_EXPORTER_OTLP_*ENDPOINT`` / ``OTEL_TRACES_EXPORTER`` /
``OTEL_METRICS_EXPORTER`` variable, ``--trace-file``, or a caller's own exporter). While off, ``span()``
returns one shared do-nothing object and no ``opentelemetry`` module is ever imported: a CI run pays a
function call per collector and per policy, nothing more (benchmarks/tracing/ measures it). Once on, the
OpenTelemetry side lives in ``sdk.py`` (providers, instruments, live spans) and ``exporters.py``.

The API is deliberately small and generic: the engine and the gRPC interceptor pass plain values and need
no OpenTelemetry types:

    tracing.configure(trace_file=...)            # once per process (CLI command, server start)
    with tracing.span("anops.policy x", {...}) as s:
        s.set("anops.policy.subjects", 3)
    tracing.record_rpc("/pkg.Service/Method", "OK", 0.012)
    tracing.record_pack_refresh("pack-id", "updated", 0.8)
    tracing.current_trace_id()                   # 32 hex digits, or None while off
    tracing.shutdown()                           # flush; also registered with atexit
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # importing the SDK side at run time happens in configure()
    from anops_policy.telemetry.sdk import Telemetry

AttributeValue = str | bool | int | float | Sequence[str] | Sequence[int] | Sequence[float] | Sequence[bool]
Attributes = Mapping[str, AttributeValue]

SpanKindName = Literal["internal", "server", "client"]


class Span:
    """What ``span()`` yields. This base class is the do-nothing span used while tracing is off."""

    __slots__ = ()

    def set(self, key: str, value: AttributeValue | None) -> None:
        """Set one attribute (None is skipped: OpenTelemetry attributes cannot be null)."""

    def update(self, attributes: Attributes) -> None:
        """Set several attributes."""

    def fail(self, description: str) -> None:
        """Mark the span's status as an error without an exception (e.g. a collector reporting ``error``)."""

    def elapsed(self) -> float:
        """Seconds since the span started (0.0 while tracing is off)."""
        return 0.0

    @property
    def trace_id(self) -> str | None:
        return None

    def __enter__(self) -> Span:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class _Runtime:
    """The process's telemetry (None while off); one object so that functions need no ``global``."""

    state: Telemetry | None = None
    atexit_registered = False
    lock = threading.Lock()


_NOOP = Span()
_rt = _Runtime()


def enabled() -> bool:
    return _rt.state is not None


def wanted(trace_file: Path | None = None, environ: Mapping[str, str] | None = None) -> bool:
    """Whether the environment (or ``--trace-file``) asks for any telemetry. Reads only variables,
    so that deciding costs no import."""
    env = os.environ if environ is None else environ
    if trace_file is not None:
        return True
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return bool(exporter_names(env, "TRACES") or exporter_names(env, "METRICS"))


def exporter_names(env: Mapping[str, str], signal: str) -> list[str]:
    """The exporters for one signal ("TRACES" or "METRICS"): ``OTEL_<SIGNAL>_EXPORTER`` when set
    (``none`` → none), else ``otlp`` when an OTLP endpoint is configured."""
    explicit = env.get(f"OTEL_{signal}_EXPORTER", "").strip().lower()
    if explicit:
        return [name for name in (n.strip() for n in explicit.split(",")) if name and name != "none"]
    endpoint = env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
    return ["otlp"] if endpoint else []


def configure(*, trace_file: Path | None = None, span_exporter: Any = None, metric_reader: Any = None) -> bool:
    """Turn tracing on when the environment, ``trace_file`` or the given exporter/reader ask for it;
    returns whether it is on. ``span_exporter`` (an OpenTelemetry ``SpanExporter``) and
    ``metric_reader`` (a ``MetricReader``) serve tests and embedders, in addition to what the
    environment configures. Calling it again flushes and replaces the previous setup.

    Raises ``ConfigError`` when ``trace_file`` cannot be opened for writing."""
    with _rt.lock:
        previous, _rt.state = _rt.state, None
    if previous is not None:
        previous.shutdown()
    if span_exporter is None and metric_reader is None and not wanted(trace_file):
        return False
    from anops_policy.errors import AnopsError  # noqa: PLC0415
    from anops_policy.telemetry.sdk import Telemetry  # noqa: PLC0415 - the SDK only when tracing is on

    try:
        telemetry = Telemetry.build(trace_file, span_exporter, metric_reader)
    except AnopsError:  # --trace-file cannot be written: the user's own request failed
        raise
    except Exception as exc:  # anything else in the SDK's setup costs the telemetry, never the run
        warn_once("setup", f"tracing is off: {type(exc).__name__}: {exc}")
        return False
    with _rt.lock:
        _rt.state = telemetry
        if not _rt.atexit_registered:
            atexit.register(shutdown)  # a run that ends by sys.exit or an error still flushes
            # a forked child (a collector worker) mutes the copy at once, before the SDK's reader thread,
            # restarted by its own at-fork hook, can export the parent's metrics from it
            if hasattr(os, "register_at_fork"):
                os.register_at_fork(after_in_child=forked_worker)
            _rt.atexit_registered = True
    return True


def shutdown() -> None:
    """Flush and stop: spans still buffered are exported, the trace file is closed. Safe to call
    repeatedly and while off."""
    with _rt.lock:
        state, _rt.state = _rt.state, None
    if state is not None:
        state.shutdown()


def span(
    name: str,
    attributes: Attributes | None = None,
    *,
    kind: SpanKindName = "internal",
    carrier: Mapping[str, str] | None = None,
) -> Span:
    """A context manager for one span, a child of the current span. ``carrier`` holds incoming
    propagation headers (W3C ``traceparent``/``tracestate``, e.g. gRPC metadata): the span then
    continues the caller's trace. An exception leaving the block marks the span as an error."""
    state = _rt.state
    if state is None:
        return _NOOP
    return state.span(name, attributes, kind, carrier)


def forked_worker() -> None:
    """In a forked child (a parallel collection's worker; registered as an at-fork hook, and called
    again by the worker): the child reports its work's times to the parent, which records the spans.
    The SDK restarts the periodic metric reader in a forked child, which would export the parent's
    copied metrics a second time: every exporter is muted, and tracing is off in this process from now
    on (nothing is flushed: the parent does that)."""
    state = _rt.state
    _rt.state = None
    if state is not None:
        state.link.muted = True
        for reader in state.readers:  # also a caller's own reader, whose exporter is not ours to mute
            reader.collect = _collect_nothing


def _collect_nothing(*_args: Any, **_kwargs: Any) -> None:
    return None


def past_span(name: str, start_ns: int, end_ns: int, attributes: Attributes | None = None) -> Span:
    """A span for work that already happened elsewhere (a collector in a worker process), a child of
    the current span, with the given wall-clock start and end (``time.time_ns``). Used as a context
    manager like ``span()``; it is not made current, so spans of work that overlapped can be recorded
    one after the other."""
    state = _rt.state
    if state is None:
        return _NOOP
    return state.past_span(name, start_ns, end_ns, attributes)


def inject(carrier: MutableMapping[str, str]) -> None:
    """Add the current span's propagation headers (``traceparent``) to ``carrier`` (outgoing call metadata)."""
    state = _rt.state
    if state is not None:
        state.inject(carrier)


def current_trace_id() -> str | None:
    """The current trace id as 32 lowercase hex digits, or None (tracing off, or no span open)."""
    state = _rt.state
    return state.current_trace_id() if state is not None else None


# --- engine hooks: span attributes and metrics, from plain values -----------------------------------


def record_collector(
    span_: Span,
    name: str,
    status: str,
    *,
    files_read: int | None = None,
    files_skipped: int = 0,
    error: str | None = None,
) -> None:
    """A collector finished: attributes on its span, and its duration in ``anops.collector.duration``."""
    state = _rt.state
    if state is None:
        return
    span_.update(
        {"anops.collector.name": name, "anops.collector.status": status, "anops.collector.files_skipped": files_skipped}
    )
    span_.set("anops.collector.files_read", files_read)
    if status == "error":
        span_.fail(error or "collector error")
    state.collector_done(name, status, span_.elapsed())


def record_policy(span_: Span, policy_id: str, pack: str, outcomes: Mapping[str, int], subjects: int) -> None:
    """A policy was evaluated: its ``subjects`` and decisions by outcome on its span, the decisions counter
    by policy and outcome, and the evaluation time in ``anops.policy.duration``."""
    state = _rt.state
    if state is None:
        return
    span_.update(
        {
            "anops.policy.id": policy_id,
            "anops.pack": pack,
            "anops.policy.subjects": subjects,
            "anops.policy.decisions": sum(outcomes.values()),
            **{f"anops.outcome.{outcome}": n for outcome, n in sorted(outcomes.items())},
        }
    )
    state.policy_done(policy_id, pack, outcomes, span_.elapsed())


def record_rpc(method: str, code: str, seconds: float) -> None:
    """One finished RPC: ``method`` is the full gRPC method (``/package.Service/Method``), ``code`` the
    status code's name (``OK``, ``INVALID_ARGUMENT``…). Counted in ``anops.rpc.calls`` and timed in
    ``rpc.server.call.duration`` (seconds)."""
    state = _rt.state
    if state is not None:
        state.rpc_done(method, code, seconds)


def record_unrecorded(stream: str) -> None:
    """An evaluation a server answered without recording it (``serve --decision-log-optional`` while its
    decision log or store failed): counted in ``anops.decisions.unrecorded`` by stream, so an alert can
    fire on a gap in the audit trail."""
    state = _rt.state
    if state is not None:
        state.unrecorded.add(1, {"anops.stream": stream})


def record_pack_refresh(pack: str, outcome: str, seconds: float) -> None:
    """One check of a followed pack (``serve --pack-refresh``): ``outcome`` is ``unchanged``, ``updated``,
    ``rejected`` (a revision that failed verification or the check), ``unreachable`` or ``error``. Counted in
    ``anops.pack.refreshes`` and timed (resolve, fetch, verify, load) in ``anops.pack.refresh.duration``."""
    state = _rt.state
    if state is not None:
        state.pack_refresh_done(pack, outcome, seconds)


# --- warnings ------------------------------------------------------------------------------------

_warned: set[str] = set()
MAX_WARNINGS = 20  # a long-running server must not grow this set (or stderr) without bound


def warn_once(key: str, message: str) -> None:
    """One line on stderr, once per process and kind of problem: telemetry trouble never fails a run."""
    if key in _warned or len(_warned) >= MAX_WARNINGS:
        return
    _warned.add(key)
    try:
        sys.stderr.write(f"warning: tracing: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr closed at exit
        pass
