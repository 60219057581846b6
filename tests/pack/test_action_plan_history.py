"""action-plan-current on real git history: the ready example committed into temporary repositories
with dated commits (GIT_AUTHOR_DATE/GIT_COMMITTER_DATE), never this project's own history."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pack_helpers import ROOT, edit, evaluate, ready_example

POLICY = "action-plan-current"


def git(repo: Path, *args: str, date: str | None = None) -> None:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Bo", "GIT_AUTHOR_EMAIL": "bo@example.com",
        "GIT_COMMITTER_NAME": "Bo", "GIT_COMMITTER_EMAIL": "bo@example.com",
    }  # fmt: skip
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    subprocess.run(["git", "-C", str(repo), *args], env=env, capture_output=True, check=True)


def commit_all(repo: Path, date: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"work of {date}", date=date)


@pytest.fixture
def only_the_plan_policy(tmp_path: Path) -> Path:
    """The pack with just this policy: each evaluation here judges the plan alone (and fast)."""
    pack = tmp_path / "pack"
    pack.mkdir()
    shutil.copy(ROOT / "policies" / "production-readiness" / "pack.yaml", pack / "pack.yaml")
    shutil.copy(ROOT / "policies" / "production-readiness" / f"{POLICY}.yaml", pack / f"{POLICY}.yaml")
    return pack


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The ready example (plan "Last updated: 2026-11-24"), all committed on 2026-11-20."""
    repo = ready_example(tmp_path / "anops")
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "2026-11-20T10:00:00+00:00")
    return repo


def change_code(repo: Path) -> None:
    main = repo / "ao-cli" / "src" / "main.rs"
    main.write_text("// ao 0.4\n" + main.read_text(encoding="utf-8"), encoding="utf-8")


def plan_decision(repo: Path, pack: Path, now: str) -> dict[str, Any]:
    result = evaluate(repo, "--policies", str(pack), now=now)
    (decision,) = result.decisions(POLICY)
    return decision


def test_current_plan_passes(repo: Path, only_the_plan_policy: Path) -> None:
    assert plan_decision(repo, only_the_plan_policy, "2026-11-26T12:00:00Z")["outcome"] == "pass"


def test_code_that_moves_on_makes_the_plan_stale(repo: Path, only_the_plan_policy: Path) -> None:
    change_code(repo)
    commit_all(repo, "2027-01-20T09:00:00+00:00")
    decision = plan_decision(repo, only_the_plan_policy, "2027-01-21T12:00:00Z")
    assert decision["outcome"] == "fail"
    # plan last committed 2026-11-20 10:00, code 2027-01-20 09:00: 60 whole days (worse than the declared date's 57)
    assert "last committed 60 days behind the code (max 30)" in decision["message"]
    assert decision["evidence"][0] == {"path": "ACTIONPLAN.md", "line": 1}

    # updating the plan (its date and a commit) makes it current again
    edit(repo / "ACTIONPLAN.md", "Last updated: 2026-11-24", "Last updated: 2027-01-21")
    commit_all(repo, "2027-01-21T10:00:00+00:00")
    assert plan_decision(repo, only_the_plan_policy, "2027-01-21T12:00:00Z")["outcome"] == "pass"


def test_documentation_commits_do_not_age_the_plan(repo: Path, only_the_plan_policy: Path) -> None:
    edit(repo / "README.md", "# AnOps\n", "# AnOps\n\nNow with a changelog.\n")
    commit_all(repo, "2027-03-01T09:00:00+00:00")
    assert plan_decision(repo, only_the_plan_policy, "2027-03-02T12:00:00Z")["outcome"] == "pass"


def test_declared_date_counts_when_the_plan_was_committed_with_the_code(repo: Path, only_the_plan_policy: Path) -> None:
    """Plan and code committed together (git says 0 days behind), but the plan's own date is old."""
    edit(repo / "ACTIONPLAN.md", "Last updated: 2026-11-24", "Last updated: 2026-08-01")
    change_code(repo)
    commit_all(repo, "2026-11-25T09:00:00+00:00")
    decision = plan_decision(repo, only_the_plan_policy, "2026-11-26T12:00:00Z")
    assert decision["outcome"] == "fail"
    assert "last updated 2026-08-01, 116 days behind the code" in decision["message"]
    assert decision["evidence"][0] == {"path": "ACTIONPLAN.md", "line": 3}


def test_staleness_threshold_is_a_parameter(repo: Path, only_the_plan_policy: Path) -> None:
    change_code(repo)
    with (repo / "anops-policy.yaml").open("a", encoding="utf-8") as config:
        config.write(f"params:\n  {POLICY}: {{max_staleness_days: 90}}\n")
    commit_all(repo, "2027-01-20T09:00:00+00:00")
    assert plan_decision(repo, only_the_plan_policy, "2027-01-21T12:00:00Z")["outcome"] == "pass"
