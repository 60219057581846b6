"""One ``eval`` of the example through the engine API with an in-memory exporter and metric reader:
the span tree, its attributes, the metrics, and the trace id in the report and the decision log."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from anops_policy.facts import parse_now
from anops_policy.pipeline.run import EvalRequest, run_eval
from anops_policy.telemetry import tracing
from anops_policy.validation import validator

from .conftest import EXAMPLE, NOW


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    spans = InMemorySpanExporter()
    metrics = InMemoryMetricReader()
    assert tracing.configure(span_exporter=spans, metric_reader=metrics)
    log = tmp_path_factory.mktemp("log") / "decisions.jsonl"
    try:
        report, _doc, _config, packs = run_eval(
            EvalRequest(path=EXAMPLE, now=parse_now(NOW), record=True, decision_log=log)
        )
        data = metrics.get_metrics_data()
    finally:
        tracing.shutdown()
    return {"spans": spans.get_finished_spans(), "metrics": data, "report": report, "packs": packs, "log": log}


def by_name(spans: Any) -> dict[str, ReadableSpan]:
    names = Counter(s.name for s in spans)
    assert [n for n, c in names.items() if c > 1] == [], "one span per collector and per policy"
    return {s.name: s for s in spans}


def test_root_span_is_the_run_and_every_other_span_is_its_child(traced: dict[str, Any]) -> None:
    spans = by_name(traced["spans"])
    root = spans["anops.eval"]
    assert root.parent is None
    trace_id = root.context.trace_id
    for span in spans.values():
        assert span.context.trace_id == trace_id
        if span is not root:
            assert span.parent is not None and span.parent.span_id == root.context.span_id, span.name
            assert root.start_time <= span.start_time <= span.end_time <= root.end_time
    report = traced["report"]
    assert root.attributes["anops.decisions"] == len(report.decisions)
    assert root.attributes["anops.exit_code"] == report.exit_code == 1
    assert root.attributes["anops.blocking_failures"] == len(report.blocking)
    assert root.attributes["anops.facts_digest"] == report.run["facts_digest"]


def test_one_span_per_collector_with_status_and_file_counts(traced: dict[str, Any]) -> None:
    spans = by_name(traced["spans"])
    collected = {n.removeprefix("anops.collect "): s for n, s in spans.items() if n.startswith("anops.collect ")}
    meta = traced["report"].collectors
    assert set(meta) <= set(collected)
    for name, span in collected.items():
        assert span.attributes["anops.collector.name"] == name
        if name in meta:
            assert span.attributes["anops.collector.status"] == meta[name]["status"]
            assert span.attributes["anops.collector.files_skipped"] == len(meta[name].get("skipped", []))
        assert span.attributes["anops.collector.files_read"] >= 0
    # the example really is read: the todos and python collectors open files
    assert collected["todos"].attributes["anops.collector.files_read"] > 0
    assert collected["python"].attributes["anops.collector.files_read"] > 0
    assert meta["images"]["status"] == "not_configured"
    assert collected["images"].attributes["anops.collector.status"] == "not_configured"


def test_one_span_per_policy_with_subject_and_outcome_counts(traced: dict[str, Any]) -> None:
    spans = by_name(traced["spans"])
    report = traced["report"]
    policies = {p.id for pack in traced["packs"] for p in pack.policies}
    evaluated = {n.removeprefix("anops.policy "): s for n, s in spans.items() if n.startswith("anops.policy ")}
    assert set(evaluated) == policies
    for policy_id, span in evaluated.items():
        decisions = [d for d in report.decisions if d.policy == policy_id]
        outcomes = Counter(d.outcome.value for d in decisions)
        attributes = dict(span.attributes)
        assert attributes["anops.policy.id"] == policy_id
        assert attributes["anops.policy.decisions"] == len(decisions)
        assert attributes["anops.policy.subjects"] == len({d.subject for d in decisions if d.subject is not None})
        assert {
            k.removeprefix("anops.outcome."): v for k, v in attributes.items() if k.startswith("anops.outcome.")
        } == outcomes
    # a for_each policy with several subjects, and a mixed result, are both in the example
    assert evaluated["dockerfiles-install-nothing-unnecessary"].attributes["anops.policy.subjects"] > 1


def test_trace_id_in_the_report_and_the_decision_log(traced: dict[str, Any]) -> None:
    root = by_name(traced["spans"])["anops.eval"]
    trace_id = format(root.context.trace_id, "032x")
    report = traced["report"].to_json()
    assert report["trace_id"] == trace_id
    assert list(validator("report").iter_errors(report)) == []
    events = [json.loads(line) for line in Path(traced["log"]).read_text().splitlines() if line.strip()]
    assert events[-1]["trace_id"] == trace_id
    assert list(validator("decision-log-event").iter_errors(events[-1])) == []
    assert traced["report"].logged["event"]["trace_id"] == trace_id


def metric_points(data: Any) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for resource in data.resource_metrics:
        assert resource.resource.attributes["service.name"] == "anops-policy"
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                out.setdefault(metric.name, []).extend(metric.data.data_points)
    return out


def test_metrics_count_decisions_by_policy_and_outcome_and_time_each_step(traced: dict[str, Any]) -> None:
    points = metric_points(traced["metrics"])
    report = traced["report"]
    counted = {
        (p.attributes["anops.policy.id"], p.attributes["anops.outcome"]): p.value for p in points["anops.decisions"]
    }
    assert counted == dict(Counter((d.policy, d.outcome.value) for d in report.decisions))
    policies = {p.id for pack in traced["packs"] for p in pack.policies}
    durations = {p.attributes["anops.policy.id"]: p for p in points["anops.policy.duration"]}
    assert set(durations) == policies
    assert all(p.count == 1 and p.sum >= 0 for p in durations.values())
    collectors = {p.attributes["anops.collector.name"]: p for p in points["anops.collector.duration"]}
    assert set(report.collectors) <= set(collectors)
    assert all(p.count == 1 for p in collectors.values())


def test_rpc_metrics_and_a_remote_parent(traced: dict[str, Any]) -> None:
    """The gRPC interceptor's calls: a server span continuing the caller's trace, and the RPC metrics."""
    spans, metrics = InMemorySpanExporter(), InMemoryMetricReader()
    tracing.configure(span_exporter=spans, metric_reader=metrics)
    caller = "0af7651916cd43dd8448eb211c80319c"
    carrier = {"traceparent": f"00-{caller}-b7ad6b7169203331-01"}
    with tracing.span("anops.policy.v1.PolicyService/Evaluate", {"rpc.system": "grpc"}, kind="server", carrier=carrier):
        assert tracing.current_trace_id() == caller
        outgoing: dict[str, str] = {}
        tracing.inject(outgoing)
        assert outgoing["traceparent"].startswith(f"00-{caller}-")
    for code in ("OK", "OK", "INVALID_ARGUMENT"):
        tracing.record_rpc("/anops.policy.v1.PolicyService/Evaluate", code, 0.004)
    points = metric_points(metrics.get_metrics_data())
    tracing.shutdown()
    (server,) = spans.get_finished_spans()
    assert server.kind.name == "SERVER" and format(server.parent.span_id, "016x") == "b7ad6b7169203331"
    calls = {p.attributes["rpc.response.status_code"]: p.value for p in points["anops.rpc.calls"]}
    assert calls == {"OK": 2, "INVALID_ARGUMENT": 1}
    (ok,) = [p for p in points["rpc.server.call.duration"] if p.attributes["rpc.response.status_code"] == "OK"]
    assert ok.count == 2 and ok.attributes["rpc.method"] == "Evaluate"
    assert ok.attributes["rpc.service"] == "anops.policy.v1.PolicyService"


def test_an_exception_marks_the_span_as_an_error() -> None:
    spans = InMemorySpanExporter()
    tracing.configure(span_exporter=spans)
    with pytest.raises(ValueError), tracing.span("anops.eval"):
        raise ValueError("boom")
    tracing.shutdown()
    (span,) = spans.get_finished_spans()
    assert span.status.status_code.name == "ERROR"
    assert span.events[0].name == "exception"
