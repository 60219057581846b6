"""The python collector's per-file summaries: what their walks of ``ast`` cost, and whether tree-sitter
queries (through ast-grep-py) would read the same facts faster. One process, files read beforehand,
``time.process_time`` with the cyclic GC off, interleaved rounds, the lowest round of each row:

    a. ``ast.parse`` alone (``a+walk``: and ``python_ast.walk_nodes``, as ``parse_python`` does)
    b. the collector's per-file function, ``module_products.summarise(ctx, path, text, e2e=...)``, end to
       end (parse, walks, summaries), as ``PythonCollector._collect`` calls it: b - a is the walks
    c. the tree-sitter parse alone, ``SgRoot(text, "python").root()`` (``c+error``: and the search for an
       ERROR node a switched collector needs to know the file is not valid Python)
    d. a representative part of the summaries (top-level functions and methods with their decorators,
       parameters and lines; every call's dotted callee with its line; imports; ``os.environ``/``os.getenv``
       reads), read once from ``ast`` with a plain walk and once from the tree-sitter tree in several ways
       (one ``find_all`` with an ``any`` rule; the same slicing texts by range; one ``find_all`` per kind; a
       Python walk of ``children()``); ``fn-*``: the functions alone. The facts are compared file by file
       (agreement %); ``d-ast-nodes`` reads part d over a ``walk_nodes`` list made beforehand, as the collector's
       scans share one. The "reading part" column is the CPU time of the reading alone, inside the row.

    python benchmarks/generate_tree.py /tmp/b3-tree --files 5000
    python benchmarks/python_summaries/run.py --fetch /tmp/b3-pypi --rounds 5 \\
        bench-tree-5k=/tmp/b3-tree pypi-sdists=/tmp/b3-pypi/src

``--fetch DIR`` downloads the pinned sdists of ``PROJECTS`` from PyPI (``pip download --no-deps
--no-binary :all:``) into ``DIR/sdists`` and unpacks them into ``DIR/src`` (skipped when already there).
Each tree is listed like the collector lists a repository (``Repo``, default excludes); files ``ast`` does
not parse are left out of every row. ``--json`` writes the numbers."""

from __future__ import annotations

import argparse
import ast
import gc
import json
import platform
import subprocess
import sys
import tarfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from anops_policy.collectors.python import DEFAULT_E2E_GLOBS
from anops_policy.collectors.python.module_products import summarise
from ast_grep_py import SgNode, SgRoot

from anops_policy.collection.collector import CollectContext
from anops_policy.collection.repo import Repo
from anops_policy.config import RepoConfig
from anops_policy.syntax.python_ast import walk_nodes

sys.path.insert(0, str(Path(__file__).resolve().parent))

from summary_facts import Facts, ast_facts, ast_functions
from ts_readers import TS_READERS, ts_functions

PROJECTS = (
    "requests==2.32.3",
    "flask==3.0.3",
    "click==8.1.7",
    "rich==13.7.1",
    "httpx==0.27.0",
    "attrs==23.2.0",
    "pytest==8.2.2",
    "black==24.4.2",
)
NOW = datetime(2026, 11, 26, tzinfo=UTC)


# ---- the corpus ---------------------------------------------------------------------------------------
@dataclass
class Corpus:
    name: str
    root: Path
    files: list[tuple[str, str]]  # (path, text) of the files ast parses
    e2e: set[str]
    rejected: int  # .py files ast does not parse (or not read)
    ctx: CollectContext

    @property
    def mb(self) -> float:
        return sum(len(t.encode()) for _p, t in self.files) / 1e6


def load(name: str, root: Path) -> Corpus:
    ctx = CollectContext(repo=Repo(root, use_git=False), config=RepoConfig(), now=NOW, facts={})
    files: list[tuple[str, str]] = []
    rejected = 0
    for path in ctx.files():
        if not path.endswith(".py"):
            continue
        text = ctx.read_text(path)
        try:
            if text is None:
                raise ValueError(path)
            ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            rejected += 1
            continue
        files.append((path, text))
    e2e = {p for p in ctx.glob(list(DEFAULT_E2E_GLOBS)) if p.endswith(".py")}
    ctx.skips.clear()
    return Corpus(name, root, files, e2e, rejected, ctx)


def fetch(folder: Path) -> Path:
    """Download the pinned sdists (once) and unpack them under ``folder/src``."""
    sdists, src = folder / "sdists", folder / "src"
    sdists.mkdir(parents=True, exist_ok=True)
    src.mkdir(parents=True, exist_ok=True)
    for spec in PROJECTS:
        name, version = spec.split("==")
        pattern = f"{name.replace('-', '_')}-{version}.*"
        if not any(sdists.glob(pattern)) and not any(sdists.glob(f"{name}-{version}.*")):
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "-q",
                    "--no-deps",
                    "--no-binary",
                    ":all:",
                    spec,
                    "-d",
                    str(sdists),
                ],
                check=True,
            )
    for archive in sorted(sdists.glob("*.tar.gz")):
        target = src / archive.name.removesuffix(".tar.gz")
        if not target.exists():
            with tarfile.open(archive) as tar:
                tar.extractall(src, filter="data")
    return src


# ---- timing -------------------------------------------------------------------------------------------
def row_ast_parse(corpus: Corpus) -> float:
    for path, text in corpus.files:
        ast.parse(text, filename=path)
    return 0.0


def row_ast_walk(corpus: Corpus) -> float:
    """What ``parse_python`` does before any summary: the parse and one ``walk_nodes`` list of the nodes."""
    for path, text in corpus.files:
        walk_nodes(ast.parse(text, filename=path))
    return 0.0


def row_summarise(corpus: Corpus) -> float:
    ctx, e2e = corpus.ctx, corpus.e2e
    for path, text in corpus.files:
        summarise(ctx, path, text, e2e=path in e2e)
    return 0.0


def row_ts_parse(corpus: Corpus) -> float:
    for _path, text in corpus.files:
        SgRoot(text, "python").root()
    return 0.0


def reading_row(prepare: Callable[[str, str], Any], read: Callable[[Any, str], object]) -> Callable[[Corpus], float]:
    """A row that runs ``prepare(path, text)`` (a parse) then ``read(prepared, text)`` on every file; the row
    returns the reading's own CPU time (its whole time is measured by ``timed``)."""

    def row(corpus: Corpus) -> float:
        clock = time.process_time
        reading = 0.0
        for path, text in corpus.files:
            prepared = prepare(path, text)
            start = clock()
            read(prepared, text)
            reading += clock() - start
        return reading

    return row


def _ast_tree(path: str, text: str) -> ast.Module:
    return ast.parse(text, filename=path)


def _ast_tree_and_nodes(path: str, text: str) -> tuple[ast.Module, list[ast.AST]]:
    """Parse and walk, as ``parse_python`` does."""
    tree = ast.parse(text, filename=path)
    return tree, walk_nodes(tree)


def _ts_root(_path: str, text: str) -> SgNode:
    return SgRoot(text, "python").root()


# parse and read; the read over the collector's node list; the functions alone; the ERROR search
# (``trees.first_error``'s first step: is this file Python at all?)
row_ast_facts = reading_row(_ast_tree, ast_facts)
row_ast_facts_nodes = reading_row(_ast_tree_and_nodes, lambda tn, text: ast_facts(tn[0], text, tn[1]))
row_ast_functions = reading_row(_ast_tree, lambda tree, _text: ast_functions(tree))
row_ts_error = reading_row(_ts_root, lambda root, _text: root.find(kind="ERROR"))


def ts_row(reader: Callable[[SgNode, str], Facts]) -> Callable[[Corpus], float]:
    return reading_row(_ts_root, reader)


ROWS: dict[str, tuple[str, Callable[[Corpus], float]]] = {
    "a": ("ast.parse", row_ast_parse),
    "a+walk": ("ast.parse + walk_nodes (as parse_python)", row_ast_walk),
    "b": ("collector: module_products.summarise (parse + walks)", row_summarise),
    "c": ("tree-sitter parse (SgRoot(text, 'python').root())", row_ts_parse),
    "c+error": ("tree-sitter parse + find(kind='ERROR')", row_ts_error),
    "fn-ast": ("ast.parse + part d's functions only", row_ast_functions),
    "fn-ts": (
        "tree-sitter parse + part d's functions only",
        ts_row(lambda root, _text: Facts(ts_functions(root, _text), [], [], [])),
    ),
    "d-ast": ("ast.parse + part d by a plain walk", row_ast_facts),
    "d-ast-nodes": ("ast.parse + walk_nodes + part d over that node list", row_ast_facts_nodes),
    **{f"d-ts-{key}": (f"tree-sitter parse + part d, {key}", ts_row(reader)) for key, reader in TS_READERS.items()},
}


def timed(row: Callable[[Corpus], float], corpus: Corpus) -> tuple[float, float]:
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        inner = row(corpus)
        return time.process_time() - start, inner
    finally:
        gc.enable()


def agreement(corpus: Corpus) -> dict[str, dict[str, Any]]:
    """Per reader and fact kind: the files whose facts equal ast's, and the facts in common (multiset)."""
    out: dict[str, dict[str, Any]] = {}
    examples: dict[str, list[str]] = {}
    totals: dict[str, Counter[str]] = {key: Counter() for key in TS_READERS}
    for path, text in corpus.files:
        base = ast_facts(ast.parse(text), text).sorted()
        root = SgRoot(text, "python").root()
        for key, reader in TS_READERS.items():
            got = reader(root, text).sorted()
            count = totals[key]
            for kind, want in base.items():
                have = got[kind]
                count[f"{kind}:files"] += 1
                count[f"{kind}:files_equal"] += want == have
                common = sum((Counter(map(repr, want)) & Counter(map(repr, have))).values())
                count[f"{kind}:facts_ast"] += len(want)
                count[f"{kind}:facts_ts"] += len(have)
                count[f"{kind}:facts_common"] += common
                if want != have and key == "combined" and len(examples.setdefault(kind, [])) < 3:
                    only_ast = sorted(set(map(repr, want)) - set(map(repr, have)))[:2]
                    only_ts = sorted(set(map(repr, have)) - set(map(repr, want)))[:2]
                    examples[kind].append(f"{path}: ast only {only_ast}, tree-sitter only {only_ts}")
    for key, count in totals.items():
        out[key] = {}
        for kind in ("functions", "calls", "imports", "env"):
            union = count[f"{kind}:facts_ast"] + count[f"{kind}:facts_ts"] - count[f"{kind}:facts_common"]
            out[key][kind] = {
                "files_equal_pct": 100.0 * count[f"{kind}:files_equal"] / max(1, count[f"{kind}:files"]),
                "facts_ast": count[f"{kind}:facts_ast"],
                "facts_ts": count[f"{kind}:facts_ts"],
                "facts_agree_pct": 100.0 * count[f"{kind}:facts_common"] / union if union else 100.0,
            }
    out["examples"] = examples
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--fetch", type=Path, help="download and unpack the pinned PyPI sdists under this folder")
    parser.add_argument("--rows", default=",".join(ROWS), help="comma-separated row keys (default: all)")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    parser.add_argument("trees", nargs="+", help="NAME=FOLDER")
    args = parser.parse_args()
    if args.fetch is not None:
        fetch(args.fetch)
    corpora = [load(name, Path(folder)) for name, _, folder in (t.partition("=") for t in args.trees)]
    rows = [r for r in args.rows.split(",") if r]
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, CPython {platform.python_version()}, rounds {args.rounds}")
    results: dict[str, Any] = {}
    for corpus in corpora:
        print(f"\n## {corpus.name}: {len(corpus.files)} .py files, {corpus.mb:.1f} MB ({corpus.rejected} left out)")
        best: dict[str, tuple[float, float]] = {}
        for round_no in range(args.rounds):
            for key in rows:
                total, inner = timed(ROWS[key][1], corpus)
                if key not in best or total < best[key][0]:
                    best[key] = (total, inner)
                print(f"  round {round_no + 1} {key:<22} {total:7.3f} s", file=sys.stderr)
        agree = agreement(corpus)
        mb = corpus.mb
        print("\n| row | what | CPU s | MB/s | reading part s |\n|---|---|---:|---:|---:|")
        for key in rows:
            total, inner = best[key]
            print(
                f"| {key} | {ROWS[key][0]} | {total:.3f} | {mb / total:.1f} | {inner:.3f} |"
                if inner
                else f"| {key} | {ROWS[key][0]} | {total:.3f} | {mb / total:.1f} | |"
            )
        print("\n| reader | functions | calls | imports | env reads |\n|---|---:|---:|---:|---:|")
        for key in TS_READERS:
            cells = [
                f"{a['facts_agree_pct']:.2f}% ({a['files_equal_pct']:.1f}% files)"
                for a in (agree[key][k] for k in ("functions", "calls", "imports", "env"))
            ]
            print(f"| {key} | " + " | ".join(cells) + " |")
        counts = agree["combined"]
        print(
            "facts (ast / tree-sitter combined): "
            + ", ".join(
                f"{k} {counts[k]['facts_ast']}/{counts[k]['facts_ts']}"
                for k in ("functions", "calls", "imports", "env")
            )
        )
        for kind, lines in agree["examples"].items():
            for line in lines:
                print(f"  differs ({kind}): {line}")
        results[corpus.name] = {
            "files": len(corpus.files),
            "mb": mb,
            "left_out": corpus.rejected,
            "rows": {key: {"cpu_s": best[key][0], "reading_s": best[key][1]} for key in rows},
            "agreement": agree,
        }
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
