"""``--jobs`` changes how collection is scheduled, never what it finds: the fact document of every
repository is the same in one process and in worker processes (only durations and the generation time
differ), through the API on the example and the collectors' case repositories, and through the CLI on
a generated monorepo big enough for the default to pick workers. Spans and progress match too."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
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
    default = facts_cli(monorepo, tmp_path / "default.json")
    one = facts_cli(monorepo, tmp_path / "one.json", "--jobs", "1")
    assert comparable(default) == comparable(one)
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
