"""A real ``anops-policy eval`` process exporting over OTLP/gRPC to a tiny collector on loopback that
decodes the collector-side ``opentelemetry-proto`` messages; and what happens when nobody listens."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from .conftest import clean_env, eval_process, run_python


class Receiver(trace_service_pb2_grpc.TraceServiceServicer, metrics_service_pb2_grpc.MetricsServiceServicer):
    """Keeps every decoded export request and the metadata it came with."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.traces: list[trace_service_pb2.ExportTraceServiceRequest] = []
        self.metrics: list[metrics_service_pb2.ExportMetricsServiceRequest] = []
        self.metadata: list[dict[str, str]] = []

    def Export(self, request: Any, context: grpc.ServicerContext) -> Any:
        with self.lock:
            self.metadata.append(dict(context.invocation_metadata()))
            if isinstance(request, trace_service_pb2.ExportTraceServiceRequest):
                self.traces.append(request)
                return trace_service_pb2.ExportTraceServiceResponse()
            self.metrics.append(request)
            return metrics_service_pb2.ExportMetricsServiceResponse()

    def spans(self) -> list[tuple[dict[str, Any], Any]]:
        """(resource attributes, span) for every span received."""
        out = []
        for request in self.traces:
            for resource_spans in request.resource_spans:
                resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                for scope in resource_spans.scope_spans:
                    out.extend((resource, span) for span in scope.spans)
        return out

    def metric_names(self) -> set[str]:
        return {
            metric.name
            for request in self.metrics
            for resource_metrics in request.resource_metrics
            for scope in resource_metrics.scope_metrics
            for metric in scope.metrics
        }


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, int]]:
    receiver = Receiver()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(receiver, server)
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(receiver, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield receiver, port
    server.stop(grace=None)


def test_eval_exports_its_span_tree_and_metrics_to_an_otlp_collector(receiver: tuple[Receiver, int]) -> None:
    collector, port = receiver
    env = clean_env(
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{port}",
        OTEL_SERVICE_NAME="ci-gate",
        OTEL_RESOURCE_ATTRIBUTES="deployment.environment=test",
        OTEL_EXPORTER_OTLP_HEADERS="x-tenant=platform",
    )
    proc = eval_process("--format", "json", env=env)
    assert proc.returncode == 1, proc.stderr  # the example has blocking failures: tracing changes nothing
    assert "warning" not in proc.stderr
    report = json.loads(proc.stdout)
    received = collector.spans()
    names = [span.name for _resource, span in received]
    assert names.count("anops.eval") == 1
    policies = {d["policy"] for d in report["decisions"]}
    assert {n.removeprefix("anops.policy ") for n in names if n.startswith("anops.policy ")} == policies
    assert {n.removeprefix("anops.collect ") for n in names if n.startswith("anops.collect ")} >= set(
        report["collectors"]
    )
    trace_ids = {span.trace_id.hex() for _resource, span in received}
    assert trace_ids == {report["trace_id"]}
    root = next(span for _resource, span in received if span.name == "anops.eval")
    assert all(span.parent_span_id == root.span_id for _r, span in received if span is not root)
    resource = received[0][0]
    assert resource["service.name"] == "ci-gate"
    assert resource["deployment.environment"] == "test"
    assert all(m.get("x-tenant") == "platform" for m in collector.metadata)
    assert {"anops.decisions", "anops.policy.duration", "anops.collector.duration"} <= collector.metric_names()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_collector_costs_one_warning_and_never_the_verdict() -> None:
    env = clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{free_port()}", OTEL_EXPORTER_OTLP_TIMEOUT="1")
    traced = eval_process("--format", "json", env=env)
    plain = eval_process("--format", "json", env=clean_env())
    assert traced.returncode == plain.returncode == 1
    warnings = [line for line in traced.stderr.splitlines() if line.startswith("warning: tracing:")]
    assert len(warnings) == 1 and "could not export" in warnings[0], traced.stderr
    assert "Traceback" not in traced.stderr
    traced_report, plain_report = json.loads(traced.stdout), json.loads(plain.stdout)
    assert len(traced_report.pop("trace_id")) == 32
    assert "trace_id" not in plain_report
    assert traced_report["decisions"] == plain_report["decisions"]


def test_otel_sdk_disabled_turns_the_export_off(receiver: tuple[Receiver, int]) -> None:
    collector, port = receiver
    env = clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{port}", OTEL_SDK_DISABLED="true")
    proc = eval_process("--format", "json", env=env)
    assert proc.returncode == 1, proc.stderr
    assert "trace_id" not in json.loads(proc.stdout)
    assert collector.traces == [] and collector.metrics == []


def test_an_error_exit_still_flushes_the_spans(receiver: tuple[Receiver, int], tmp_path: Any) -> None:
    collector, port = receiver
    env = clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{port}")
    missing = tmp_path / "missing.yaml"
    proc = eval_process("--config", str(missing), env=env)
    assert proc.returncode == 2, proc.stderr
    assert f"--config {missing}: no such file" in proc.stderr
    (root,) = [span for _resource, span in collector.spans() if span.name == "anops.eval"]
    assert root.status.code == root.status.STATUS_CODE_ERROR


TRACE_ONE_SPAN = """
from anops_policy.telemetry import tracing
tracing.configure()
with tracing.span("anops.eval"):
    pass
tracing.shutdown()
print("done")
"""


@pytest.mark.parametrize(
    ("setting", "warning"),
    [
        ({"OTEL_EXPORTER_OTLP_COMPRESSION": "zip"}, "cannot export spans: InvalidCompressionValueException"),
        ({"OTEL_EXPORTER_OTLP_TIMEOUT": "soon"}, "cannot export spans: ValueError"),
        ({"OTEL_EXPORTER_OTLP_HEADERS": "no-equals-sign"}, "Header format invalid"),
        ({"OTEL_TRACES_SAMPLER": "sometimes"}, "Couldn't recognize sampler sometimes"),
        ({"OTEL_RESOURCE_ATTRIBUTES": "team"}, "Invalid key value resource attribute pair team"),
        (
            {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
            "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf is not supported",
        ),
        ({"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER=zipkin is not supported"),
    ],
)
def test_unusable_otel_settings_are_warnings_not_failures(
    receiver: tuple[Receiver, int], setting: dict[str, str], warning: str
) -> None:
    _collector, port = receiver
    env = clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{port}", OTEL_METRICS_EXPORTER="none", **setting)
    proc = run_python(TRACE_ONE_SPAN, env=env)
    assert proc.returncode == 0 and proc.stdout == "done\n", proc.stderr
    lines = proc.stderr.splitlines()
    assert lines and all(line.startswith("warning: tracing: ") for line in lines), proc.stderr
    assert any(warning in line for line in lines), proc.stderr
