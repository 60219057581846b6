"""The git-based listing skips the per-file ``stat`` for tracked, unchanged files; every other state of a
work tree must still list exactly the regular files and symlinks on disk: a tracked file deleted, one
replaced by a directory, one modified, a symlink, a skip-worktree entry absent from disk, a submodule
(gitlink), untracked and ignored files, default-excluded folders — with and without config excludes.
The expectation is computed independently, from the file system."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from anops_policy.collection.repo import Repo


def git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.com",
           "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.com"}
    subprocess.run(["git", "-C", str(repo), *args], env=env, check=True, capture_output=True)


def write(root: Path, rel: str, text: str = "x\n") -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    sub = tmp_path / "sub"
    sub.mkdir()
    git(sub, "init", "-q")
    write(sub, "lib.rs")
    git(sub, "add", "-A")
    git(sub, "commit", "-q", "-m", "sub")
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    for rel in ("keep.py", "gone.py", "became_dir", "edited.go", "sparse.txt", "target/out.rs", "src/a.rs",
                "build/x.py", ".gitignore"):
        write(root, rel, "ignored.log\n" if rel == ".gitignore" else "x\n")
    (root / "link.py").symlink_to("keep.py")
    git(root, "add", "-A")
    git(root, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "vendor/sub")
    git(root, "commit", "-q", "-m", "init")
    (root / "gone.py").unlink()
    (root / "became_dir").unlink()
    write(root, "became_dir/inner.py")
    write(root, "edited.go", "y\n")
    git(root, "update-index", "--skip-worktree", "sparse.txt")
    (root / "sparse.txt").unlink()
    write(root, "new.py")
    write(root, "ignored.log")
    write(root, "node_modules/dep/index.js")
    return root


def on_disk(root: Path, excluded_dirs: set[str], extra: tuple[str, ...] = ()) -> list[str]:
    """Regular files and symlinks under root, minus .git, git-ignored names, excluded folders, the submodule."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        dirnames[:] = [d for d in dirnames if d not in excluded_dirs and f"{rel_dir}/{d}".lstrip("./") != "vendor/sub"]
        for name in filenames:
            rel = f"{rel_dir}/{name}".removeprefix("./")
            if name != "ignored.log" and not any(rel.startswith(e) for e in extra):
                found.append(rel)
    for dirpath, dirnames, _ in os.walk(root):
        for d in dirnames:
            if (Path(dirpath) / d).is_symlink():
                found.append((Path(dirpath) / d).relative_to(root).as_posix())
    return sorted(found)


DEFAULT_DIRS = {".git", "target", "node_modules", ".anops-policy", ".venv", "venv", "__pycache__"}


def test_listing_matches_the_file_system(tree: Path) -> None:
    listed = Repo(tree).files()
    assert listed == on_disk(tree, DEFAULT_DIRS)
    assert "became_dir/inner.py" in listed and "became_dir" not in listed
    assert "gone.py" not in listed and "sparse.txt" not in listed and "vendor/sub" not in listed
    assert {"link.py", "new.py", "edited.go", ".gitmodules"} <= set(listed)


def test_listing_with_config_excludes(tree: Path) -> None:
    listed = Repo(tree, exclude=["build/", "*.go"]).files()
    expected = [p for p in on_disk(tree, DEFAULT_DIRS, ("build/",)) if not p.endswith(".go")]
    assert listed == expected



def test_a_tracked_folder_replaced_by_a_symlink_is_not_trusted(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    outside = tmp_path / "outside"
    write(root, "a/b.py")
    write(outside, "b.py", "secret\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    repo = Repo(root)
    assert repo.read_bytes("a/b.py") == b"x\n"  # tracked and unchanged: read directly
    (root / "a" / "b.py").unlink()
    (root / "a").rmdir()
    (root / "a").symlink_to(outside)
    repo = Repo(root)
    assert "a/b.py" in repo.files()
    skip = repo.read_bytes("a/b.py")
    assert not isinstance(skip, bytes) and skip.reason == "symlink points outside the evaluated directory"
