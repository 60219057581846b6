"""The ages shortcut (files added in one commit and never touched again get that commit's date without
``git blame``) gives exactly blame's answer: each history below is collected twice, with the shortcut
and with every file blamed, and the items (ages included) must be identical. The histories hold the
cases where the shortcut must step aside: a rename (blame follows it to the older commit), a rename with
edits, a file changed after it was added, uncommitted edits, a staged-only edit, a merge that brings a
file from a side branch, a file whose name is a pathspec pattern, and an evaluated subdirectory."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from anops_policy.collectors.source import blame as todos_blame

from anops_policy.config import RepoConfig
from anops_policy.pipeline.collect import collect_facts

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
Ages = dict[tuple[str, int], Any]


def git(repo: Path, *args: str, date: str = "2026-01-01T00:00:00+00:00") -> None:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Ana", "GIT_AUTHOR_EMAIL": "ana@example.com",
        "GIT_COMMITTER_NAME": "Ana", "GIT_COMMITTER_EMAIL": "ana@example.com",
        "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date,
    }
    subprocess.run(["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True)


def write(repo: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)


def commit(repo: Path, files: dict[str, str], date: str) -> None:
    write(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "change", date=date)


BODY = "".join(f"value_{i} = {i}\n" for i in range(40))  # enough content for rename detection


@pytest.fixture
def history(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, {
        "keep/once.py": "# TODO: added once, never touched\n" + BODY,
        "keep/later.py": "# TODO: first line\n" + BODY,
        "moved/old_name.py": "# FIXME: renamed later\n" + BODY,
        "edited/old.py": "# XXX: renamed and edited\n" + BODY,
        "dirty/file.go": "package d\n// TODO: edited in the working tree\n",
        "staged/file.rs": "// HACK: edited in the index only\n",
        "[ab].py": "# TODO: a name that is also a glob\n",
        "sub/dir/deep.py": "# TODO: under an evaluated subdirectory\n",
    }, "2026-01-10T12:00:00+00:00")
    commit(repo, {"keep/later.py": "# TODO: first line\n" + BODY + "# HACK: appended later\n"},
           "2026-05-05T08:00:00+00:00")
    git(repo, "mv", "moved/old_name.py", "moved/new_name.py")
    git(repo, "mv", "edited/old.py", "edited/new.py")
    write(repo, {"edited/new.py": "# XXX: renamed and edited\n" + BODY + "extra = 1\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "rename", date="2026-07-07T07:00:00+00:00")
    git(repo, "checkout", "-q", "-b", "side")
    commit(repo, {"side/branch.py": "# TODO: from a side branch\n"}, "2026-08-08T08:00:00+00:00")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"main/only.py": "# FIXME: on main meanwhile\n"}, "2026-09-09T09:00:00+00:00")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge side", "side", date="2026-10-10T10:00:00+00:00")
    write(repo, {"dirty/file.go": "package d\n\n// TODO: edited in the working tree\n"})
    write(repo, {"staged/file.rs": "// HACK: edited in the index only\nfn x() {}\n"})
    git(repo, "add", "staged/file.rs")
    return repo


def collect_ages(root: Path) -> tuple[Ages, dict[str, Any]]:
    document = collect_facts(root, RepoConfig(), now=NOW, only=["todos"], use_git=True)
    section = document["todos"]
    return {(it["path"], it["line"]): it.get("age_days") for it in section["items"]}, section["blame"]


def blame_only(monkeypatch: pytest.MonkeyPatch, root: Path) -> tuple[Ages, dict[str, Any]]:
    with monkeypatch.context() as patch:
        patch.setattr(todos_blame, "added_once", lambda *_a, **_k: {})
        return collect_ages(root)


@pytest.mark.parametrize("where", [".", "sub", "keep"])
def test_shortcut_equals_blame(history: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    root = history / where
    fast = collect_ages(root)
    assert fast == blame_only(monkeypatch, root)
    assert fast[1] == {"status": "ok"}
    assert all(age is not None for age in fast[0].values())


def test_shortcut_takes_only_files_blame_would_date_to_their_adding_commit(history: Path) -> None:
    from anops_policy.collection.git import Git  # noqa: PLC0415

    found = Git.discover(history)
    assert found is not None
    paths = ["keep/once.py", "keep/later.py", "moved/new_name.py", "edited/new.py", "dirty/file.go",
             "staged/file.rs", "[ab].py", "sub/dir/deep.py", "side/branch.py", "main/only.py"]
    known = todos_blame.history(found, paths, timeout=30)
    assert known is not None
    taken = todos_blame.added_once(found, paths, known, timeout=30)
    assert sorted(taken) == ["[ab].py", "keep/once.py", "main/only.py", "side/branch.py", "sub/dir/deep.py"]
    ages, _ = collect_ages(history)
    assert ages[("moved/new_name.py", 1)] == 320  # blame follows the rename back to 2026-01-10
    assert ages[("keep/later.py", 1 + 40 + 1)] == 205
