"""The OpenTelemetry SDK side of tracing, reached only once ``tracing.configure()`` turns it on: the
providers and instruments of one setup, and the spans it records."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anops_policy.telemetry.exporters import (
    ExporterState,
    json_line,
    muted,
    open_trace_file,
    otlp_exporter,
    route_sdk_logs,
)
from anops_policy.telemetry.tracing import (
    Attributes,
    AttributeValue,
    Span,
    SpanKindName,
    exporter_names,
    warn_once,
)

if TYPE_CHECKING:  # annotations only: opentelemetry is imported at run time in Telemetry.build
    from opentelemetry.context import Context
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span as OtelSpan
    from opentelemetry.trace import Tracer

SERVICE_NAME = "anops-policy"
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
        link: ExporterState,
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
        self.unrecorded = meter.create_counter(
            "anops.decisions.unrecorded", "{evaluation}",
            "Evaluations answered without a decision record (serve --decision-log-optional), by stream",
        )
        self.pack_refreshes = meter.create_counter(
            "anops.pack.refreshes", "{check}", "Checks of followed packs (serve --pack-refresh), by pack and outcome"
        )
        self.pack_refresh_duration = meter.create_histogram(
            "anops.pack.refresh.duration",
            "s",
            "Time a check of a followed pack took (resolve, fetch, verify, load)",
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

        route_sdk_logs()
        env = os.environ
        resource = Resource.create({"service.version": __version__})  # + OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME
        if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
            resource = resource.merge(Resource({"service.name": SERVICE_NAME}))
        closers: list[Callable[[], None]] = []
        link = ExporterState()
        sdk_disabled = env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"
        tracer_provider = TracerProvider(resource=resource)  # honours OTEL_TRACES_SAMPLER and span limits
        readers = [metric_reader] if metric_reader is not None else []
        if span_exporter is not None:
            tracer_provider.add_span_processor(SimpleSpanProcessor(span_exporter))
        if trace_file is not None:
            stream = open_trace_file(trace_file)
            closers.append(stream.close)
            tracer_provider.add_span_processor(
                SimpleSpanProcessor(muted(ConsoleSpanExporter(out=stream, formatter=json_line), "spans", link))
            )
        for name in [] if sdk_disabled else exporter_names(env, "TRACES"):
            if name == "otlp":
                exporter = otlp_exporter("spans", link)
                if exporter is not None:
                    tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
            elif name == "console":  # stdout carries the report: spans go to stderr
                console = muted(ConsoleSpanExporter(out=sys.stderr), "spans", link)
                tracer_provider.add_span_processor(SimpleSpanProcessor(console))
            else:
                warn_once(f"exporter {name}", f"OTEL_TRACES_EXPORTER={name} is not supported (otlp, console, none)")
        for name in [] if sdk_disabled else exporter_names(env, "METRICS"):
            if name == "otlp":
                exporter = otlp_exporter("metrics", link)
                if exporter is not None:
                    readers.append(PeriodicExportingMetricReader(exporter))
            elif name == "console":
                console_metrics = muted(ConsoleMetricExporter(out=sys.stderr), "metrics", link)
                readers.append(PeriodicExportingMetricReader(console_metrics))
            else:
                warn_once(f"exporter {name}", f"OTEL_METRICS_EXPORTER={name} is not supported (otlp, console, none)")
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

    def past_span(self, name: str, start_ns: int, end_ns: int, attributes: Attributes | None) -> Span:
        return _PastSpan(self.tracer, name, start_ns, end_ns, attributes)

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

    def pack_refresh_done(self, pack: str, outcome: str, seconds: float) -> None:
        attributes = {"anops.pack": pack, "anops.pack.refresh.outcome": outcome}
        self.pack_refreshes.add(1, attributes)
        self.pack_refresh_duration.record(seconds, attributes)

    def shutdown(self) -> None:
        """Flush spans, then metrics; never raises (an exporter problem was already warned about)."""
        self.link.closing = True
        for step in (self.tracer_provider.shutdown, self.meter_provider.shutdown, *self.closers):
            try:
                step()
            except Exception as exc:  # a failing exporter must not fail the run
                warn_once(f"shutdown {type(exc).__name__}", f"flushing telemetry failed: {type(exc).__name__}: {exc}")
