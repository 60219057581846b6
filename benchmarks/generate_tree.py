"""Generate a deterministic, git-committed monorepo tree for the collection benchmarks.

    python benchmarks/generate_tree.py /tmp/bench-tree [--files 20000] [--kb 10] [--seed 1] [--force]

Writes ~FILES files averaging ~KB kilobytes (defaults: 20,000 files, ~200 MB): Rust crates (Cargo.toml,
src, tests), Python services (pyproject.toml, Dockerfile, package, pytest tests) and libraries, Go
modules (with _test.go files), JavaScript packages (with Jest tests), Kubernetes YAML, GitHub workflows,
shell scripts and Markdown docs. TODO/FIXME/XXX/HACK markers sit at known places:

* in comments (what the ``todos`` collector reports),
* in string literals, Python docstrings, YAML ``run: |`` blocks and Markdown prose (decoys: ripgrep
  counts them, the collector must not).

The tree is committed in two commits with fixed dates (most files on 2026-01-15, a few files extended on
2026-09-01), so ``git ls-files``, ``git grep`` and ``git blame`` apply and marker ages are known.

The expected counts go to ``TREE.expected.json`` beside the tree (never inside it, so they are not
scanned): per-file line counts of ``rg -c '\\b(TODO|FIXME|XXX|HACK)\\b'`` and every comment marker
(path, line, tag, owner/ticket, commit date). The summary is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

TAGS = ("TODO", "FIXME", "XXX", "HACK")
RG_PATTERN = re.compile(r"\b(TODO|FIXME|XXX|HACK)\b")
FIRST_DATE = "2026-01-15T12:00:00+00:00"
SECOND_DATE = "2026-09-01T12:00:00+00:00"
WORDS = (
    "cache", "retry", "budget", "stream", "shard", "lease", "token", "queue", "batch", "window", "cursor",
    "ledger", "route", "quota", "probe", "signal", "buffer", "worker", "tenant", "region", "replica",
    "snapshot", "journal", "socket", "timer", "bucket", "filter", "vector",
)
OWNERS = ("alice", "bob", "carol", "dmitri", "esra", "farid")
PROJECTS = ("OPS", "PLAT", "SEC", "INFRA")
# one in this many code files carries comment markers, one in DECOY_EVERY a string-literal decoy
MARKED_EVERY = 23
DECOY_EVERY = 31


@dataclass
class Expected:
    rg_counts: dict[str, int] = field(default_factory=dict)
    markers: list[dict[str, object]] = field(default_factory=list)


class Writer:
    """Builds files line by line so that every planted marker's line number is known."""

    def __init__(self, root: Path, rng: random.Random, kb: int) -> None:
        self.root = root
        self.rng = rng
        self.kb = kb
        self.expected = Expected()
        self.bytes = 0
        self.files: list[str] = []

    def word(self) -> str:
        return self.rng.choice(WORDS)

    def target_size(self) -> int:
        return int(self.kb * 1024 * self.rng.uniform(0.3, 1.7))

    def marker_text(self, tag: str) -> tuple[str, bool]:
        """The text after a tag and whether it names an owner or a ticket."""
        style = self.rng.randrange(4)
        if style == 0:
            return f"({self.rng.choice(OWNERS)}): tighten the {self.word()} {self.word()}", True
        if style == 1:
            key = f"{self.rng.choice(PROJECTS)}-{self.rng.randrange(1, 999)}"
            return f": move the {self.word()} check out ({key})", True
        return f": handle a slow {self.word()} here", False

    def write(self, rel: str, lines: list[str], markers: list[tuple[int, str, bool]], decoys: int) -> None:
        """``markers``: (0-based line, tag, has owner/ticket) planted in comments; ``decoys``: lines
        with a tag that is not in a comment. Every such line holds exactly one tag."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "\n".join(lines) + "\n"
        path.write_text(text, encoding="utf-8")
        self.bytes += len(text)
        self.files.append(rel)
        if markers or decoys:
            self.expected.rg_counts[rel] = len(markers) + decoys
        for index, tag, owned in markers:
            self.expected.markers.append(
                {"path": rel, "line": index + 1, "tag": tag, "owned": owned, "date": FIRST_DATE}
            )


# ---- per-language bodies ------------------------------------------------------------------------------
# Each returns (lines, markers, decoys). Filler blocks repeat with fresh names until the target size.


def _fill(w: Writer, block: str, lines: list[str], size: int) -> None:
    n = 0
    while sum(len(x) + 1 for x in lines) < size:
        lines.extend(block.format(n=n, a=w.word(), b=w.word(), k=w.rng.randrange(1000)).split("\n"))
        n += 1


def _plant(
    w: Writer, lines: list[str], comment: str, decoy: str | None, marked: bool, decoyed: bool
) -> tuple[list[tuple[int, str, bool]], int]:
    """Insert comment markers (when ``marked``) and one decoy (when ``decoyed``) at random lines."""
    markers: list[tuple[int, str, bool]] = []
    inserts: list[tuple[str, str | None, bool]] = []
    if marked:
        for _ in range(w.rng.randint(1, 4)):
            tag = w.rng.choice(TAGS)
            rest, owned = w.marker_text(tag)
            inserts.append((comment.format(tag=tag, rest=rest), tag, owned))
    if decoyed and decoy is not None:
        inserts.append((decoy.format(tag=w.rng.choice(TAGS)), None, False))
    decoys = 0
    for text, tag, owned in inserts:
        # planted between blocks (at a blank line), never inside a multi-line construct
        blanks = [i for i, line in enumerate(lines) if line == ""] or [len(lines)]
        at = w.rng.choice(blanks)
        new = text.split("\n")
        lines[at:at] = new
        markers = [(i + len(new) if i >= at else i, t, o) for i, t, o in markers]
        if tag is None:
            decoys += sum(1 for x in new if RG_PATTERN.search(x))
        else:
            markers.append((at, tag, owned))
    return sorted(markers), decoys


PY_BLOCK = '''def {a}_{n}(value: int, {b}: str = "{a}") -> int:
    """Return the {a} {b} for value."""
    total = value * {k}
    for item in range(value):
        total += item  # accumulate the {b}
    return total
'''
PY_TEST_BLOCK = '''def test_{a}_{n}() -> None:
    result = {a}_helper({k})
    assert result >= {k}
    assert isinstance(result, int)
'''
PY_DOCSTRING_DECOY = '''def documented_{tag}() -> None:
    """Docstring, not a comment:
    # {tag}: this line is inside a string literal
    """
'''
RS_BLOCK = """/// Computes the {a} {b}.
pub fn {a}_{n}(value: u64) -> u64 {{
    let mut total = value * {k};
    for item in 0..value {{
        total += item; // accumulate the {b}
    }}
    total
}}
"""
RS_TEST_BLOCK = """#[test]
fn {a}_works_{n}() {{
    assert_eq!(super::{a}_{n}(0), 0);
}}
"""
GO_BLOCK = """// {a}{n} computes the {a} {b}.
func {a}{n}(value int) int {{
	total := value * {k}
	for i := 0; i < value; i++ {{
		total += i // accumulate the {b}
	}}
	return total
}}
"""
GO_TEST_BLOCK = """func Test{a}{n}(t *testing.T) {{
	if got := {a}{n}(0); got != 0 {{
		t.Fatalf("got %d", got)
	}}
}}
"""
JS_BLOCK = """/** Computes the {a} {b}. */
export function {a}{n}(value) {{
  let total = value * {k};
  for (let i = 0; i < value; i += 1) {{
    total += i; // accumulate the {b}
  }}
  return total;
}}
"""
JS_TEST_BLOCK = """test("{a} {n}", () => {{
  expect({a}{n}(0)).toBe(0);
}});
"""
K8S_BLOCK = """---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {a}-{b}-{n}
data:
  {a}: "{k}"
  {b}: "{a}-{k}"
"""
MD_BLOCK = """## The {a} {b} ({n})

The {a} keeps a {b} per tenant and retries after {k} ms. See the runbook for the {b} limits.
"""
SH_BLOCK = """{a}_{n}() {{
  local value="$1"
  echo "{a} {b} ${{value}}"  # report the {b}
}}
"""

LANGS = {
    # ext: (block, comment marker, string decoy)
    "py": (PY_BLOCK, "# {tag}{rest}", 'LABEL = "{tag}: in a string, not a comment"'),
    "rs": (RS_BLOCK, "// {tag}{rest}", 'const LABEL: &str = "{tag}: in a string";'),
    "go": (GO_BLOCK, "// {tag}{rest}", 'var label = "{tag}: in a string"'),
    "js": (JS_BLOCK, "// {tag}{rest}", "const label = `{tag}: in a template`;"),
    "yaml": (K8S_BLOCK, "# {tag}{rest}", 'note: "{tag}: in a quoted scalar"'),
    "md": (MD_BLOCK, None, "- {tag}: write this section"),
    "sh": (SH_BLOCK, "# {tag}{rest}", 'echo "{tag}: in quotes"'),
}


def code_file(w: Writer, rel: str, ext: str, header: list[str], block: str | None = None) -> None:
    base_block, comment, decoy = LANGS[ext]
    lines = list(header)
    _fill(w, block or base_block, lines, w.target_size())
    marked = comment is not None and w.rng.randrange(MARKED_EVERY) == 0
    decoyed = w.rng.randrange(DECOY_EVERY) == 0
    if ext == "py" and decoyed and w.rng.randrange(2) == 0:
        decoy = PY_DOCSTRING_DECOY.rstrip("\n")
    markers, decoys = _plant(w, lines, comment or "", decoy, marked, decoyed)
    w.write(rel, lines, markers, decoys)


def workflow(w: Writer, rel: str, name: str) -> None:
    lines = [
        f"name: {name}",
        "on:",
        "  push:",
        "    branches: [main]",
        "  pull_request:",
        "permissions:",
        "  contents: read",
        "jobs:",
        "  test:",
        "    runs-on: ubuntu-24.04",
        "    timeout-minutes: 20",
        "    steps:",
        "      - uses: actions/checkout@0ad4b8fadaa221de15dcec353f45205ec38ea70b",
        "      - uses: actions/setup-python@82c7e631bb3cdc910f68e0081d67478d79c6982d",
        "        with:",
        "          python-version: '3.11'",
        "      - name: Test",
        "        run: |",
        "          pip install -e '.[test]'",
        "          # TODO: shard the suite (data inside a block scalar, not a YAML comment)",
        "          pytest -q",
        "",
    ]
    markers: list[tuple[int, str, bool]] = []
    if w.rng.randrange(3) == 0:
        lines.insert(8, "# FIXME(esra): add a nightly schedule")
        markers.append((8, "FIXME", True))
    w.write(rel, lines, markers, 1)


def dockerfile(w: Writer, rel: str, service: str) -> None:
    lines = [
        "# syntax=docker/dockerfile:1.7",
        "FROM python:3.11-slim@sha256:" + "ab" * 32 + " AS build",
        "WORKDIR /src",
        "COPY pyproject.toml .",
        "COPY src ./src",
        "RUN pip install --no-cache-dir .",
        "",
        "FROM python:3.11-slim@sha256:" + "ab" * 32,
        "RUN useradd --uid 10001 app",
        "USER app",
        "COPY --from=build /usr/local /usr/local",
        "HEALTHCHECK CMD python -c 'import sys; sys.exit(0)'",
        f'ENTRYPOINT ["python", "-m", "{service}"]',
    ]
    markers: list[tuple[int, str, bool]] = []
    if w.rng.randrange(4) == 0:
        lines.insert(6, "# TODO(farid): pin the pip version")
        markers.append((6, "TODO", True))
    w.write(rel, lines, markers, 0)


# ---- the tree -----------------------------------------------------------------------------------------


def generate(root: Path, files: int, kb: int, seed: int) -> Writer:
    w = Writer(root, random.Random(seed), kb)
    # share of the file budget per kind of component (sums to ~1)
    scale = files / 20000
    n_crates, n_services, n_libs, n_go, n_js = (int(x * scale) or 1 for x in (40, 30, 20, 20, 20))
    per_component = 140

    w.write("README.md", ["# Generated monorepo", "", "Benchmark tree for anops-policy.", ""], [], 0)
    w.write(".gitignore", ["target/", "node_modules/", "__pycache__/", ""], [], 0)
    for c in range(n_crates):
        name = f"crate{c:02d}"
        w.write(f"crates/{name}/Cargo.toml",
                ["[package]", f'name = "{name}"', 'version = "0.1.0"', 'edition = "2021"', ""], [], 0)
        for i in range(per_component - 30):
            code_file(w, f"crates/{name}/src/m{i:03d}.rs", "rs", ["use std::fmt;", ""])
        for i in range(29):
            code_file(w, f"crates/{name}/tests/t{i:02d}.rs", "rs", ["#[cfg(test)]", ""], RS_TEST_BLOCK)
    for s in range(n_services):
        name = f"svc{s:02d}"
        w.write(f"services/{name}/pyproject.toml",
                ["[project]", f'name = "{name}"', 'version = "1.0.0"', 'dependencies = ["structlog"]', ""], [], 0)
        dockerfile(w, f"services/{name}/Dockerfile", name)
        for i in range(per_component - 50):
            code_file(w, f"services/{name}/src/{name}/m{i:03d}.py", "py", ["import logging", "", ""])
        for i in range(47):
            code_file(w, f"services/{name}/tests/test_m{i:03d}.py", "py", ["import pytest", "", ""], PY_TEST_BLOCK)
    for p in range(n_libs):
        name = f"lib{p:02d}"
        w.write(f"packages/{name}/pyproject.toml", ["[project]", f'name = "{name}"', 'version = "0.3.0"', ""], [], 0)
        for i in range(per_component - 40):
            code_file(w, f"packages/{name}/src/{name}/m{i:03d}.py", "py", ["from __future__ import annotations", ""])
        for i in range(39):
            code_file(w, f"packages/{name}/tests/test_m{i:03d}.py", "py", ["import pytest", "", ""], PY_TEST_BLOCK)
    for g in range(n_go):
        name = f"gomod{g:02d}"
        w.write(f"go/{name}/go.mod", [f"module example.com/{name}", "", "go 1.22", ""], [], 0)
        for i in range(per_component - 40):
            code_file(w, f"go/{name}/m{i:03d}.go", "go", [f"package {name}", ""])
        for i in range(39):
            code_file(w, f"go/{name}/m{i:03d}_test.go", "go", [f"package {name}", "", 'import "testing"', ""],
                      GO_TEST_BLOCK)
    for j in range(n_js):
        name = f"web{j:02d}"
        w.write(f"web/{name}/package.json",
                ["{", f'  "name": "{name}",', '  "scripts": {"test": "jest"}', "}"], [], 0)
        for i in range(per_component - 40):
            code_file(w, f"web/{name}/src/m{i:03d}.js", "js", ["'use strict';", ""])
        for i in range(39):
            code_file(w, f"web/{name}/test/m{i:03d}.test.js", "js", [f"import * as m from '../src/m{i:03d}.js';", ""],
                      JS_TEST_BLOCK)
    for i in range(int(800 * scale) or 1):
        code_file(w, f"deploy/k8s/app{i // 40:02d}/r{i:03d}.yaml", "yaml", ["# generated manifest"])
    for i in range(int(30 * scale) or 1):
        workflow(w, f".github/workflows/ci{i:02d}.yml", f"ci {i}")
    for i in range(int(200 * scale) or 1):
        code_file(w, f"scripts/s{i:03d}.sh", "sh", ["#!/usr/bin/env bash", "set -euo pipefail", ""])
    remaining = max(0, files - len(w.files))
    for i in range(remaining):
        code_file(w, f"docs/d{i // 100:02d}/page{i:04d}.md", "md", [f"# Page {i}", ""])
    return w


def git(root: Path, *args: str, date: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com", "GIT_COMMITTER_DATE": date,
    }
    subprocess.run(["git", "-C", str(root), *args], check=True, env=env, stdout=subprocess.DEVNULL)


def second_commit(w: Writer) -> None:
    """Append a marked block to every 97th Python source file in a later commit (ages differ by file)."""
    for rel in w.files[::97]:
        if not rel.endswith(".py"):
            continue
        path = w.root / rel
        lines = path.read_text(encoding="utf-8").split("\n")[:-1]
        lines += ["", "# HACK: added in the second commit", ""]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        w.bytes += len("\n# HACK: added in the second commit\n\n")
        w.expected.rg_counts[rel] = w.expected.rg_counts.get(rel, 0) + 1
        w.expected.markers.append({"path": rel, "line": len(lines) - 1, "tag": "HACK", "owned": False,
                                   "date": SECOND_DATE})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tree", type=Path, help="folder to generate (outside the repository)")
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--kb", type=int, default=10, help="average file size in KB")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--force", action="store_true", help="replace TREE if it exists")
    args = ap.parse_args(argv)
    root: Path = args.tree.resolve()
    if (Path(__file__).resolve().parents[1] / ".git").exists() and Path(__file__).resolve().parents[1] in [
        root, *root.parents
    ]:
        ap.error(f"{root} is inside the anops-policy repository: generate it elsewhere (e.g. /tmp/bench-tree)")
    if root.exists():
        if not args.force:
            ap.error(f"{root} exists (use --force to replace it)")
        shutil.rmtree(root)
    root.mkdir(parents=True)
    w = generate(root, args.files, args.kb, args.seed)
    git(root, "init", "-q", "-b", "main", date=FIRST_DATE)
    git(root, "add", "-A", date=FIRST_DATE)
    git(root, "commit", "-q", "-m", "Initial tree", date=FIRST_DATE)
    second_commit(w)
    git(root, "commit", "-q", "-a", "-m", "Extend a few modules", date=SECOND_DATE)
    w.expected.markers.sort(key=lambda m: (str(m["path"]), int(str(m["line"]))))
    summary = {
        "files": len(w.files),
        "bytes": w.bytes,
        "rg_lines": sum(w.expected.rg_counts.values()),
        "rg_files": len(w.expected.rg_counts),
        "comment_markers": len(w.expected.markers),
        "files_with_markers": len({m["path"] for m in w.expected.markers}),
        "by_tag": {t: sum(1 for m in w.expected.markers if m["tag"] == t) for t in TAGS},
        "without_owner_or_ticket": sum(1 for m in w.expected.markers if not m["owned"]),
    }
    out = root.parent / (root.name + ".expected.json")
    out.write_text(json.dumps({"summary": summary, "rg_counts": w.expected.rg_counts,
                               "markers": w.expected.markers}, indent=1, sort_keys=True) + "\n")
    json.dump(summary, sys.stdout, indent=2)
    print(f"\nexpected counts written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
