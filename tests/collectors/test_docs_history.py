"""Plan staleness from git history, on temporary repositories with dated commits (never the project's own
history): last commit of the plan, the newest *code* commit (documentation-only commits don't count),
days behind, an evaluated subdirectory, and a plan that was never committed."""

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


def git(repo: Path, *args: str, date: str | None = None) -> None:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Bo", "GIT_AUTHOR_EMAIL": "bo@example.com",
        "GIT_COMMITTER_NAME": "Bo", "GIT_COMMITTER_EMAIL": "bo@example.com",
    }
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    subprocess.run(["git", "-C", str(repo), *args], env=env, capture_output=True, check=True)


def commit(repo: Path, files: dict[str, str], date: str) -> None:
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
        git(repo, "add", path)
    git(repo, "commit", "-q", "-m", f"change {sorted(files)}", date=date)


def docs(root: Path, data: dict[str, Any] | None = None) -> dict[str, Any]:
    config = config_from_data({"apiVersion": "anops.dev/config/v1", **data}, None, "t") if data else RepoConfig()
    document = collect_facts(root, config, now=NOW, only=["docs"], use_git=True)
    assert document["meta"]["collectors"]["docs"]["status"] == "ok", document["meta"]["collectors"]
    section: dict[str, Any] = document["docs"]
    return section


PLAN = "# Plan\n\nLast updated: 2026-02-20\n\n- [x] ship the service\n- [ ] add tracing\n"


@pytest.fixture
def history(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, {"svc/main.py": "print('v1')\n", "svc/ACTIONPLAN.md": "# Plan\n"}, "2026-01-05T12:00:00+00:00")
    commit(repo, {"svc/ACTIONPLAN.md": PLAN}, "2026-03-01T12:00:00+00:00")
    commit(repo, {"svc/main.py": "print('v2')\n"}, "2026-06-15T08:00:00-04:00")  # 12:00Z
    # documentation-only commits are not "code" and must not make the plan look stale
    commit(
        repo,
        {"svc/README.md": "# svc\n", "svc/docs/guide.md": "# Guide\n", "LICENSE": "MIT\n", "notes.txt": "x\n"},
        "2026-09-01T12:00:00+00:00",
    )
    commit(repo, {"other/lib.py": "X = 1\n"}, "2026-10-10T12:00:00+00:00")
    return repo


def test_plan_lags_behind_the_newest_code_commit(history: Path) -> None:
    section = docs(history, {"docs": {"action_plan": "svc/ACTIONPLAN.md"}})
    assert section["code_last_commit_time"] == "2026-10-10T12:00:00Z"
    plan = section["action_plan"]
    assert plan["present"] is True
    assert plan["git"] == "committed"
    assert plan["last_commit_time"] == "2026-03-01T12:00:00Z"
    assert plan["days_since_commit"] == 270  # 2026-03-01 .. 2026-11-26
    assert plan["days_behind_code"] == 223  # 2026-03-01 .. 2026-10-10
    assert plan["declared_updated"] == {"path": "svc/ACTIONPLAN.md", "line": 3, "date": "2026-02-20", "age_days": 279}
    assert (plan["checklist"]["open"], plan["checklist"]["closed"]) == (1, 1)


def test_subdirectory_counts_only_its_own_code(history: Path) -> None:
    section = docs(history / "svc")
    assert section["code_last_commit_time"] == "2026-06-15T12:00:00Z"  # other/ is outside, docs don't count
    plan = section["action_plan"]
    assert plan["path"] == "ACTIONPLAN.md"
    assert plan["days_behind_code"] == 106  # 2026-03-01 .. 2026-06-15


def test_a_plan_newer_than_the_code_is_not_behind(history: Path) -> None:
    commit(history, {"svc/ACTIONPLAN.md": PLAN + "- [ ] more\n"}, "2026-11-20T12:00:00+00:00")
    plan = docs(history, {"docs": {"action_plan": "svc/ACTIONPLAN.md"}})["action_plan"]
    assert plan["last_commit_time"] == "2026-11-20T12:00:00Z"
    assert plan["days_behind_code"] == 0
    assert plan["days_since_commit"] == 6


def test_a_plan_that_was_never_committed(history: Path) -> None:
    (history / "ROADMAP.md").write_text("# Roadmap\n- [ ] later\n")
    section = docs(history, {"collect": {"options": {"docs": {"plans": ["ROADMAP.md"]}}}})
    roadmap = section["plans"]["ROADMAP.md"]
    assert roadmap["present"] is True
    assert roadmap["git"] == "uncommitted"
    assert "last_commit_time" not in roadmap
    assert "days_behind_code" not in roadmap
    assert section["action_plan"] == {
        "path": "ACTIONPLAN.md", "present": False,
        "checklist": {"open": 0, "closed": 0, "total": 0, "items": []},
        "references": {"paths": [], "missing_paths": [], "commands": [], "unknown_commands": []},
        "commands_not_mentioned": [],
    }


def test_without_git_there_are_no_times(history: Path) -> None:
    config = config_from_data({"apiVersion": "anops.dev/config/v1"}, None, "t")
    document = collect_facts(history / "svc", config, now=NOW, only=["docs"], use_git=False)
    plan = document["docs"]["action_plan"]
    assert plan["git"] == "no-git"
    assert "last_commit_time" not in plan
    assert "code_last_commit_time" not in document["docs"]
