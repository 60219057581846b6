"""The fact document is the same byte for byte with the per-file summary cache cold, warm and off: on
the example repositories (through ``facts``, in process and with worker processes, and through ``eval``)
and on every collector case repository. Warm runs must really be hits: they parse no Python file, no
Markdown document, and no file for a pattern rule."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from anops_policy.collectors.docs import markdown as docs_markdown
from anops_policy.collectors.patterns import search as patterns_search
from anops_policy.collectors.python import module_products
from anops_policy.collectors.rust import modules as rust_modules
from click.testing import CliRunner
from summary_helpers import NOW, ROOT, comparable, facts, stores

from anops_policy.cli.main import cli
from anops_policy.config import RepoConfig, load_config
from anops_policy.pipeline.collect import collect_facts

EXAMPLES = [ROOT / "examples" / "anops", ROOT / "examples" / "polyglot"]
CASES = sorted(p for p in (ROOT / "tests" / "collectors").glob("*/cases/*") if p.is_dir())
# the collectors whose per-file work is cached, and those reading what they leave in the run's memo
CACHED = ["python", "rust", "todos", "grpc", "logging", "docs", "patterns"]


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm run must really hit: it parses no Python file or Markdown document, summarises no Rust file
    (it may still lex the few that call a crate's spawn wrapper) and searches no file for a pattern rule."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a warm run parsed a file, summarised a Rust file, or searched a file for a rule")

    monkeypatch.setattr(module_products, "parse_python", refuse)
    monkeypatch.setattr(rust_modules, "summarise", refuse)
    monkeypatch.setattr(docs_markdown, "parse_markdown", refuse)
    monkeypatch.setattr(patterns_search, "_search_files", refuse)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_facts_are_the_same_cold_warm_and_off(
    example: Path, jobs: str, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    off = facts(example, "--jobs", jobs, "--no-cache")
    assert stores(cache) == {}, "--no-cache writes nothing"
    cold = facts(example, "--jobs", jobs)
    assert "python" in stores(cache), "a cold run leaves the python collector's summaries (also from a worker)"
    if jobs == "1":
        _no_parsing(monkeypatch)
    warm = facts(example, "--jobs", jobs)
    assert cold == off
    assert warm == off


@pytest.mark.parametrize("switch", ["off", "0", "false", "no", "OFF"])
def test_the_environment_turns_the_cache_off(switch: str, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANOPS_POLICY_CACHE", switch)
    facts(EXAMPLES[0], "--jobs", "1", "--only", "python")
    assert not cache.exists()


def test_eval_is_the_same_cold_warm_and_off(cache: Path) -> None:
    def run(*extra: str) -> tuple[int, str]:
        result = CliRunner().invoke(
            cli, ["eval", str(EXAMPLES[0]), "--now", NOW, "--no-decision-log", "--format", "json", "--jobs", "1",
                  *extra]
        )
        report = json.loads(result.stdout)
        for run in report["collectors"].values():
            run.pop("duration_ms")
        return result.exit_code, json.dumps(report, sort_keys=True)

    off = run("--no-cache")
    cold = run()
    warm = run()
    assert cold == off
    assert warm == off


def _case(case: Path, tmp_path: Path) -> tuple[Path, RepoConfig]:
    work = tmp_path / "repo"
    if (case / "repo").is_dir():
        shutil.copytree(case / "repo", work, symlinks=True)
    else:
        work.mkdir()
    config = case / "config.yaml"
    return work, load_config(config) if config.is_file() else RepoConfig()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.parent.name}/{c.name}" for c in CASES])
def test_collector_cases_are_the_same_cold_warm_and_off(
    case: Path, tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work, config = _case(case, tmp_path)
    only = sorted({case.parent.parent.name, *CACHED})
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

    def collect() -> str:
        document = collect_facts(work, config, now=now, only=only, use_git=False, jobs=1)
        return comparable(json.dumps(document))

    monkeypatch.setenv("ANOPS_POLICY_CACHE", "off")
    off = collect()
    monkeypatch.delenv("ANOPS_POLICY_CACHE")
    cold = collect()
    warm = collect()
    assert cold == off
    assert warm == off
