"""Decisions as OpenTelemetry log records: in process through the SDK's in-memory exporter, and from a
real ``eval`` process over OTLP/gRPC to a receiver on loopback that decodes the collector's messages."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
from store_helpers import NOW, anops, invoke, make_repo

from anops_policy.telemetry import decision_logs


@pytest.fixture
def memory() -> Iterator[InMemoryLogRecordExporter]:
    exporter = InMemoryLogRecordExporter()
    decision_logs.use_exporter(exporter)
    yield exporter
    decision_logs.use_exporter(None)


def test_one_record_per_evaluation_and_per_failing_decision(memory: InMemoryLogRecordExporter, tmp_path: Path,
                                                            pg_url: str) -> None:
    repo, pack = make_repo(tmp_path)
    out = invoke("eval", str(repo), "--policies", str(pack), "--now", NOW, "--decision-log", pg_url, "--stream",
                 "acme/otel", "-q", "--format", "json")
    assert out.exit_code == 1, out.output
    records = [r.log_record for r in memory.get_finished_logs()]
    assert [r.event_name for r in records] == ["anops.evaluation", "anops.decision"]
    evaluation, decision = records
    assert evaluation.attributes is not None and decision.attributes is not None
    assert evaluation.attributes["anops.stream"] == "acme/otel"
    assert evaluation.attributes["anops.blocking_failures"] == 1
    assert "0 of 1 applicable checklist items satisfied" in str(evaluation.body)
    assert decision.attributes["anops.decision.policy"] == "no-todos"
    assert decision.attributes["anops.decision.subject"] == "src/build.rs"
    assert decision.body == "src/build.rs has 1 markers"
    assert decision.attributes["anops.decision_id"] == evaluation.attributes["anops.decision_id"]
    assert "127.0.0.1" in str(evaluation.attributes["anops.log"])


def test_nothing_is_emitted_when_export_is_not_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_LOGS_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    decision_logs.use_exporter(None)
    assert decision_logs.emit_evaluation({"kind": "eval", "decisions": []}, "x") == 0


class LogsReceiver(logs_service_pb2_grpc.LogsServiceServicer):
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[logs_service_pb2.ExportLogsServiceRequest] = []

    def Export(self, request: Any, context: grpc.ServicerContext) -> Any:
        with self.lock:
            self.requests.append(request)
        return logs_service_pb2.ExportLogsServiceResponse()

    def records(self) -> list[Any]:
        return [record for request in self.requests for resource in request.resource_logs
                for scope in resource.scope_logs for record in scope.log_records]


class SpansReceiver(trace_service_pb2_grpc.TraceServiceServicer, metrics_service_pb2_grpc.MetricsServiceServicer):
    """The traces and metrics the same run exports (kept for the trace ids)."""

    def __init__(self) -> None:
        self.trace_ids: set[bytes] = set()

    def Export(self, request: Any, context: grpc.ServicerContext) -> Any:
        if isinstance(request, trace_service_pb2.ExportTraceServiceRequest):
            self.trace_ids.update(span.trace_id for rs in request.resource_spans for ss in rs.scope_spans
                                  for span in ss.spans)
            return trace_service_pb2.ExportTraceServiceResponse()
        return metrics_service_pb2.ExportMetricsServiceResponse()


def test_eval_exports_decisions_over_otlp_correlated_with_its_trace(tmp_path: Path) -> None:
    receiver = LogsReceiver()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    spans = SpansReceiver()
    logs_service_pb2_grpc.add_LogsServiceServicer_to_server(receiver, server)
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(spans, server)
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(spans, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        repo, pack = make_repo(tmp_path)
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        env.update(OTEL_LOGS_EXPORTER="otlp", OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{port}")
        proc = anops("eval", str(repo), "--policies", str(pack), "--now", NOW, "-q", env=env)
        assert proc.returncode == 1, proc.stderr
    finally:
        server.stop(grace=None)
    records = receiver.records()
    assert [r.event_name for r in records] == ["anops.evaluation", "anops.decision"]
    attributes = {a.key: a.value for a in records[1].attributes}
    assert attributes["anops.decision.policy"].string_value == "no-todos"
    assert records[0].trace_id and records[0].trace_id == records[1].trace_id
    assert records[0].trace_id in spans.trace_ids  # the evaluation's own trace, exported beside them
