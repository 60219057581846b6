"""Weird files never crash the todos collector: binary, invalid UTF-8, a 50 MB file, a symlink loop and a
symlink leaving the tree each end as a recorded skip (with every search backend, with and without git),
a symlink to a file inside the tree is not counted twice, and deep nesting is parsed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from anops_policy.collectors import source as todos_source

from anops_policy.collection.parallel import available, usable_cores
from anops_policy.config import config_from_data
from anops_policy.pipeline.collect import collect_facts

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
BACKENDS = ["python", "git", *(["rg"] if shutil.which("rg") else [])]


def config(**todos: Any) -> Any:
    return config_from_data(
        {"apiVersion": "anops.dev/config/v1", "collect": {"options": {"todos": todos}}}, None, "test"
    )


@pytest.fixture(scope="module")
def weird_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("weird")
    root = base / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "ok.py").write_text("x = 1  # TODO: the only real marker\n")
    (root / "src" / "blob.rs").write_bytes(b"\x00\x01\x02// TODO: in a binary file\n\x00")
    (root / "src" / "latin1.py").write_bytes("# TODO: caf\xe9 au lait\n".encode("latin-1"))
    with (root / "src" / "huge.py").open("wb") as fh:  # 50 MB, over the default 4 MiB limit
        fh.write(b"# TODO: never read\n")
        chunk = b"x = 1\n" * 100_000
        for _ in range(50 * 1024 * 1024 // len(chunk)):
            fh.write(chunk)
    (root / "src" / "loop.rs").symlink_to("loop.rs")
    outside = base / "outside.go"
    outside.write_text("// TODO: outside the evaluated directory\n")
    (root / "src" / "escape.go").symlink_to(outside)
    (root / "src" / "alias.py").symlink_to("ok.py")
    (root / "src" / "dir_loop").symlink_to(".")
    return root


def run(root: Path, **todos: Any) -> dict[str, Any]:
    return collect_facts(root, config(**todos), now=NOW, only=["todos"], use_git=(root / ".git").exists())


def check_weird(document: dict[str, Any]) -> None:
    meta = document["meta"]["collectors"]["todos"]
    assert meta["status"] == "ok", meta
    section = document["todos"]
    assert [(it["path"], it["line"], it["tag"]) for it in section["items"]] == [("src/ok.py", 1, "TODO")]
    reasons = {s["path"]: s["reason"] for s in meta["skipped"]}
    assert reasons["src/blob.rs"] == "binary file"
    assert reasons["src/latin1.py"].startswith("not UTF-8")
    assert reasons["src/huge.py"].startswith("larger than 4194304 bytes")
    assert "symlink loop" in reasons["src/loop.rs"]
    assert reasons["src/escape.go"] == "symlink points outside the evaluated directory"
    assert "src/alias.py" not in reasons  # scanned at its target, src/ok.py
    assert section["files_scanned"] == 1


@pytest.mark.parametrize("search", BACKENDS)
def test_weird_files_are_recorded_skips_without_git(weird_tree: Path, search: str) -> None:
    check_weird(run(weird_tree, search=search))


@pytest.mark.parametrize("search", BACKENDS)
def test_weird_files_are_recorded_skips_in_a_git_work_tree(
    weird_tree: Path, tmp_path: Path, search: str
) -> None:
    root = tmp_path / "repo"
    shutil.copytree(weird_tree, root, symlinks=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)  # untracked files: listed, not blamed
    document = run(root, search=search)
    check_weird(document)
    assert document["todos"]["items"][0]["age_days"] == 0  # not committed yet
    assert document["todos"]["blame"] == {"status": "ok"}


def test_a_larger_size_limit_reads_the_big_file(weird_tree: Path) -> None:
    data = {"apiVersion": "anops.dev/config/v1", "collect": {"max_file_bytes": 64 * 1024 * 1024}}
    cfg = config_from_data(data, None, "t")
    document = collect_facts(weird_tree, cfg, now=NOW, only=["todos"], use_git=False)
    found = {(it["path"], it["line"]) for it in document["todos"]["items"]}
    assert found == {("src/ok.py", 1), ("src/huge.py", 1)}


def test_files_without_markers_are_searched_not_read(tmp_path: Path) -> None:
    """A binary file with no tag bytes at all is proven clean by the search: no skip to report."""
    (tmp_path / "a.c").write_bytes(b"\x00\x01 nothing here")
    (tmp_path / "b.c").write_text("int main(void) { return 0; }\n")
    document = run(tmp_path)
    assert "skipped" not in document["meta"]["collectors"]["todos"]
    assert document["todos"]["files_scanned"] == 2
    assert document["todos"]["files_by_language"] == {"c": 2}


def test_crlf_and_no_trailing_newline(tmp_path: Path) -> None:
    (tmp_path / "w.py").write_bytes(b"a = 1\r\n# TODO(ana): windows line ends\r\nb = '# FIXME'  # XXX last")
    items = run(tmp_path)["todos"]["items"]
    assert [(it["line"], it["tag"], it["text"], it.get("owner")) for it in items] == [
        (2, "TODO", "windows line ends", "ana"),
        (3, "XXX", "last", None),
    ]


def test_pathological_nesting_is_parsed_not_a_crash(tmp_path: Path) -> None:
    """5,000 nested template literals: tree-sitter parses without recursing in Python, so the marker after
    them is found (the earlier hand lexer gave up on such a file and recorded it as skipped)."""
    depth = 5000
    nested = "`${" * depth + "1" + "}`" * depth
    (tmp_path / "deep.ts").write_text(f"const s = {nested};\n// TODO: after the nesting\n")
    document = run(tmp_path)
    assert document["meta"]["collectors"]["todos"]["status"] == "ok"
    assert "skipped" not in document["meta"]["collectors"]["todos"]
    assert [(it["line"], it["text"]) for it in document["todos"]["items"]] == [(2, "after the nesting")]


def test_a_big_file_is_parsed_only_up_to_its_last_tag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A parse takes ~150 bytes of memory per byte of dense source: past ``PREFIX_FROM_CHARS`` a file is read
    by tree-sitter only up to the line of its last tag, privately (its tree joins no shared window)."""
    from anops_policy.collectors.source import comment_lexer  # noqa: PLC0415

    from anops_policy.syntax import comments  # noqa: PLC0415

    parsed: list[int] = []
    real = comments.comment_spans

    def spy(text: str, grammar: str, limit: int | None = None) -> list[tuple[int, int]]:
        parsed.append(len(text))
        return real(text, grammar, limit)

    monkeypatch.setattr(comments, "comment_spans", spy)
    body = "x = 1\n" * (comment_lexer.PREFIX_FROM_CHARS // 6 + 1000)
    (tmp_path / "big.py").write_text("s = '# TODO not a comment'\n# TODO(ana): early\n" + body)
    items = run(tmp_path)["todos"]["items"]
    assert [(it["path"], it["line"], it["text"]) for it in items] == [("big.py", 2, "early")]
    assert parsed and max(parsed) < len(body) // 2, parsed


def test_the_shared_window_of_trees_is_bounded_by_size() -> None:
    from anops_policy.syntax.languages import LANGUAGES  # noqa: PLC0415
    from anops_policy.syntax.trees import KEEP_CHARS, SourceTrees  # noqa: PLC0415

    trees = SourceTrees()
    big = "x = 1\n" * (KEEP_CHARS // 6 + 1)
    trees.tree("big.py", big, LANGUAGES["python"])
    assert trees.trees == {} and trees.kept_chars == 0  # handed back, not kept
    part = "y = 2\n" * (KEEP_CHARS // 6 // 3)
    for name in ("a.py", "b.py", "c.py", "d.py"):
        trees.tree(name, part, LANGUAGES["python"])
    assert trees.kept_chars <= KEEP_CHARS and len(trees.trees) == 3
    assert [key[0] for key in trees.trees] == ["b.py", "c.py", "d.py"]


def test_markers_found_by_forked_children_are_the_ones_found_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: list[int]
) -> None:
    """Past ``FAN_OUT_CHARS`` of text to parse, forked children share the parses: the section is the same
    (markers, their order, the files scanned per language, the skips) as one process finds it."""
    monkeypatch.setenv("ANOPS_POLICY_CACHE", "off")
    root = tmp_path / "repo"
    for i in range(12):
        (root / f"pkg{i}").mkdir(parents=True)
        (root / f"pkg{i}" / "mod.py").write_text(
            f'"""TODO: a docstring, not a comment"""\nx = {i}  # TODO(ann): item {i} (OPS-{i})\n'
            + 'y = "# FIXME: in a string"\n' * i
        )
        (root / f"pkg{i}" / "lib.rs").write_text(f"/* HACK: {i} */ fn f() {{}}\n// XXX keep\nlet s = \"// TODO\";\n")
        (root / f"pkg{i}" / "run.sh").write_text(f"#!/bin/sh\necho '# TODO no' # TODO: sh {i}\n")
    (root / "pkg0" / "blob.go").write_bytes(b"\x00// TODO: binary\n")
    serial = run(root, search="python")
    monkeypatch.setattr(todos_source, "FAN_OUT_CHARS", 0)
    split = run(root, search="python")
    if usable_cores() >= 2 and available():
        assert forks, "the scan was not split across processes"
    assert split["todos"] == serial["todos"]
    assert split["meta"]["collectors"]["todos"]["skipped"] == serial["meta"]["collectors"]["todos"]["skipped"]
    tags = sorted((it["path"], it["tag"]) for it in split["todos"]["items"])
    assert len(tags) == 12 * 4 and ("pkg3/mod.py", "TODO") in tags and ("pkg0/blob.go", "TODO") not in tags
    assert [s["path"] for s in split["meta"]["collectors"]["todos"]["skipped"]] == ["pkg0/blob.go"]


FORK_PROBE = """
import json, os, sys
from anops_policy.collection import parallel
from anops_policy.collectors import source
seen = {}
scan_all = source._scan_all
def probe(ctx, files, ticket):
    seen["fork_safe"] = parallel.available()
    return scan_all(ctx, files, ticket)
source._scan_all = probe
from anops_policy.cli.main import main
sys.argv = ["anops-policy", "facts", sys.argv[1], "--jobs", "1", "-o", os.devnull]
try:
    main()
except SystemExit:
    pass
print(json.dumps(seen))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux") or usable_cores() < 2, reason="splits only on Linux, 2+ cores")
def test_one_process_runs_the_splitting_collectors_before_the_dockerfile_parser(tmp_path: Path) -> None:
    """BuildKit's parser (a Go extension) starts native threads, after which a fork is unsafe: in one
    process (``--jobs 1``, every small repository) the todos collector runs before the dockerfiles collector,
    so it may still split its parsing."""
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nRUN true  # TODO: pin\n")
    (tmp_path / "app.py").write_text("x = 1  # TODO: a marker\n")
    out = subprocess.run([sys.executable, "-c", FORK_PROBE, str(tmp_path)], capture_output=True, text=True,
                         check=False, env={**os.environ, "ANOPS_POLICY_CACHE": "off"}, timeout=300)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"fork_safe": True}, out.stderr[-2000:]
