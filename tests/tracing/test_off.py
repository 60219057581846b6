"""Tracing off (nothing configured): OpenTelemetry is never imported, and what turns it on."""

from __future__ import annotations

import json
import os

import pytest

from anops_policy.telemetry import tracing

from .conftest import EXAMPLE, NOW, clean_env, run_python

PROBE = """
import json, sys
from pathlib import Path
from anops_policy.cli.main import main
from anops_policy.facts import parse_now
from anops_policy.pipeline.run import EvalRequest, run_eval

report, *_ = run_eval(EvalRequest(path=Path(sys.argv[1]), now=parse_now(sys.argv[2])))
assert report.trace_id is None and "trace_id" not in report.to_json()
for argv in (["--version"], ["check"], ["eval", sys.argv[1], "--now", sys.argv[2], "--no-decision-log", "-q"]):
    try:
        main(argv)
    except SystemExit:
        pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "opentelemetry")))
"""


def test_nothing_configured_never_imports_opentelemetry() -> None:
    proc = run_python(PROBE, str(EXAMPLE), NOW, env=clean_env())
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == []


def test_the_probe_would_see_an_import() -> None:
    """The same probe with an exporter configured does list opentelemetry (so the test above can fail)."""
    env = clean_env(OTEL_TRACES_EXPORTER="console", OTEL_METRICS_EXPORTER="none")
    proc = run_python(PROBE.replace("assert report.trace_id is None and", "assert"), str(EXAMPLE), NOW, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "opentelemetry.sdk.trace" in json.loads(proc.stdout.splitlines()[-1])
    assert '"name": "anops.eval"' in proc.stderr  # the console exporter writes to stderr, never into the report


@pytest.mark.parametrize(
    ("env", "wanted"),
    [
        ({}, False),
        ({"OTEL_SERVICE_NAME": "x", "OTEL_EXPORTER_OTLP_HEADERS": "a=b"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4317"}, True),
        ({"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://collector:4317"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        (
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317",
                "OTEL_TRACES_EXPORTER": "none",
                "OTEL_METRICS_EXPORTER": "none",
            },
            False,
        ),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_TRACES_EXPORTER": "none"}, True),  # metrics still
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_SDK_DISABLED": "true"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_SDK_DISABLED": "false"}, True),
    ],
)
def test_what_turns_tracing_on(env: dict[str, str], wanted: bool) -> None:
    assert tracing.wanted(None, env) is wanted


def test_while_off_the_api_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.startswith("OTEL_")]:
        monkeypatch.delenv(name)
    assert not tracing.configure()
    with tracing.span("anops.eval", {"a": 1}) as span:
        span.set("b", 2)
        assert span.trace_id is None and tracing.current_trace_id() is None
    carrier: dict[str, str] = {}
    tracing.inject(carrier)
    tracing.record_rpc("/a.B/C", "OK", 0.1)
    assert carrier == {}
    assert not tracing.enabled()
