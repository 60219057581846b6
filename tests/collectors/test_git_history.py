"""The git collector on temporary repositories with dated commits (never the project's own history)."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from anops_policy.config import config_from_data
from anops_policy.pipeline.collect import collect_facts

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def commit(root: Path, message: str, when: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
           "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com",
           "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=root, check=True, env=env)


def test_git_facts_from_dated_history(tmp_path: Path) -> None:
    root = tmp_path / "mono"
    svc = root / "svc"
    svc.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    (svc / "ACTIONPLAN.md").write_text("# Plan\n")
    (svc / "app.py").write_text("x = 1\n")
    commit(root, "plan", "2026-03-02T09:00:00+02:00")
    (svc / "app.py").write_text("x = 2\n")
    (root / "elsewhere.txt").write_text("outside the evaluated directory\n")
    commit(root, "code", "2026-10-01T10:00:00+00:00")
    (svc / ".anops-policy").mkdir()
    (svc / ".anops-policy" / "decisions.jsonl").write_text("{}\n")  # local state never makes it dirty
    config = config_from_data({"docs": {"action_plan": "ACTIONPLAN.md"}}, None, "anops-policy.yaml")
    doc = collect_facts(svc, config, now=NOW, only=["git"])
    git = doc["git"]
    assert git["branch"] == "main" and len(git["commit"]) == 40
    assert git["dirty"] is False
    assert git["last_commit_time"] == "2026-10-01T10:00:00Z"
    assert git["last_change"] == {"ACTIONPLAN.md": "2026-03-02T07:00:00Z"}
    assert doc["meta"]["repo"]["commit"] == git["commit"]
    (svc / "app.py").write_text("x = 3\n")
    dirty = collect_facts(svc, config, now=NOW, only=["git"])["git"]
    assert dirty["dirty"] is True and dirty["dirty_paths"] == ["app.py"]


def test_no_git_is_not_configured(tmp_path: Path) -> None:
    doc = collect_facts(tmp_path, config_from_data({}, None, "c"), now=NOW, only=["git"], use_git=False)
    assert "git" not in doc
    assert doc["meta"]["collectors"]["git"]["status"] == "not_configured"
