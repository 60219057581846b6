"""File names that are not valid UTF-8: never listed, recorded in ``Repo.listing_skips`` instead, the same
with and without git (before: git mode dropped them silently, the walk crashed the todos collector)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from anops_policy.collection.repo import Repo, Skip

BAD_FILE = b"lat\xe9.py"
BAD_DIR = b"d\xff"


def _tree(root: Path) -> Path:
    bad_dir = root / os.fsdecode(BAD_DIR)  # surrogate escapes: the bytes as they are on disk
    bad_dir.mkdir(parents=True)
    (root / os.fsdecode(BAD_FILE)).write_bytes(b"# TODO: x\n")
    (root / "ok.py").write_bytes(b"# TODO: x\n")
    (bad_dir / "inner.py").write_bytes(b"# TODO: y\n")
    (root / ".gitignore").write_text("ignored*\n")
    (root / os.fsdecode(b"ignored\xe9.py")).write_bytes(b"\n")  # ignored: neither listed nor recorded
    return root


SKIPS = [Skip("d\\xff/inner.py", "file name is not valid UTF-8"), Skip("lat\\xe9.py", "file name is not valid UTF-8")]


@pytest.mark.parametrize("mode", ["git", "walk"])
def test_undecodable_names_are_skipped_not_listed(tmp_path: Path, mode: str) -> None:
    root = _tree(tmp_path / "repo")
    if mode == "git":
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    repo = Repo(root, use_git=mode == "git")
    assert (repo.git is not None) == (mode == "git")
    assert repo.files() == [".gitignore", "ok.py"]
    assert repo.listing_skips == SKIPS
    assert repo.glob(["**/*.py"]) == ["ok.py"]
    assert repo.glob(["**/*.xml"], include_ignored=True) == []
    assert repo.listing_skips == SKIPS
    # a result glob bypasses .gitignore: it reports the undecodable files it matches, the ignored one too
    everything = repo.glob(["**/*"], include_ignored=True)
    assert "ok.py" in everything
    assert all(p.encode("utf-8") for p in everything)  # a surrogate escape would raise here
    assert [s.path for s in repo.listing_skips] == ["d\\xff/inner.py", "lat\\xe9.py", "ignored\\xe9.py"]


def test_the_todos_collector_survives_an_undecodable_name(tmp_path: Path) -> None:
    root = _tree(tmp_path / "repo")
    proc = subprocess.run(
        [sys.executable, "-m", "anops_policy", "facts", str(root), "--only", "todos", "--now", "2026-11-26"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    facts = json.loads(proc.stdout)
    assert facts["meta"]["collectors"]["todos"]["status"] == "ok"
    assert [item["path"] for item in facts["todos"]["items"]] == ["ok.py"]
