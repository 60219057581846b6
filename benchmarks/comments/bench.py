"""The comment path before and after the switch to tree-sitter, in one process, per file the todos
collector reads (the files whose bytes hold a tag; reading excluded): before, ``find_tags`` and, when it
finds a tag, the hand lexers of commit ``oldlex.BEFORE`` (loaded from git) up to the last tag; after,
``find_tags``, ``may_be_in_comment`` and, when a tag may lie in a comment, ``comment_lexer.comment_spans``
(a fresh parse per file). With ``--all``, also both lexers on every file without a limit. Rounds
alternate old and new; the table keeps each side's lowest CPU time (``time.process_time``).

    python benchmarks/comments/bench.py /tmp/bench-tree-5k --rounds 3
    python benchmarks/comments/bench.py /tmp/anops-accuracy/src/* --rounds 3 --all
"""

from __future__ import annotations

import argparse
import gc
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from anops_policy.collectors.source import find_tags
from anops_policy.collectors.source.comment_lexer import comment_spans, may_be_in_comment
from freeze import tree_files
from oldlex import BEFORE, old_comment_spans

_TAG_BYTES = re.compile("TODO|FIXME|XXX|HACK")

Work = list[tuple[str, str, str]]  # path, language, text
Side = Callable[[str, str, str], object]


def run(side: Side, work: Work) -> dict[str, float]:
    seconds: dict[str, float] = defaultdict(float)
    for rel, language, text in work:
        t0 = time.process_time()
        side(text, language, rel)
        seconds[language] += time.process_time() - t0
    return seconds


def collector_sides() -> dict[str, Side]:
    old = old_comment_spans(BEFORE)

    def before(text: str, language: str, rel: str) -> object:
        tags = find_tags(text)
        return old(text, language, tags[-1][0]) if tags else None

    def after(text: str, language: str, rel: str) -> object:
        tags = [t for t in find_tags(text) if may_be_in_comment(text, t[0], language)]
        return comment_spans(text, language, tags[-1][0], path=rel) if tags else None

    return {"old": before, "new": after}


def whole_file_sides() -> dict[str, Side]:
    old = old_comment_spans(BEFORE)
    return {
        "old": lambda text, language, rel: old(text, language),
        "new": lambda text, language, rel: comment_spans(text, language, path=rel),
    }


def table(title: str, work: Work, sides: dict[str, Side], rounds: int) -> str:
    best: dict[str, dict[str, float]] = {"old": {}, "new": {}}
    gc.disable()
    for _ in range(rounds):
        for side, call in sides.items():
            for language, s in run(call, work).items():
                best[side][language] = min(best[side].get(language, s), s)
    gc.enable()
    files: dict[str, int] = defaultdict(int)
    mb: dict[str, float] = defaultdict(float)
    for _rel, language, text in work:
        files[language] += 1
        mb[language] += len(text.encode("utf-8")) / 1e6
    rows = [f"{title}\n", "| language | files | MB | old CPU s | old MB/s | new CPU s | new MB/s | new ÷ old |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for language in sorted(files):
        o, n = best["old"][language], best["new"][language]
        rows.append(f"| {language} | {files[language]:,} | {mb[language]:.1f} | {o:.3f} | {mb[language] / o:.1f} | "
                    f"{n:.3f} | {mb[language] / n:.1f} | {n / o:.1f} |")
    o, n, total = sum(best["old"].values()), sum(best["new"].values()), sum(mb.values())
    rows.append(f"| **all** | {sum(files.values()):,} | {total:.1f} | {o:.3f} | {total / o:.1f} | {n:.3f} | "
                f"{total / n:.1f} | {n / o:.1f} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--all", action="store_true", help="also every file, without a limit")
    args = parser.parse_args(argv)
    everything: Work = [f for tree in args.trees for f in tree_files(tree)]
    candidates = [f for f in everything if _TAG_BYTES.search(f[2])]  # what the native search lists
    print(table("files whose bytes hold a tag (the todos collector's work)", candidates, collector_sides(),
                args.rounds))
    if args.all:
        print()
        print(table("every file, whole-file lexing", everything, whole_file_sides(), args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
