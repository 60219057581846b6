"""``--jobs`` changes how collection is scheduled, never what it finds: the fact document of every
repository is the same in one process and in worker processes (only durations and the generation time
differ), through the API on the example and the collectors' case repositories, and through the CLI on
a generated monorepo big enough for the default to pick workers. Spans and progress match too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, PeriodicExportingMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from anops_policy import tracing
from anops_policy.config import RepoConfig
from anops_policy.engine import EvalRequest, parse_now, resolve_config, run_eval
from anops_policy.gather import collect_facts
from anops_policy.progress import COLLECT, ProgressEvent

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "anops"
NOW = "2026-11-26T10:00:00Z"
CASES_PER_COLLECTOR = 2


def case_repos() -> list[Path]:
    """The example plus the first case repositories of every collector's test folder."""
    repos = [EXAMPLE]
    for folder in sorted((ROOT / "tests" / "collectors").iterdir()):
        cases = folder / "cases"
        if cases.is_dir():
            repos += sorted(p for p in cases.glob("*/repo") if p.is_dir())[:CASES_PER_COLLECTOR]
    return repos


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """The document without what legitimately differs between two runs: timings and generation time."""
    out = json.loads(json.dumps(document))
    out["meta"].pop("generated_at", None)
    for run in out["meta"]["collectors"].values():
        run.pop("duration_ms", None)
    return out


def config_for(repo: Path) -> RepoConfig:
    return resolve_config(repo, None)


@pytest.mark.parametrize("repo", case_repos(), ids=lambda p: str(p.relative_to(ROOT)))
def test_workers_collect_the_same_document(repo: Path) -> None:
    config = config_for(repo)
    now = parse_now(NOW)
    alone = collect_facts(repo, config, now=now, jobs=1)
    side_by_side = collect_facts(repo, config, now=now, jobs=3)
    assert comparable(side_by_side) == comparable(alone)


@pytest.fixture(scope="module")
def monorepo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 600-file generated monorepo (Rust, Python, Go, JS, YAML, Dockerfiles, Markdown; committed)."""
    tree = tmp_path_factory.mktemp("mono") / "tree"
    command = [sys.executable, str(ROOT / "benchmarks" / "generate_tree.py"), str(tree), "--files", "600", "--kb", "4"]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    return tree


def facts_cli(tree: Path, out: Path, *jobs: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "anops_policy", "facts", str(tree), "--now", NOW, "-o", str(out), *jobs]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    document: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return document


def test_cli_default_uses_workers_on_a_monorepo_and_finds_the_same(monorepo: Path, tmp_path: Path) -> None:
    default = facts_cli(monorepo, tmp_path / "default.json")  # workers when the machine has 2+ cores
    two = facts_cli(monorepo, tmp_path / "two.json", "--jobs", "2")  # workers on any machine
    one = facts_cli(monorepo, tmp_path / "one.json", "--jobs", "1")
    assert comparable(default) == comparable(one) == comparable(two)
    statuses = Counter(run["status"] for run in one["meta"]["collectors"].values())
    assert statuses["ok"] >= 10, statuses  # a real collection, not a run of errors compared with itself


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.shutdown()
    assert tracing.configure(span_exporter=exporter)
    try:
        yield exporter
    finally:
        tracing.shutdown()


def test_worker_collectors_get_their_spans_under_the_run(spans: InMemorySpanExporter) -> None:
    report, _doc, _config, _packs = run_eval(EvalRequest(path=EXAMPLE, now=parse_now(NOW), jobs=2))
    finished = spans.get_finished_spans()
    root = next(s for s in finished if s.name == "anops.eval")
    collects = [s for s in finished if s.name.startswith("anops.collect ")]
    assert sorted(s.name.removeprefix("anops.collect ") for s in collects) == sorted(report.collectors)
    for span in collects:
        assert span.parent is not None and span.parent.span_id == root.context.span_id
        assert root.start_time is not None and root.end_time is not None
        assert span.start_time is not None and span.end_time is not None
        assert root.start_time <= span.start_time <= span.end_time <= root.end_time
        assert span.attributes is not None and span.attributes["anops.collector.name"] == span.name.split(" ", 1)[1]
    reads = sum(int((s.attributes or {}).get("anops.collector.files_read", 0)) for s in collects)
    assert reads > 0, "files read in the workers are counted on their spans"


def test_progress_counts_every_collector_and_every_file_read() -> None:
    def record(jobs: int) -> list[ProgressEvent]:
        events: list[ProgressEvent] = []
        collect_facts(EXAMPLE, config_for(EXAMPLE), now=parse_now(NOW), progress=events.append, jobs=jobs)
        return [e for e in events if e.stage == COLLECT]

    alone, parallel = record(1), record(2)
    assert parallel[-1].done == parallel[-1].total == alone[-1].total
    assert parallel[-1].files == alone[-1].files > 0
    assert any(", " in e.current for e in parallel), "the line names the collectors running side by side"


def test_file_names_a_worker_skips_reach_the_document(tmp_path: Path) -> None:
    """A gitignored test report with an undecodable name is found by a worker's results glob; the skip
    it records in the worker's listing must reach ``meta.skipped`` as it does in process."""
    repo = tmp_path / "repo"
    reports = repo / "build" / "reports"
    reports.mkdir(parents=True)
    (repo / ".gitignore").write_text("build/\n", encoding="utf-8")
    (repo / "app.py").write_text("print('hi')\n", encoding="utf-8")
    (reports / "junit-ok.xml").write_text('<testsuite name="s" tests="1"><testcase name="t"/></testsuite>\n')
    # a name that is not UTF-8: written through the bytes API
    fd = os.open(os.fsencode(reports) + b"/junit-\xff.xml", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b'<testsuite name="s" tests="0"/>\n')
    os.close(fd)
    for command in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "x"]):
        subprocess.run(["git", *command], cwd=repo, check=True, capture_output=True)
    now = parse_now(NOW)
    alone = collect_facts(repo, RepoConfig(), now=now, jobs=1)
    side_by_side = collect_facts(repo, RepoConfig(), now=now, jobs=2)
    assert alone["meta"].get("skipped") == [
        {"path": "build/reports/junit-\\xff.xml", "reason": "file name is not valid UTF-8"}
    ]
    assert comparable(side_by_side) == comparable(alone)


def test_workers_never_export_the_parents_telemetry(tmp_path: Path) -> None:
    """The SDK restarts a periodic metric reader in a forked child; a worker must not export the
    parent's copied metrics (a second, duplicate series). Every export comes from this process."""
    log = tmp_path / "exports"

    class PidExporter(MetricExporter):
        def export(self, metrics_data: Any, timeout_millis: float = 10_000, **kwargs: Any) -> MetricExportResult:
            with log.open("a", encoding="utf-8") as handle:
                handle.write(f"{os.getpid()}\n")
            return MetricExportResult.SUCCESS

        def force_flush(self, timeout_millis: float = 10_000) -> bool:
            return True

        def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
            return None

    tracing.shutdown()
    assert tracing.configure(metric_reader=PeriodicExportingMetricReader(PidExporter(), export_interval_millis=50))
    try:
        with tracing.span("anops.collect before") as span:  # something to export, copied into the workers
            tracing.record_collector(span, "before", "ok", files_read=1)
        collect_facts(EXAMPLE, config_for(EXAMPLE), now=parse_now(NOW), jobs=2)
        time.sleep(0.3)
    finally:
        tracing.shutdown()
    exported_by = [int(line) for line in log.read_text(encoding="utf-8").split()]
    assert exported_by and set(exported_by) == {os.getpid()}
