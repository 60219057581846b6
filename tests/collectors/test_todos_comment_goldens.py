"""The todos collector's comment path on every repository the tests and examples hold: for each file it
would lex, the comments' character spans and the markers it reports, against
``todos/comment_goldens/<tree>.json``. The goldens were frozen from the hand-written lexers before the
switch to tree-sitter; each difference since is explained in docs/todos.md.

Run ``pytest tests/collectors/test_todos_comment_goldens.py --update-goldens`` to rewrite them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from anops_policy.collectors.source import DEFAULT_TICKET, _markers, find_tags
from anops_policy.collectors.source.comment_lexer import comment_spans, may_be_in_comment
from anops_policy.collectors.source.languages import language_for, language_from_shebang, name_has_dot

HERE = Path(__file__).parent
TESTS = HERE.parent
EXAMPLES = TESTS.parent / "examples"
GOLDENS = HERE / "todos" / "comment_goldens"
TICKET = re.compile(DEFAULT_TICKET)
FAMILIES = sorted(p.name for p in HERE.iterdir() if (p / "cases").is_dir())
TREES = [*FAMILIES, "examples-anops", "examples-anops-ready", "examples-polyglot"]


def _roots(tree: str, tmp_path: Path) -> list[tuple[str, Path]]:
    """``(prefix, folder)`` of the repositories a golden covers."""
    if tree == "examples-anops":
        return [("", EXAMPLES / "anops")]
    if tree == "examples-polyglot":
        return [("", EXAMPLES / "polyglot")]
    if tree == "examples-anops-ready":
        ready = tmp_path / "anops"
        shutil.copytree(EXAMPLES / "anops", ready, symlinks=True)
        subprocess.run(["git", "apply", str(EXAMPLES / "anops-ready.patch")], cwd=ready, check=True)
        return [("", ready)]
    cases = sorted(p for p in (HERE / tree / "cases").iterdir() if (p / "repo").is_dir())
    return [(f"{case.name}/", case / "repo") for case in cases]


def _lexed_files(root: Path) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in (".git", "__pycache__"))
        for name in sorted(names):
            full = Path(folder, name)
            rel = full.relative_to(root).as_posix()
            language = language_for(rel)
            if (language is None and name_has_dot(name)) or full.is_symlink() or not full.is_file():
                continue
            data = full.read_bytes()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if b"\0" in data[:8192]:
                continue
            if language is None:
                language = language_from_shebang(text[:256].split("\n", 1)[0]) if text.startswith("#!") else None
            if language is not None:
                out.append((rel, language, text))
    return out


def freeze(root: Path) -> dict[str, Any]:
    files: dict[str, Any] = {}
    for rel, language, text in _lexed_files(root):
        spans = comment_spans(text, language, path=rel)
        record: dict[str, Any] = {
            "language": language,
            "comments": [[text.count("\n", 0, s) + 1, s, e] for s, e in spans],
        }
        matches = [m for m in find_tags(text) if may_be_in_comment(text, m[0], language)]
        if matches:
            limited = comment_spans(text, language, limit=matches[-1][0], path=rel)
            items = _markers(text, matches, limited, rel, language, TICKET)
            record["todos"] = [[it["line"], it["tag"], it["text"]] for it in items]
        files[rel] = record
    return files


@pytest.mark.parametrize("tree", TREES)
def test_comment_spans_and_markers_match_the_golden(tree: str, tmp_path: Path, update_goldens: bool) -> None:
    actual: dict[str, Any] = {}
    for prefix, root in _roots(tree, tmp_path):
        actual.update({prefix + rel: record for rel, record in freeze(root).items()})
    golden = GOLDENS / f"{tree}.json"
    if update_goldens or not golden.exists():
        golden.parent.mkdir(exist_ok=True)
        rows = (f"{json.dumps(path)}: {json.dumps(actual[path], sort_keys=True)}" for path in sorted(actual))
        golden.write_text("{\n" + ",\n".join(rows) + "\n}\n")  # one line per file: reviewable diffs
        if not update_goldens:
            pytest.fail(f"wrote missing golden {golden}; review and commit it")
    assert actual == json.loads(golden.read_text())
