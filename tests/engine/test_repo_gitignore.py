""".gitignore without git: the walk lists exactly what ``git ls-files --others --exclude-standard`` lists
on the same tree (negations, nesting, anchoring, ``**``, classes, escapes, directory-only patterns)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from anops_policy.collection.repo import Repo

# (id, {path: content} — a path ending in "@" is a symlink to the content; "" for a file is fine,
#  expected listing). The .gitignore files are part of the tree and of the listing when not ignored.
CASES: list[tuple[str, dict[str, str], list[str]]] = [
    (
        "nested-negation",  # the reviewer's /tmp/review/neg
        {".gitignore": "*.log.py\n", "top.py": "", "a.log.py": "", "sub/.gitignore": "!keep.log.py\n",
         "sub/keep.log.py": "", "sub/drop.log.py": ""},
        [".gitignore", "sub/.gitignore", "sub/keep.log.py", "top.py"],
    ),
    (
        "deeper-file-wins-both-ways",
        {".gitignore": "*.log\n", "a.log": "", "sub/.gitignore": "!*.log\n", "sub/b.log": "",
         "sub/deeper/.gitignore": "*.log\n", "sub/deeper/c.log": "", "sub/deeper/d.txt": ""},
        [".gitignore", "sub/.gitignore", "sub/b.log", "sub/deeper/.gitignore", "sub/deeper/d.txt"],
    ),
    (
        "excluded-directory-cannot-be-reincluded",
        {".gitignore": "build/\n!build/keep.py\n", "build/keep.py": "", "build/.gitignore": "!*\n",
         "build/x.py": "", "src/a.py": ""},
        [".gitignore", "src/a.py"],
    ),
    (
        "children-excluded-not-the-directory",
        {".gitignore": "dist/*\n!dist/keep.py\n", "dist/keep.py": "", "dist/other.py": "", "dist/sub/x.py": ""},
        [".gitignore", "dist/keep.py"],
    ),
    (
        "everything-but-python",
        {".gitignore": "*\n!*/\n!*.py\n", "a.py": "", "a.txt": "", "sub/b.py": "", "sub/c.txt": ""},
        ["a.py", "sub/b.py"],
    ),
    (
        "last-match-in-a-file-wins",
        {".gitignore": "*.tmp\n!a.tmp\n!b.tmp\nb.tmp\n", "a.tmp": "", "b.tmp": "", "c.tmp": ""},
        [".gitignore", "a.tmp"],
    ),
    (
        "anchoring",
        {".gitignore": "/top.txt\ndocs/*.md\nname\n", "top.txt": "", "sub/top.txt": "", "docs/a.md": "",
         "x/docs/a.md": "", "docs/deep/b.md": "", "name": "", "sub/name/f": "", "sub/names": ""},
        [".gitignore", "docs/deep/b.md", "sub/names", "sub/top.txt", "x/docs/a.md"],
    ),
    (
        "anchored-in-a-nested-file",
        {"sub/.gitignore": "/only.txt\nx/y.txt\n", "only.txt": "", "sub/only.txt": "", "sub/x/only.txt": "",
         "sub/x/y.txt": "", "sub/z/x/y.txt": ""},
        ["only.txt", "sub/.gitignore", "sub/x/only.txt", "sub/z/x/y.txt"],
    ),
    (
        "double-star",
        {".gitignore": "**/gen/\na/**/z.py\nlogs/**\n!logs/keep/\n", "gen/x": "", "p/q/gen/y": "", "p/gen": "",
         "a/z.py": "", "a/b/c/z.py": "", "b/a/z.py": "", "logs/keep/k": "", "logs/l": ""},
        [".gitignore", "b/a/z.py", "p/gen"],
    ),
    (
        "star-runs-and-whole-star",
        {".gitignore": "x**y\nsub/**\n!sub/keep\n", "xay": "", "x/y": "", "sub/keep": "", "sub/other": ""},
        [".gitignore", "sub/keep", "x/y"],
    ),
    (
        "directory-only-pattern",
        {".gitignore": "cache/\n", "cache": "", "sub/cache/x": "", "sub/cached/y": ""},
        [".gitignore", "cache", "sub/cached/y"],
    ),
    (
        "classes",
        {".gitignore": "[abc].py\n[!x]y.txt\nfile[0-9].c\n[[:digit:]]x\n[^q]r\n[]]z\nbad[\n",
         "a.py": "", "d.py": "", "ay.txt": "", "xy.txt": "", "file7.c": "", "filex.c": "", "3x": "", "ax": "",
         "pr": "", "qr": "", "]z": "", "bad[": ""},
        [".gitignore", "ax", "bad[", "d.py", "filex.c", "qr", "xy.txt"],
    ),
    (
        "escapes-comments-and-spaces",
        {".gitignore": "# comment\n\\#hash\n\\!bang\nspaced.txt   \ntrail\\ \nq\\?\n", "#hash": "", "!bang": "",
         "# comment": "", "spaced.txt": "", "trail ": "", "trail": "", "q?": "", "qx": ""},
        ["# comment", ".gitignore", "qx", "trail"],
    ),
    (
        "symlinks-are-files",
        {".gitignore": "link/\nother\n", "real/f": "", "link@": "real", "other@": "real"},
        [".gitignore", "link", "real/f"],
    ),
]


def _make(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        if name.endswith("@"):
            path = root / name[:-1]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.symlink_to(content)
        else:
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)


@pytest.fixture
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No global or system git config (a user's core.excludesFile would change what git ignores)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    monkeypatch.delenv("GIT_DIR", raising=False)


@pytest.mark.parametrize(("files", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_walk_lists_what_git_lists(tmp_path: Path, files: dict[str, str], expected: list[str]) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    _make(root, files)
    assert Repo(root, use_git=False).files() == expected


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.usefixtures("isolated_git")
@pytest.mark.parametrize(("files", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_table_is_what_git_lists(tmp_path: Path, files: dict[str, str], expected: list[str]) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    _make(root, files)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, env=os.environ)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--others", "--exclude-standard"], cwd=root, check=True, capture_output=True
    ).stdout.decode()
    assert sorted(p for p in listed.split("\0") if p) == expected
    # and the git-aware listing agrees with both
    repo = Repo(root)
    assert repo.git is not None
    assert repo.files() == expected
