"""TODO ages from git blame, on temporary repositories with dated commits (never the project's own
history): author dates, lines moved by later commits, uncommitted and untracked lines, an evaluated
subdirectory, a shallow clone, blame switched off, and a blame budget that runs out."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import RepoConfig, config_from_data
from anops_policy.pipeline.collect import collect_facts

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def git(repo: Path, *args: str, date: str | None = None) -> str:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Ana", "GIT_AUTHOR_EMAIL": "ana@example.com",
        "GIT_COMMITTER_NAME": "Ana", "GIT_COMMITTER_EMAIL": "ana@example.com",
    }
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    out = subprocess.run(["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True)
    return out.stdout


def commit(repo: Path, files: dict[str, str], date: str, message: str = "change") -> None:
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
        git(repo, "add", path)
    git(repo, "commit", "-q", "-m", message, date=date)


def todos(root: Path, **options: Any) -> dict[str, Any]:
    data = {"apiVersion": "anops.dev/config/v1", "collect": {"options": {"todos": options}}}
    cfg = config_from_data(data, None, "t") if options else RepoConfig()
    document = collect_facts(root, cfg, now=NOW, only=["todos"], use_git=True)
    assert document["meta"]["collectors"]["todos"]["status"] == "ok", document["meta"]["collectors"]
    section: dict[str, Any] = document["todos"]
    return section


def ages(section: dict[str, Any]) -> dict[tuple[str, int], int | None]:
    return {(it["path"], it["line"]): it.get("age_days") for it in section["items"]}


@pytest.fixture
def history(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, {"svc/app.py": "# TODO: oldest marker\nx = 1\n"}, "2026-01-10T12:00:00+00:00")
    # a later commit inserts lines above the old marker: blame must still date it 2026-01-10
    commit(
        repo,
        {"svc/app.py": "import os\n\n# TODO: oldest marker\nx = 1\n# FIXME(bo): newer marker\n"},
        "2026-10-01T09:30:00-04:00",
    )
    commit(repo, {"ops/deploy.sh": "#!/bin/sh\n# HACK: pinned until ANOPS-3\n"}, "2026-11-25T23:00:00+00:00")
    return repo


def test_ages_are_days_from_author_time_to_now(history: Path) -> None:
    section = todos(history)
    assert section["blame"] == {"status": "ok"}
    assert ages(section) == {
        ("ops/deploy.sh", 2): 0,  # 13 hours before now
        ("svc/app.py", 3): 320,  # 2026-01-10 12:00Z .. 2026-11-26 12:00Z
        ("svc/app.py", 5): 55,  # 2026-10-01 13:30Z .. 2026-11-26 12:00Z is 55 days 22.5 hours
    }


def test_uncommitted_and_untracked_lines_are_age_zero(history: Path) -> None:
    (history / "svc" / "app.py").write_text(
        "import os\n# XXX: not committed yet\n\n# TODO: oldest marker\nx = 1\n# FIXME(bo): newer marker\n"
    )
    (history / "new.py").write_text("# TODO: a new, untracked file\n")
    assert ages(todos(history)) == {
        ("new.py", 1): 0,
        ("ops/deploy.sh", 2): 0,
        ("svc/app.py", 2): 0,
        ("svc/app.py", 4): 320,
        ("svc/app.py", 6): 55,
    }


def test_subdirectory_paths_are_relative_to_the_evaluated_directory(history: Path) -> None:
    section = todos(history / "svc")
    assert ages(section) == {("app.py", 3): 320, ("app.py", 5): 55}
    assert list(section["by_path"]) == ["app.py"]


def test_repository_without_commits(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "a.rs").write_text("// TODO: first\n")
    section = todos(tmp_path)
    assert ages(section) == {("a.rs", 1): 0}
    assert section["blame"] == {"status": "ok"}


def test_blame_can_be_switched_off(history: Path) -> None:
    section = todos(history, blame=False)
    assert section["blame"] == {"status": "skipped", "reason": "disabled by collect.options.todos.blame"}
    assert all(age is None for age in ages(section).values())


def test_an_exhausted_budget_gives_partial_ages_and_says_why(history: Path) -> None:
    section = todos(history, blame_budget_s=1e-9)
    assert section["blame"]["status"] == "partial"
    assert "time budget of 1e-09s ran out: 2 of 2 files" in section["blame"]["reason"]
    assert all(age is None for age in ages(section).values())
    assert section["counts"]["total"] == 3  # the markers themselves are all still there


def test_shallow_clone_is_partial(history: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{history}", str(clone))
    section = todos(clone)
    assert section["blame"]["status"] == "partial"
    assert "shallow clone" in section["blame"]["reason"]
    # everything now looks as old as the single commit in the clone
    assert set(ages(section).values()) == {0}


@pytest.mark.parametrize("search", ["python", "git", "rg"])
def test_search_backends_agree(history: Path, search: str) -> None:
    (history / "untracked.go").write_text("package x\n// TODO: untracked but not ignored\n")
    (history / ".gitignore").write_text("ignored.go\n")
    (history / "ignored.go").write_text("// TODO: ignored by .gitignore\n")
    reference = todos(history, search="python")
    assert ("ignored.go", 1) not in ages(reference)
    assert ("untracked.go", 2) in ages(reference)
    assert todos(history, search=search) == reference
