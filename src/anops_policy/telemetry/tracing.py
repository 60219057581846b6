"""OpenTelemetry traces and metrics for eval, facts and the gRPC service: the only module that imports
``opentelemetry``.

Off unless something asks for it (an ``OTEL_EXPORTER_OTLP_*ENDPOINT`` / ``OTEL_TRACES_EXPORTER`` /
``OTEL_METRICS_EXPORTER`` variable, ``--trace-file``, or a caller's own exporter). While off, ``span()``
returns one shared do-nothing object and no ``opentelemetry`` module is ever imported: a CI run pays a
function call per collector and per policy, nothing more (benchmarks/tracing/ measures it).

The API is deliberately small and generic so that the engine and the gRPC interceptor need no
OpenTelemetry types:

    tracing.configure(trace_file=...)            # once per process (CLI command, server start)
    with tracing.span("anops.policy x", {...}) as s:
        s.set("anops.policy.subjects", 3)
    tracing.record_rpc("/pkg.Service/Method", "OK", 0.012)
    tracing.current_trace_id()                   # 32 hex digits, or None while off
    tracing.shutdown()                           # flush; also registered with atexit
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

if TYPE_CHECKING:  # annotations only: importing opentelemetry at run time happens in Telemetry.build
    from opentelemetry.context import Context
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.trace import Span as OtelSpan
    from opentelemetry.trace import Tracer

    from anops_policy.evaluation.report import Report
    from anops_policy.policy.model import Decision

AttributeValue = str | bool | int | float | Sequence[str] | Sequence[int] | Sequence[float] | Sequence[bool]
Attributes = Mapping[str, AttributeValue]

SpanKindName = Literal["internal", "server", "client"]
SERVICE_NAME = "anops-policy"


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
    return bool(_exporters(env, "TRACES") or _exporters(env, "METRICS"))


def _exporters(env: Mapping[str, str], signal: str) -> list[str]:
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

    try:
        telemetry = Telemetry.build(trace_file, span_exporter, metric_reader)
    except AnopsError:  # --trace-file cannot be written: the user's own request failed
        raise
    except Exception as exc:  # anything else in the SDK's setup costs the telemetry, never the run
        _warn("setup", f"tracing is off: {type(exc).__name__}: {exc}")
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
    return _PastSpan(state.tracer, name, start_ns, end_ns, attributes)


def inject(carrier: MutableMapping[str, str]) -> None:
    """Add the current span's propagation headers (``traceparent``) to ``carrier`` (outgoing call metadata)."""
    state = _rt.state
    if state is not None:
        state.inject(carrier)


def current_trace_id() -> str | None:
    """The current trace id as 32 lowercase hex digits, or None (tracing off, or no span open)."""
    state = _rt.state
    return state.current_trace_id() if state is not None else None


# --- engine hooks: span attributes and metrics -----------------------------------------------------


def record_eval(span_: Span, report: Report) -> None:
    """The run's verdict on the ``anops.eval`` span."""
    if _rt.state is None:
        return
    span_.update(
        {
            "anops.decisions": len(report.decisions),
            "anops.blocking_failures": len(report.blocking),
            "anops.items_satisfied": report.satisfied_count,
            "anops.items_total": len(report.items),
            "anops.exit_code": report.exit_code,
            **{f"anops.outcome.{k}": v for k, v in report.outcome_counts().items() if v},
        }
    )
    span_.set("anops.facts_digest", report.run.get("facts_digest"))
    span_.set("anops.commit", report.run.get("commit"))


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


def record_policy(span_: Span, policy_id: str, pack: str, decisions: Sequence[Decision]) -> None:
    """A policy was evaluated: subject and outcome counts on its span, the decisions counter by policy
    and outcome, and the evaluation time in ``anops.policy.duration``."""
    state = _rt.state
    if state is None:
        return
    counts: dict[str, int] = {}
    for decision in decisions:
        counts[decision.outcome.value] = counts.get(decision.outcome.value, 0) + 1
    span_.update(
        {
            "anops.policy.id": policy_id,
            "anops.pack": pack,
            # a policy without for_each decides once, without a subject
            "anops.policy.subjects": len({d.subject for d in decisions if d.subject is not None}),
            "anops.policy.decisions": len(decisions),
            **{f"anops.outcome.{outcome}": n for outcome, n in sorted(counts.items())},
        }
    )
    state.policy_done(policy_id, pack, counts, span_.elapsed())


def record_rpc(method: str, code: str, seconds: float) -> None:
    """One finished RPC: ``method`` is the full gRPC method (``/package.Service/Method``), ``code`` the
    status code's name (``OK``, ``INVALID_ARGUMENT``…). Counted in ``anops.rpc.calls`` and timed in
    ``rpc.server.call.duration`` (seconds)."""
    state = _rt.state
    if state is not None:
        state.rpc_done(method, code, seconds)


# --- warnings ------------------------------------------------------------------------------------

_warned: set[str] = set()
MAX_WARNINGS = 20  # a long-running server must not grow this set (or stderr) without bound


def _warn(key: str, message: str) -> None:
    """One line on stderr, once per process and kind of problem: telemetry trouble never fails a run."""
    if key in _warned or len(_warned) >= MAX_WARNINGS:
        return
    _warned.add(key)
    try:
        sys.stderr.write(f"warning: tracing: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr closed at exit
        pass


# --- the OpenTelemetry side (only reached once configure() decided to turn tracing on) -------------

EXPORT_TIMEOUT_S = 4.0
# seconds: the SDK's default buckets are meant for milliseconds
DURATION_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _LiveSpan(Span):
    __slots__ = ("_cm", "_span", "_start")

    def __init__(self, cm: Any) -> None:
        self._cm = cm
        self._span: OtelSpan | None = None
        self._start = 0.0

    def __enter__(self) -> Span:
        self._start = time.perf_counter()
        self._span = self._cm.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._cm.__exit__(*exc)

    def set(self, key: str, value: AttributeValue | None) -> None:
        if value is not None and self._span is not None:
            self._span.set_attribute(key, value)

    def update(self, attributes: Attributes) -> None:
        if self._span is not None:
            self._span.set_attributes(attributes)

    def fail(self, description: str) -> None:
        from opentelemetry.trace import Status, StatusCode  # noqa: PLC0415

        if self._span is not None:
            self._span.set_status(Status(StatusCode.ERROR, description))

    def elapsed(self) -> float:
        return time.perf_counter() - self._start

    @property
    def trace_id(self) -> str | None:
        context = self._span.get_span_context() if self._span is not None else None
        return format(context.trace_id, "032x") if context is not None and context.is_valid else None


class _PastSpan(_LiveSpan):
    __slots__ = ("_attributes", "_end_ns", "_name", "_start_ns", "_tracer")

    def __init__(self, tracer: Tracer, name: str, start_ns: int, end_ns: int, attributes: Attributes | None) -> None:
        super().__init__(None)
        self._tracer, self._name, self._attributes = tracer, name, attributes
        self._start_ns, self._end_ns = start_ns, max(start_ns, end_ns)

    def __enter__(self) -> Span:
        self._span = self._tracer.start_span(self._name, attributes=self._attributes, start_time=self._start_ns)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._span is not None:
            self._span.end(end_time=self._end_ns)

    def elapsed(self) -> float:
        return (self._end_ns - self._start_ns) / 1e9


class Telemetry:
    """One configured tracer provider and meter provider with the run's instruments. Providers are
    kept here, not installed globally: OpenTelemetry refuses to replace a global provider, and
    tests (and a long-lived server) configure more than once."""

    def __init__(
        self,
        tracer_provider: TracerProvider,
        tracer: Tracer,
        meter_provider: MeterProvider,
        closers: list[Callable[[], None]],
        link: _Link,
    ) -> None:
        from opentelemetry.trace import SpanKind  # noqa: PLC0415

        self.tracer_provider = tracer_provider
        self.tracer = tracer
        self.meter_provider = meter_provider
        self.closers = closers
        self.link = link
        self.readers: list[Any] = []  # metric readers (a periodic one restarts its thread in a forked child)
        self.kinds = {"internal": SpanKind.INTERNAL, "server": SpanKind.SERVER, "client": SpanKind.CLIENT}
        meter = meter_provider.get_meter("anops_policy")
        self.decisions = meter.create_counter("anops.decisions", "{decision}", "Decisions by policy and outcome")
        self.collector_duration = meter.create_histogram(
            "anops.collector.duration",
            "s",
            "Time each collector took",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self.policy_duration = meter.create_histogram(
            "anops.policy.duration",
            "s",
            "Time each policy's evaluation took",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self.rpc_calls = meter.create_counter("anops.rpc.calls", "{call}", "gRPC calls served, by method and code")
        self.rpc_duration = meter.create_histogram(
            "rpc.server.call.duration",
            "s",
            "Duration of gRPC calls served",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )

    @classmethod
    def build(cls, trace_file: Path | None, span_exporter: Any, metric_reader: Any) -> Telemetry:
        from opentelemetry.sdk.metrics import MeterProvider  # noqa: PLC0415
        from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader  # noqa: PLC0415
        from opentelemetry.sdk.resources import Resource  # noqa: PLC0415
        from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
        from opentelemetry.sdk.trace.export import (  # noqa: PLC0415
            BatchSpanProcessor,
            ConsoleSpanExporter,
            SimpleSpanProcessor,
        )

        from anops_policy import __version__  # noqa: PLC0415

        _route_sdk_logs()
        env = os.environ
        resource = Resource.create({"service.version": __version__})  # + OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME
        if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
            resource = resource.merge(Resource({"service.name": SERVICE_NAME}))
        closers: list[Callable[[], None]] = []
        link = _Link()
        sdk_disabled = env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"
        tracer_provider = TracerProvider(resource=resource)  # honours OTEL_TRACES_SAMPLER and span limits
        readers = [metric_reader] if metric_reader is not None else []
        if span_exporter is not None:
            tracer_provider.add_span_processor(SimpleSpanProcessor(span_exporter))
        if trace_file is not None:
            stream = _open_trace_file(trace_file)
            closers.append(stream.close)
            tracer_provider.add_span_processor(
                SimpleSpanProcessor(_muted(ConsoleSpanExporter(out=stream, formatter=_json_line), "spans", link))
            )
        for name in [] if sdk_disabled else _exporters(env, "TRACES"):
            if name == "otlp":
                exporter = _otlp_exporter("spans", link)
                if exporter is not None:
                    tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
            elif name == "console":  # stdout carries the report: spans go to stderr
                console = _muted(ConsoleSpanExporter(out=sys.stderr), "spans", link)
                tracer_provider.add_span_processor(SimpleSpanProcessor(console))
            else:
                _warn(f"exporter {name}", f"OTEL_TRACES_EXPORTER={name} is not supported (otlp, console, none)")
        for name in [] if sdk_disabled else _exporters(env, "METRICS"):
            if name == "otlp":
                exporter = _otlp_exporter("metrics", link)
                if exporter is not None:
                    readers.append(PeriodicExportingMetricReader(exporter))
            elif name == "console":
                console_metrics = _muted(ConsoleMetricExporter(out=sys.stderr), "metrics", link)
                readers.append(PeriodicExportingMetricReader(console_metrics))
            else:
                _warn(f"exporter {name}", f"OTEL_METRICS_EXPORTER={name} is not supported (otlp, console, none)")
        meter_provider = MeterProvider(resource=resource, metric_readers=readers)
        tracer = tracer_provider.get_tracer("anops_policy", __version__)
        telemetry = cls(tracer_provider, tracer, meter_provider, closers, link)
        telemetry.readers = readers
        return telemetry

    def span(
        self, name: str, attributes: Attributes | None, kind: SpanKindName, carrier: Mapping[str, str] | None
    ) -> Span:
        context: Context | None = None
        if carrier:
            from opentelemetry.propagate import extract  # noqa: PLC0415 - W3C trace context + baggage

            context = extract(carrier)
        cm = self.tracer.start_as_current_span(
            name, context=context, kind=self.kinds.get(kind, self.kinds["internal"]), attributes=attributes
        )
        return _LiveSpan(cm)

    def inject(self, carrier: MutableMapping[str, str]) -> None:
        from opentelemetry.propagate import inject  # noqa: PLC0415

        inject(carrier)

    def current_trace_id(self) -> str | None:
        from opentelemetry.trace import get_current_span  # noqa: PLC0415

        context = get_current_span().get_span_context()
        return format(context.trace_id, "032x") if context.is_valid else None

    def collector_done(self, name: str, status: str, seconds: float) -> None:
        self.collector_duration.record(seconds, {"anops.collector.name": name, "anops.collector.status": status})

    def policy_done(self, policy_id: str, pack: str, counts: Mapping[str, int], seconds: float) -> None:
        for outcome, n in counts.items():
            self.decisions.add(n, {"anops.policy.id": policy_id, "anops.pack": pack, "anops.outcome": outcome})
        self.policy_duration.record(seconds, {"anops.policy.id": policy_id, "anops.pack": pack})

    def rpc_done(self, method: str, code: str, seconds: float) -> None:
        service, _, name = method.lstrip("/").rpartition("/")
        attributes = {
            "rpc.system": "grpc",
            "rpc.service": service,
            "rpc.method": name,
            "rpc.response.status_code": code,
        }
        self.rpc_calls.add(1, attributes)
        self.rpc_duration.record(seconds, attributes)

    def shutdown(self) -> None:
        """Flush spans, then metrics; never raises (an exporter problem was already warned about)."""
        self.link.closing = True
        for step in (self.tracer_provider.shutdown, self.meter_provider.shutdown, *self.closers):
            try:
                step()
            except Exception as exc:  # a failing exporter must not fail the run
                _warn(f"shutdown {type(exc).__name__}", f"flushing telemetry failed: {type(exc).__name__}: {exc}")


def _open_trace_file(path: Path) -> TextIO:
    from anops_policy.errors import ConfigError  # noqa: PLC0415

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("w", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--trace-file {path}: cannot write: {exc.strerror or exc}") from None


def _json_line(span: ReadableSpan) -> str:
    """One finished span as one JSON line: ids in the hex form OTLP/JSON and trace viewers use."""
    context = span.get_span_context()
    parent = span.parent
    out = {
        "name": span.name,
        "trace_id": format(context.trace_id, "032x") if context else None,
        "span_id": format(context.span_id, "016x") if context else None,
        "parent_span_id": format(parent.span_id, "016x") if parent else None,
        "kind": span.kind.name,
        "start_time_unix_nano": span.start_time,
        "end_time_unix_nano": span.end_time,
        "status": {"code": span.status.status_code.name, "description": span.status.description},
        "attributes": {k: list(v) if isinstance(v, tuple) else v for k, v in (span.attributes or {}).items()},
        "events": [
            {"name": e.name, "time_unix_nano": e.timestamp, "attributes": dict(e.attributes or {})} for e in span.events
        ],
        "resource": dict(span.resource.attributes),
    }
    return json.dumps(out, default=str, separators=(",", ":")) + "\n"


def _otlp_exporter(what: str, link: _Link) -> Any:
    """The OTLP/gRPC exporter for "spans" or "metrics" (endpoint, headers, TLS, compression and timeout
    from OTEL_EXPORTER_OTLP_*), or None after a warning when those variables are unusable."""
    protocol = os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc").strip().lower()
    if protocol != "grpc":
        _warn("protocol", f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol} is not supported; exporting over OTLP/gRPC")
    try:
        if what == "spans":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter  # noqa: PLC0415

            return _guarded(OTLPSpanExporter(timeout=_export_timeout("TRACES")), what, link)
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter  # noqa: PLC0415

        return _guarded(OTLPMetricExporter(timeout=_export_timeout("METRICS")), what, link)
    except Exception as exc:  # e.g. OTEL_EXPORTER_OTLP_COMPRESSION=zip: no export, but the run goes on
        _warn(f"setup {what}", f"cannot export {what}: {type(exc).__name__}: {exc}")
        return None


def _export_timeout(signal: str) -> float | None:
    """The SDK waits up to 10 s (retrying) for an unreachable collector; a CI gate should not. Unless
    OTEL_EXPORTER_OTLP_[<SIGNAL>_]TIMEOUT says otherwise, give up after EXPORT_TIMEOUT_S."""
    names = ("OTEL_EXPORTER_OTLP_TIMEOUT", f"OTEL_EXPORTER_OTLP_{signal}_TIMEOUT")
    return None if any(os.environ.get(n) for n in names) else EXPORT_TIMEOUT_S


def _route_sdk_logs() -> None:
    """The SDK reports bad settings (a sampler name, a header) through ``logging``: make each one a
    ``warning: tracing:`` line like ours, once; the exporter's per-retry lines are replaced by the one
    failure warning of ``_guarded``."""
    import logging  # noqa: PLC0415 - not needed (nor paid for) while tracing is off

    class ToWarning(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage().splitlines()[0] if record.getMessage() else record.name
            _warn(f"log {message}", message)

    sdk = logging.getLogger("opentelemetry")
    if not any(type(h).__name__ == "ToWarning" for h in sdk.handlers):
        sdk.addHandler(ToWarning(logging.WARNING))
        sdk.propagate = False
    exporter = logging.getLogger("opentelemetry.exporter.otlp.proto.grpc.exporter")
    exporter.propagate = False
    if not exporter.handlers:
        exporter.addHandler(logging.NullHandler())


class _Link:
    """What the OTLP exporters of one setup know about their collector."""

    failed = False  # the last export failed
    closing = False  # shutdown is flushing
    muted = False  # a forked worker process: its copies of the parent's spans and metrics are not its own


def _guarded(exporter: Any, what: str, link: _Link) -> Any:
    """Wrap an OTLP exporter's ``export`` so that a failure (no collector listening, refused headers…)
    becomes one warning on stderr instead of SDK log lines or an exception, and never a failed run.
    While shutting down, a collector that just failed is not waited for again (spans and metrics
    share the endpoint: one timeout at exit, not two)."""
    inner = exporter.export

    def export(*args: Any, **kwargs: Any) -> Any:
        if link.muted:
            return _success(what)
        if link.closing and link.failed:
            return _failure(what)
        try:
            result = inner(*args, **kwargs)
        except Exception as exc:
            link.failed = True
            _warn(f"export {what}", f"exporting {what} failed: {type(exc).__name__}: {exc}")
            return _failure(what)
        link.failed = getattr(result, "name", "SUCCESS") != "SUCCESS"
        if link.failed:
            signal = "TRACES" if what == "spans" else "METRICS"
            where = (
                os.environ.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
                or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
                or "localhost:4317"
            )
            _warn(f"export {what}", f"could not export {what} to {where} (is an OTLP collector listening?)")
        return result

    exporter.export = export
    return exporter


def _muted(exporter: Any, what: str, link: _Link) -> Any:
    """Console and trace-file exporters: silent in a forked worker (see ``forked_worker``)."""
    inner = exporter.export

    def export(*args: Any, **kwargs: Any) -> Any:
        return _success(what) if link.muted else inner(*args, **kwargs)

    exporter.export = export
    return exporter


def _success(what: str) -> Any:
    if what == "spans":
        from opentelemetry.sdk.trace.export import SpanExportResult  # noqa: PLC0415

        return SpanExportResult.SUCCESS
    from opentelemetry.sdk.metrics.export import MetricExportResult  # noqa: PLC0415

    return MetricExportResult.SUCCESS


def _failure(what: str) -> Any:
    if what == "spans":
        from opentelemetry.sdk.trace.export import SpanExportResult  # noqa: PLC0415

        return SpanExportResult.FAILURE
    from opentelemetry.sdk.metrics.export import MetricExportResult  # noqa: PLC0415

    return MetricExportResult.FAILURE
