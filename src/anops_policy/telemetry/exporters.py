"""Where a tracing setup's spans and metrics go: OTLP/gRPC, the console and the ``--trace-file``, each
exporter wrapped so that its failure is one warning and never a failed run."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from anops_policy.telemetry.tracing import warn_once

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan

EXPORT_TIMEOUT_S = 4.0


def open_trace_file(path: Path) -> TextIO:
    from anops_policy.errors import ConfigError  # noqa: PLC0415

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("w", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--trace-file {path}: cannot write: {exc.strerror or exc}") from None


def json_line(span: ReadableSpan) -> str:
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


def otlp_exporter(what: str, link: ExporterState) -> Any:
    """The OTLP/gRPC exporter for "spans" or "metrics" (endpoint, headers, TLS, compression and timeout
    from OTEL_EXPORTER_OTLP_*), or None after a warning when those variables are unusable."""
    protocol = os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc").strip().lower()
    if protocol != "grpc":
        warn_once("protocol", f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol} is not supported; exporting over OTLP/gRPC")
    try:
        if what == "spans":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter  # noqa: PLC0415

            return _guarded(OTLPSpanExporter(timeout=_export_timeout("TRACES")), what, link)
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter  # noqa: PLC0415

        return _guarded(OTLPMetricExporter(timeout=_export_timeout("METRICS")), what, link)
    except Exception as exc:  # e.g. OTEL_EXPORTER_OTLP_COMPRESSION=zip: no export, but the run goes on
        warn_once(f"setup {what}", f"cannot export {what}: {type(exc).__name__}: {exc}")
        return None


def _export_timeout(signal: str) -> float | None:
    """The SDK waits up to 10 s (retrying) for an unreachable collector; a CI gate should not. Unless
    OTEL_EXPORTER_OTLP_[<SIGNAL>_]TIMEOUT says otherwise, give up after EXPORT_TIMEOUT_S."""
    names = ("OTEL_EXPORTER_OTLP_TIMEOUT", f"OTEL_EXPORTER_OTLP_{signal}_TIMEOUT")
    return None if any(os.environ.get(n) for n in names) else EXPORT_TIMEOUT_S


def route_sdk_logs() -> None:
    """The SDK reports bad settings (a sampler name, a header) through ``logging``: make each one a
    ``warning: tracing:`` line like ours, once; the exporter's per-retry lines are replaced by the one
    failure warning of ``_guarded``."""
    import logging  # noqa: PLC0415 - not needed (nor paid for) while tracing is off

    class ToWarning(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage().splitlines()[0] if record.getMessage() else record.name
            warn_once(f"log {message}", message)

    sdk = logging.getLogger("opentelemetry")
    if not any(type(h).__name__ == "ToWarning" for h in sdk.handlers):
        sdk.addHandler(ToWarning(logging.WARNING))
        sdk.propagate = False
    exporter = logging.getLogger("opentelemetry.exporter.otlp.proto.grpc.exporter")
    exporter.propagate = False
    if not exporter.handlers:
        exporter.addHandler(logging.NullHandler())


class ExporterState:
    """What the OTLP exporters of one setup know about their collector."""

    failed = False  # the last export failed
    closing = False  # shutdown is flushing
    muted = False  # a forked worker process: its copies of the parent's spans and metrics are not its own


def _guarded(exporter: Any, what: str, link: ExporterState) -> Any:
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
            warn_once(f"export {what}", f"exporting {what} failed: {type(exc).__name__}: {exc}")
            return _failure(what)
        link.failed = getattr(result, "name", "SUCCESS") != "SUCCESS"
        if link.failed:
            signal = "TRACES" if what == "spans" else "METRICS"
            where = (
                os.environ.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
                or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
                or "localhost:4317"
            )
            warn_once(f"export {what}", f"could not export {what} to {where} (is an OTLP collector listening?)")
        return result

    exporter.export = export
    return exporter


def muted(exporter: Any, what: str, link: ExporterState) -> Any:
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
