"""``--trace-file``: the run's spans as JSON lines, the same tree an exporter receives; also on error exits."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from anops_policy.cli.main import cli

from .conftest import EXAMPLE, NOW


def run(*args: str) -> Any:
    """The CLI in this process, with no OTEL_* variable set: only --trace-file turns tracing on."""
    return CliRunner().invoke(cli, list(args), env={k: None for k in os.environ if k.startswith("OTEL_")})


def read_spans(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines, f"{path} is empty"
    return [json.loads(line) for line in lines]


def test_eval_writes_the_span_tree_as_json_lines(tmp_path: Path) -> None:
    trace_file = tmp_path / "traces" / "eval.jsonl"  # the folder is created
    result = run(
        "eval", str(EXAMPLE), "--now", NOW, "--no-decision-log", "--format", "json", "--trace-file", str(trace_file)
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    spans = read_spans(trace_file)
    (root,) = [s for s in spans if s["name"] == "anops.eval"]
    assert root["parent_span_id"] is None
    assert root["trace_id"] == report["trace_id"]
    assert root["attributes"]["anops.exit_code"] == 1
    assert root["resource"]["service.name"] == "anops-policy"
    others = [s for s in spans if s is not root]
    assert all(s["trace_id"] == root["trace_id"] and s["parent_span_id"] == root["span_id"] for s in others)
    assert all(root["start_time_unix_nano"] <= s["start_time_unix_nano"] <= s["end_time_unix_nano"] for s in others)
    policies = sorted(s["name"].removeprefix("anops.policy ") for s in others if s["name"].startswith("anops.policy "))
    assert policies == sorted({d["policy"] for d in report["decisions"]})
    collectors = {s["name"].removeprefix("anops.collect "): s for s in others if s["name"].startswith("anops.collect ")}
    assert set(report["collectors"]) <= set(collectors)
    for name, meta in report["collectors"].items():
        assert collectors[name]["attributes"]["anops.collector.status"] == meta["status"]
    assert len(others) == len(policies) + len(collectors)


def test_facts_traces_its_collectors_under_one_root(tmp_path: Path) -> None:
    trace_file = tmp_path / "facts.jsonl"
    result = run(
        "facts", str(EXAMPLE), "--only", "todos", "--trace-file", str(trace_file), "-o", str(tmp_path / "f.json")
    )
    assert result.exit_code == 0, result.output
    spans = {s["name"]: s for s in read_spans(trace_file)}
    assert set(spans) == {"anops.facts", "anops.collect todos"}
    assert spans["anops.collect todos"]["parent_span_id"] == spans["anops.facts"]["span_id"]
    assert spans["anops.collect todos"]["attributes"]["anops.collector.files_read"] > 0


def test_a_failed_run_still_writes_its_spans(tmp_path: Path) -> None:
    trace_file = tmp_path / "failed.jsonl"
    missing = tmp_path / "missing.yaml"
    result = run("eval", str(EXAMPLE), "--config", str(missing), "--no-decision-log", "--trace-file", str(trace_file))
    assert result.exit_code == 2, result.output
    (root,) = read_spans(trace_file)
    assert root["name"] == "anops.eval"
    assert root["status"]["code"] == "ERROR"
    assert "missing.yaml" in root["status"]["description"]


def test_an_unwritable_trace_file_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    target = blocker / "eval.jsonl"
    result = run("eval", str(EXAMPLE), "--no-decision-log", "--trace-file", str(target))
    assert result.exit_code == 2, result.output
    assert f"error: --trace-file {target}: cannot write" in result.stderr
