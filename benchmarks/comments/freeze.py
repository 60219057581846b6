"""Freeze what the todos collector's comment path produces on a set of trees, to compare two versions of it.

For every file the collector would lex (a known language by name, or an extension-less file with a
``#!`` line naming one; UTF-8, no NUL byte, at most 4 MiB) it records the language, the character
spans of all its comments (``comment_spans`` without a limit) and the markers the collector reports
(line, tag, text; the same ``find_tags`` + ``limit`` + ``_markers`` path as ``collect``). Nothing of the
files' text is kept, only offsets and the markers' text.

    python benchmarks/comments/freeze.py --out /tmp/comments/old.json /tmp/anops-accuracy/src/*
    python benchmarks/comments/freeze.py --out /tmp/comments/new.json /tmp/anops-accuracy/src/*
    python benchmarks/comments/compare.py /tmp/comments/old.json /tmp/comments/new.json

``--old`` freezes with the hand lexers as they were before the switch (``oldlex``), for a corpus that was
not frozen then.

Each argument is a tree; a file is keyed ``<tree name>/<path in the tree>``. ``--time`` also reports the
comment path's CPU time and MB/s per language (lexing only; reading excluded), over the candidate files
(the files holding a tag, as the collector lexes them, with its ``limit``) and over all files.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from anops_policy.collectors.source import DEFAULT_TICKET, _markers, find_tags
from anops_policy.collectors.source.comment_lexer import comment_spans, may_be_in_comment
from anops_policy.collectors.source.languages import language_for, language_from_shebang, name_has_dot
from oldlex import BEFORE, old_comment_spans

MAX_BYTES = 4 * 1024 * 1024
SKIP_DIRS = {".git", "node_modules", "__pycache__"}


def tree_files(root: Path) -> list[tuple[str, str, str]]:
    """``(relative path, language, text)`` of every file of ``root`` the collector would lex."""
    out: list[tuple[str, str, str]] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(names):
            full = Path(folder, name)
            rel = full.relative_to(root).as_posix()
            language = language_for(rel)
            if language is None and name_has_dot(name):
                continue
            if full.is_symlink() or not full.is_file() or full.stat().st_size > MAX_BYTES:
                continue
            data = full.read_bytes()
            if b"\0" in data[:8192]:
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if language is None:
                language = language_from_shebang(text[:256].split("\n", 1)[0]) if text.startswith("#!") else None
                if language is None:
                    continue
            out.append((rel, language, text))
    return out


def freeze_file(rel: str, language: str, text: str, ticket: Any, old: Any = None) -> dict[str, Any]:
    """With ``old`` (``oldlex.old_comment_spans()``): as the collector of commit ``oldlex.BEFORE`` did."""
    spans = comment_spans(text, language, path=rel) if old is None else old(text, language)
    record: dict[str, Any] = {"language": language, "spans": [list(s) for s in spans]}
    matches = [m for m in find_tags(text) if old is not None or may_be_in_comment(text, m[0], language)]
    if matches:
        if old is None:
            limited = comment_spans(text, language, limit=matches[-1][0], path=rel)
        else:
            limited = old(text, language, matches[-1][0])
        items = _markers(text, matches, limited, rel, language, ticket)
        record["todos"] = [[it["line"], it["tag"], it["text"]] for it in items]
    return record


def timing(files: list[tuple[str, str, str]]) -> dict[str, dict[str, float]]:
    """CPU seconds and MB per language: every file without a limit, and the candidate files with it."""
    out: dict[str, dict[str, float]] = {}
    for rel, language, text in files:
        row = out.setdefault(language, {"all_mb": 0.0, "all_s": 0.0, "cand_files": 0, "cand_mb": 0.0, "cand_s": 0.0})
        size = len(text.encode("utf-8")) / 1e6
        t0 = time.process_time()
        comment_spans(text, language, path=rel)
        row["all_s"] += time.process_time() - t0
        row["all_mb"] += size
        matches = [m for m in find_tags(text) if may_be_in_comment(text, m[0], language)]
        if matches:
            t0 = time.process_time()
            comment_spans(text, language, limit=matches[-1][0], path=rel)
            row["cand_s"] += time.process_time() - t0
            row["cand_mb"] += size
            row["cand_files"] += 1
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--time", action="store_true", help="also measure the comment path (CPU s, MB/s)")
    parser.add_argument("--old", action="store_true", help=f"the hand lexers of commit {BEFORE}, loaded from git")
    args = parser.parse_args(argv)
    old = old_comment_spans() if args.old else None
    ticket = re.compile(DEFAULT_TICKET)
    frozen: dict[str, Any] = {}
    measured: dict[str, dict[str, float]] = {}
    for tree in args.trees:
        files = tree_files(tree)
        for rel, language, text in files:
            frozen[f"{tree.name}/{rel}"] = freeze_file(rel, language, text, ticket, old)
        if args.time:
            for language, row in timing(files).items():
                total = measured.setdefault(language, dict.fromkeys(row, 0.0))
                for k, v in row.items():
                    total[k] += v
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(frozen, sort_keys=True, separators=(",", ":")) + "\n")
    print(f"{len(frozen)} files, {sum(len(r['spans']) for r in frozen.values())} comments, "
          f"{sum(len(r.get('todos', [])) for r in frozen.values())} markers → {args.out}")
    if args.time:
        print("| language | files with a tag | MB | CPU s | MB/s | all MB | CPU s | MB/s |")
        for language, r in sorted(measured.items()):
            print(f"| {language} | {int(r['cand_files'])} | {r['cand_mb']:.1f} | {r['cand_s']:.3f} | "
                  f"{r['cand_mb'] / r['cand_s'] if r['cand_s'] else 0:.1f} | {r['all_mb']:.1f} | {r['all_s']:.3f} | "
                  f"{r['all_mb'] / r['all_s'] if r['all_s'] else 0:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
