"""Hermetic repository access: git-aware listing, .gitignore, default excludes, hostile files."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from anops_policy.collection.repo import Repo, Skip


def git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e"}
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def tree(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "main.py").write_text("print('hi')\n")
    (root / "build.log").write_text("ignored\n")
    (root / ".gitignore").write_text("*.log\n/generated/\n")
    (root / "generated").mkdir()
    (root / "generated" / "x.py").write_text("x = 1\n")
    (root / "node_modules" / "pkg").mkdir(parents=True)
    (root / "node_modules" / "pkg" / "index.js").write_text("// TODO\n")
    (root / ".anops-policy").mkdir()
    (root / ".anops-policy" / "decisions.jsonl").write_text("{}\n")
    return root


@pytest.mark.parametrize("use_git", [True, False], ids=["git", "walk"])
def test_listing_honours_gitignore_and_default_excludes(tmp_path: Path, use_git: bool) -> None:
    root = tree(tmp_path / "repo")
    if use_git:
        git(root, "init", "-q")
    repo = Repo(root, use_git=use_git)
    assert (repo.git is not None) == use_git
    assert repo.files() == [".gitignore", "src/main.py"]
    # result globs bypass .gitignore and default excludes, but never enter .git or .anops-policy
    everything = repo.glob(["**/*"], include_ignored=True)
    assert "build.log" in everything and "node_modules/pkg/index.js" in everything
    assert not any(p.startswith((".git/", ".anops-policy/")) for p in everything)


def test_listing_is_restricted_to_the_evaluated_subdirectory(tmp_path: Path) -> None:
    root = tmp_path / "mono"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    (root / "a" / "one.py").write_text("1\n")
    (root / "b" / "two.py").write_text("2\n")
    git(root, "init", "-q")
    repo = Repo(root / "a")
    assert repo.git is not None and repo.git.prefix == "a"
    assert repo.files() == ["one.py"]


def test_config_excludes(tmp_path: Path) -> None:
    root = tree(tmp_path / "repo")
    (root / "vendor").mkdir()
    (root / "vendor" / "lib.py").write_text("")
    assert "vendor/lib.py" not in Repo(root, exclude=["vendor/**"], use_git=False).files()


def test_hostile_files_are_skipped_with_reasons(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text("do not read\n")
    (root / "escape.txt").symlink_to(outside)
    (root / "loop").symlink_to(root / "loop")
    (root / "binary.dat").write_bytes(b"\x00\x01\x02" * 10)
    (root / "latin1.txt").write_bytes("caf\xe9\n".encode("latin-1"))
    (root / "big.txt").write_bytes(b"a" * 2048)
    (root / "fine.txt").write_text("fine\n")
    repo = Repo(root, use_git=False, max_file_bytes=1024)
    results = {p: repo.read_text(p) for p in repo.files()}
    assert results["fine.txt"] == "fine\n"
    reasons = {p: r.reason for p, r in results.items() if isinstance(r, Skip)}
    assert "outside" in reasons["escape.txt"]
    assert "symlink loop" in reasons["loop"]
    assert reasons["binary.dat"] == "binary file"
    assert "not UTF-8" in reasons["latin1.txt"]
    assert "larger than 1024 bytes" in reasons["big.txt"]
