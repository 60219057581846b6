"""Every search path of the todos collector gives identical facts: ripgrep, ``git grep`` and the
pure-Python scan only pick the candidate files, so the whole section (items, counts, files scanned, ages)
must not depend on which one ran. Checked on each todos case folder, committed to a fresh git repository
(so ``git grep`` and blame apply) plus an untracked file, and without git."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from anops_policy.config import config_from_data
from anops_policy.pipeline.collect import collect_facts

HERE = Path(__file__).parent
CASES = sorted(p for p in (HERE / "todos" / "cases").iterdir() if (p / "repo").is_dir())
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SEARCHES = ["python", "git", *(["rg"] if shutil.which("rg") else [])]


def git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.com", "GIT_AUTHOR_DATE": "2026-03-01T00:00:00Z",
           "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.com",
           "GIT_COMMITTER_DATE": "2026-03-01T00:00:00Z"}
    subprocess.run(["git", "-C", str(root), *args], env=env, check=True, capture_output=True)


def section(root: Path, search: str, use_git: bool, case: Path) -> dict[str, Any]:
    """The case's own config (if any) with the search option set."""
    own = case / "config.yaml"
    data: dict[str, Any] = yaml.safe_load(own.read_text()) if own.exists() else {"apiVersion": "anops.dev/config/v1"}
    data.setdefault("collect", {}).setdefault("options", {}).setdefault("todos", {})["search"] = search
    document = collect_facts(root, config_from_data(data, None, "t"), now=NOW, only=["todos"], use_git=use_git)
    meta = document["meta"]["collectors"]["todos"]
    assert meta["status"] == "ok", meta
    return {"section": document["todos"], "skipped": meta.get("skipped")}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_search_paths_agree(case: Path, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(case / "repo", root, symlinks=True)
    plain = {s: section(root, s, use_git=False, case=case) for s in SEARCHES}
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "case")
    (root / "zz_untracked.py").write_text("x = 1  # TODO: untracked marker\n")
    tracked = {s: section(root, s, use_git=True, case=case) for s in SEARCHES}
    for search in SEARCHES:
        assert plain[search] == plain["python"], f"{search} differs from the Python scan without git"
        assert tracked[search] == tracked["python"], f"{search} differs from the Python scan in git"
    assert tracked["python"]["section"]["counts"]["total"] == plain["python"]["section"]["counts"]["total"] + 1
