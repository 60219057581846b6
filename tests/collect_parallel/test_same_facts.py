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

from anops_policy.config import RepoConfig
from anops_policy.facts import parse_now
from anops_policy.pipeline.collect import collect_facts
from anops_policy.pipeline.run import EvalRequest, resolve_config, run_eval
from anops_policy.telemetry import tracing

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


def fresh_python(code: str, *args: str) -> str:
    """Run ``code`` in a new interpreter (no native threads loaded, so workers can be forked); its stdout."""
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


# Run in a fresh interpreter: this test process may have loaded a library with native threads (the
# Dockerfile parser's Go runtime), and then collect_facts rightly refuses to fork and collects in process.
COMPARE = r"""
import json, sys
from anops_policy.collection import parallel as collect_parallel
from anops_policy.facts import parse_now
from anops_policy.pipeline.run import resolve_config
from anops_policy.pipeline.collect import collect_facts
from pathlib import Path
repo = Path(sys.argv[1])
assert collect_parallel.available(), "workers cannot be forked here"
config = resolve_config(repo, None)
now = parse_now(sys.argv[2])
alone = collect_facts(repo, config, now=now, jobs=1)
side_by_side = collect_facts(repo, config, now=now, jobs=3)
print(json.dumps([alone, side_by_side]))
"""


@pytest.mark.parametrize("repo", case_repos(), ids=lambda p: str(p.relative_to(ROOT)))
def test_workers_collect_the_same_document(repo: Path) -> None:
    alone, side_by_side = json.loads(fresh_python(COMPARE, str(repo), NOW))
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
    # in this process workers may be refused (native threads loaded by earlier tests): the spans must be
    # right either way; the CLI test below (a fresh process) checks them with workers
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
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from anops_policy.facts import parse_now\n"
        "from anops_policy.pipeline.run import resolve_config\n"
        "from anops_policy.pipeline.collect import collect_facts\n"
        "from anops_policy.telemetry.progress import COLLECT\n"
        "repo = Path(sys.argv[1])\n"
        "out = {}\n"
        "for jobs in (2, 1):  # workers first: the in-process run loads the Go Dockerfile parser\n"
        "    events = []\n"
        "    collect_facts(repo, resolve_config(repo, None), now=parse_now(sys.argv[2]), progress=events.append,"
        " jobs=jobs)\n"
        "    out[jobs] = [[e.done, e.total, e.current, e.files] for e in events if e.stage == COLLECT]\n"
        "print(json.dumps(out))\n"
    )
    runs = json.loads(fresh_python(code, str(EXAMPLE), NOW))
    parallel, alone = runs["2"], runs["1"]
    assert parallel[-1][0] == parallel[-1][1] == alone[-1][1]
    assert parallel[-1][3] == alone[-1][3] > 0, "files read in workers are all counted"
    assert any(", " in event[2] for event in parallel), "the line names the collectors running side by side"


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


def test_a_process_with_native_threads_collects_in_process() -> None:
    """Loading BuildKit's Go parser starts the Go runtime's threads; forking then could hang a worker
    on a lock one of them held. Such a process collects in one process, and the CLI never loads the
    parser before it forks (the dockerfiles collector imports it in the worker that parses)."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from anops_policy.collection import parallel as collect_parallel\n"
        "from anops_policy.facts import parse_now\n"
        "from anops_policy.config import RepoConfig\n"
        "from anops_policy.pipeline.collect import collect_facts\n"
        "collect_facts(Path(sys.argv[1]), RepoConfig(), now=parse_now(sys.argv[2]), jobs=2)\n"
        "print('dockerfile' in sys.modules, collect_parallel.resolve_jobs(2, lambda: 10**5, 14))\n"
        "import dockerfile\n"
        "time.sleep(0.2)\n"
        "print(collect_parallel.native_threads() > 0, collect_parallel.resolve_jobs(2, lambda: 10**5, 14))\n"
    )
    assert fresh_python(code, str(EXAMPLE), NOW).split() == ["False", "2", "True", "1"]


def test_worker_spans_in_a_trace_file(tmp_path: Path) -> None:
    """A fresh ``facts --jobs 2 --trace-file``: every collector's span is a child of the run's span and
    lies within it, with the files its worker read."""
    trace = tmp_path / "trace.jsonl"
    facts_cli(EXAMPLE, tmp_path / "facts.json", "--jobs", "2", "--trace-file", str(trace))
    spans = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()]
    root = next(s for s in spans if s["name"] == "anops.facts")
    collects = [s for s in spans if s["name"].startswith("anops.collect ")]
    assert len(collects) >= 10
    for span in collects:
        assert span["parent_span_id"] == root["span_id"]
        assert root["start_time_unix_nano"] <= span["start_time_unix_nano"] <= span["end_time_unix_nano"]
        assert span["end_time_unix_nano"] <= root["end_time_unix_nano"]
    assert sum(int(s["attributes"].get("anops.collector.files_read", 0)) for s in collects) > 0
