"""The todos facts agree with ripgrep restricted to comment lines.

ripgrep (``pip install --only-binary :all: ripgrep==14.1.0``) lists every line with a whole-word tag;
each hit is then classified *independently of the collector*: Python files with the ``tokenize`` module
(COMMENT vs STRING tokens), every other file by the hand-made ``todos/rg_annotations.yaml``. The
collector must report exactly the hits classified as comments (same line, same tag) — so no marker in a
string literal is reported and no marker in a comment is missed — on a multi-language tree full of
traps and on the bundled example repository."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tokenize
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from anops_policy.config import RepoConfig
from anops_policy.pipeline.collect import collect_facts

HERE = Path(__file__).parent
EXAMPLE = HERE.parents[1] / "examples" / "anops"
TREES = {"multilang": HERE / "todos" / "cases" / "multilang" / "repo", "anops": EXAMPLE}
PATTERN = r"\b(TODO|FIXME|XXX|HACK)\b"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
RG = shutil.which("rg")

pytestmark = pytest.mark.skipif(
    RG is None, reason="ripgrep is a test dependency: pip install --only-binary :all: ripgrep==14.1.0"
)

Key = tuple[str, int]


def rg_hits(root: Path) -> dict[Key, str]:
    assert RG is not None
    out = subprocess.run(
        [RG, "--no-config", "--line-number", "--no-heading", "--with-filename", "--hidden", "--glob", "!.git",
         "-e", PATTERN, "."],
        cwd=root, capture_output=True, text=True, check=False,
    )
    assert out.returncode in (0, 1), out.stderr
    hits: dict[Key, str] = {}
    for row in out.stdout.splitlines():
        path, line, text = row.split(":", 2)
        hits[(path.removeprefix("./"), int(line))] = text
    return hits


def python_classes(text: str) -> tuple[dict[int, str], set[int]]:
    """(line -> first tag inside a COMMENT token, lines covered by STRING tokens) per ``tokenize``."""
    comments: dict[int, str] = {}
    strings: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            m = re.search(PATTERN, tok.string)
            if m:
                comments[tok.start[0]] = m.group(1)
        elif tok.type == tokenize.STRING:
            strings.update(range(tok.start[0], tok.end[0] + 1))
    return comments, strings


def expected_markers(tree: str, root: Path) -> dict[Key, str]:
    hits = rg_hits(root)
    assert hits, f"ripgrep found nothing under {root}"
    annotations: dict[str, str] = yaml.safe_load((HERE / "todos" / "rg_annotations.yaml").read_text())[tree]
    annotated = {(k.rsplit(":", 1)[0], int(k.rsplit(":", 1)[1])): v for k, v in annotations.items()}
    other_hits = {key for key in hits if not key[0].endswith(".py")}
    assert other_hits == set(annotated), (
        "rg_annotations.yaml is out of date: "
        f"hits without annotation {sorted(other_hits - set(annotated))}, "
        f"annotations without hit {sorted(set(annotated) - other_hits)}"
    )
    expected: dict[Key, str] = {}
    for key, verdict in annotated.items():
        kind, _, tag = verdict.partition(" ")
        assert kind in ("comment", "literal", "not-code"), verdict
        if kind == "comment":
            assert re.search(r"\b" + tag + r"\b", hits[key]), (key, verdict)
            expected[key] = tag
    for path in sorted({p for p, _ in hits if p.endswith(".py")}):
        comments, strings = python_classes((root / path).read_text(encoding="utf-8"))
        for (hit_path, line), text in hits.items():
            if hit_path != path:
                continue
            if line in comments:
                expected[(path, line)] = comments[line]
            else:  # a hit that is not in a comment must be inside a string literal (e.g. a docstring)
                assert line in strings, f"{path}:{line} is neither comment nor string per tokenize: {text}"
    return expected


def reported_markers(root: Path, tmp_path: Path, copy: bool) -> dict[Key, str]:
    if copy:  # case trees are evaluated without git, as the case runner does
        shutil.copytree(root, tmp_path / "repo", symlinks=True)
        root = tmp_path / "repo"
    document = collect_facts(root, RepoConfig(), now=NOW, only=["todos"], use_git=False)
    assert document["meta"]["collectors"]["todos"]["status"] == "ok", document["meta"]["collectors"]
    return {(it["path"], it["line"]): it["tag"] for it in document["todos"]["items"]}


@pytest.mark.parametrize("tree", sorted(TREES))
def test_todos_match_ripgrep_on_comment_lines(tree: str, tmp_path: Path) -> None:
    root = TREES[tree]
    expected = expected_markers(tree, root)
    reported = reported_markers(root, tmp_path, copy=tree != "anops")
    missed = {k: v for k, v in expected.items() if reported.get(k) != v}
    extra = {k: v for k, v in reported.items() if k not in expected}
    assert not missed, f"comment markers not reported (or with another tag): {sorted(missed.items())}"
    assert not extra, f"reported markers that are not comment hits of ripgrep: {sorted(extra.items())}"


def test_example_traps() -> None:
    """The traps examples/README.md names: strings and a raw string don't count; the FIXME after the
    inner ``*/`` of a nested block comment does."""
    reported = reported_markers(EXAMPLE, Path(), copy=False)
    for line in (36, 58, 67):
        assert ("ao-cli/src/utils.rs", line) not in reported
    assert reported[("ao-cli/src/build.rs", 35)] == "FIXME"
    assert ("ao-cli/tests/cli.rs", 64) not in reported
    release = {"ao-cli/src/build.rs", "ao-cli/src/utils.rs", "model-service/server.py", "tests/test_e2e.py"}
    assert sorted(k for k in reported if k[0] in release) == [
        ("ao-cli/src/build.rs", 13), ("ao-cli/src/build.rs", 35), ("ao-cli/src/utils.rs", 20),
        ("model-service/server.py", 71), ("tests/test_e2e.py", 53),
    ]
