"""Decisions as OpenTelemetry log records, so the organisation's observability pipeline sees them like
any other event: one record per evaluation (its summary) and one per failing or erroring decision,
correlated with the evaluation's trace.

On when ``OTEL_LOGS_EXPORTER`` is ``otlp`` or ``console``, or when an OTLP endpoint is configured
(``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_LOGS_ENDPOINT``) and ``OTEL_LOGS_EXPORTER`` is not
``none``; off otherwise, at no cost (the SDK is imported only when on). The SDK's logs API is still
marked experimental (``opentelemetry.sdk._logs``): it is used here only, with the version range pinned
in pyproject.toml. Records are exported synchronously (a simple processor): a CI process or a server
worker can end right after recording, and a batch would be lost with it; an export that fails is
warned about once and never fails the evaluation (the decision log, not this, is the audit trail).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

SCOPE = "anops_policy.decisions"
MAX_DECISION_RECORDS = 200  # a run with thousands of failures sends the first ones and says how many were left

DECISION_FIELDS = ("policy", "subject", "outcome", "severity", "enforcement", "blocking", "checklist", "fingerprint")

_state: dict[str, Any] = {}


def enabled() -> bool:
    choice = os.environ.get("OTEL_LOGS_EXPORTER", "").strip().lower()
    if choice == "none":
        return False
    if choice in ("otlp", "console"):
        return True
    return bool(os.environ.get("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))


def use_exporter(exporter: Any | None) -> None:
    """Send the records to ``exporter`` (an SDK ``LogExporter``, such as the in-memory one in tests)
    whatever the environment says; None returns to the environment's choice."""
    _state.clear()
    if exporter is not None:
        _state["logger"] = _logger_for([exporter])


def _logger_for(exporters: list[Any]) -> Any:
    from opentelemetry.sdk._logs import LoggerProvider  # noqa: PLC0415
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor  # noqa: PLC0415
    from opentelemetry.sdk.resources import Resource  # noqa: PLC0415

    provider = LoggerProvider(resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME")
                                                        or "anops-policy"}))
    for exporter in exporters:
        provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    _state["provider"] = provider
    return provider.get_logger(SCOPE)


def _configured_logger() -> Any | None:
    if "logger" in _state:
        return _state["logger"]
    if not enabled():
        return None
    choice = os.environ.get("OTEL_LOGS_EXPORTER", "otlp").strip().lower() or "otlp"
    try:
        if choice == "console":
            from opentelemetry.sdk._logs.export import ConsoleLogExporter  # noqa: PLC0415

            exporter: Any = ConsoleLogExporter(out=sys.stderr)
        else:
            from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter  # noqa: PLC0415

            exporter = OTLPLogExporter(timeout=10)
        _state["logger"] = _logger_for([exporter])
    except Exception as exc:  # a bad OTEL_* setting: the evaluation goes on, recorded in its log
        print(f"warning: decisions are not exported as OpenTelemetry logs: {exc}", file=sys.stderr)
        _state["logger"] = None
    return _state["logger"]


def _context(trace_id: Any) -> Any:
    """A context whose span is the evaluation's trace (so a log backend links the records to it)."""
    from opentelemetry import trace  # noqa: PLC0415

    try:
        tid = int(str(trace_id), 16)
    except ValueError:
        return None
    span = trace.NonRecordingSpan(trace.SpanContext(tid, 1, is_remote=True,
                                                    trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED)))
    return trace.set_span_in_context(span)


def _scalar(value: Any) -> Any:
    return value if isinstance(value, (str, bool, int, float)) else str(value)


def emit_evaluation(event: Mapping[str, Any], where: str, stream: str | None = None) -> int:
    """Emit the records of one recorded evaluation ``event`` (from ``where``: the log or store); how many."""
    logger = _configured_logger()
    if logger is None or event.get("kind") != "eval":
        return 0
    from opentelemetry._logs import SeverityNumber  # noqa: PLC0415

    trace_id = event.get("trace_id")
    context = _context(trace_id) if trace_id else None
    repo = event.get("repo") or {}
    summary = event.get("summary") or {}
    common = {
        "anops.decision_id": str(event.get("decision_id")), "anops.log": where,
        "anops.log.seq": int(event.get("seq") or 0), "anops.log.hash": str(event.get("hash")),
        "vcs.repository.name": str(repo.get("name") or ""), "vcs.ref.head.revision": str(repo.get("commit") or ""),
        **({"anops.stream": stream} if stream else {}),
    }
    blocking = int(summary.get("blocking_failures") or 0)
    outcomes = {f"anops.outcomes.{k}": int(v) for k, v in (summary.get("outcomes") or {}).items()}
    logger.emit(context=context, event_name="anops.evaluation", body=str(summary.get("line") or ""),
                severity_number=SeverityNumber.WARN if blocking else SeverityNumber.INFO,
                severity_text="WARN" if blocking else "INFO",
                attributes={**common, **outcomes, "anops.items.satisfied": int(summary.get("items_satisfied") or 0),
                            "anops.items.applicable": int(summary.get("items_applicable") or 0),
                            "anops.blocking_failures": blocking,
                            "anops.actor": str((event.get("actor") or {}).get("name") or "")})
    sent = 1
    failing = [d for d in event.get("decisions") or [] if d.get("outcome") in ("fail", "error")]
    for decision in failing[:MAX_DECISION_RECORDS]:
        attributes = {f"anops.decision.{k}": _scalar(decision.get(k)) for k in DECISION_FIELDS
                      if decision.get(k) is not None}
        logger.emit(context=context, event_name="anops.decision", body=str(decision.get("message") or ""),
                    severity_number=SeverityNumber.ERROR if decision.get("blocking") else SeverityNumber.WARN,
                    severity_text="ERROR" if decision.get("blocking") else "WARN",
                    attributes={**common, **attributes})
        sent += 1
    if len(failing) > MAX_DECISION_RECORDS:
        logger.emit(context=context, event_name="anops.decision.truncated", severity_number=SeverityNumber.WARN,
                    body=f"{len(failing) - MAX_DECISION_RECORDS} more failing decisions are in the decision log",
                    attributes=common)
        sent += 1
    return sent
