"""Compare two freezes of the comment path (``freeze.py``), or summarise one.

    python benchmarks/comments/compare.py OLD.json NEW.json [--show 20]
    python benchmarks/comments/compare.py --summary OLD.json > benchmarks/comments/corpus-digest.md

The comparison counts, per language, the files whose comment spans are identical and the markers
(path, line, tag, text) both report; then lists each differing file with the comments only one side has
(line, and the first characters of the comment when ``--root`` names where the trees are) and the markers
only one side reports. The summary is the per-tree table the repository keeps instead of the freeze:
files, comments and markers, and a SHA-256 of the tree's frozen records.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def summary(frozen: dict[str, Any]) -> str:
    by_tree: dict[str, dict[str, Any]] = defaultdict(dict)
    for key, record in frozen.items():
        by_tree[key.split("/", 1)[0]][key] = record
    rows = ["| tree | files | comments | markers | sha256 (first 16) |", "|---|---:|---:|---:|---|"]
    totals = [0, 0, 0]
    for tree, records in sorted(by_tree.items()):
        digest = hashlib.sha256(json.dumps(records, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        counts = [len(records), sum(len(r["spans"]) for r in records.values()),
                  sum(len(r.get("todos", [])) for r in records.values())]
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        rows.append(f"| {tree} | {counts[0]} | {counts[1]} | {counts[2]} | {digest[:16]} |")
    rows.append(f"| **total** | {totals[0]} | {totals[1]} | {totals[2]} | |")
    return "\n".join(rows)


def _line(text: str | None, offset: int) -> str:
    if text is None:
        return f"@{offset}"
    line = text.count("\n", 0, offset) + 1
    snippet = text[offset : offset + 60].split("\n", 1)[0]
    return f"L{line} {snippet!r}"


def compare(old: dict[str, Any], new: dict[str, Any], root: Path | None, show: int) -> str:
    per_lang: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    # files, files identical, comments old, comments identical, markers old, markers identical
    details: list[str] = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a is None or b is None:
            details.append(f"{key}: only in {'new' if a is None else 'old'}")
            continue
        row = per_lang[a["language"]]
        sa, sb = {tuple(s) for s in a["spans"]}, {tuple(s) for s in b["spans"]}
        ta = {tuple(t) for t in a.get("todos", [])}
        tb = {tuple(t) for t in b.get("todos", [])}
        row[0] += 1
        row[1] += sa == sb
        row[2] += len(sa)
        row[3] += len(sa & sb)
        row[4] += len(ta)
        row[5] += len(ta & tb)
        if sa == sb and ta == tb:
            continue
        text = None
        if root is not None:
            tree, rel = key.split("/", 1)
            try:
                text = (root / tree / rel).read_text()
            except (OSError, UnicodeDecodeError):
                text = None
        lines = [f"{key} ({a['language']})"]
        lines += [f"  - old only {s}: {_line(text, s[0])}" for s in sorted(sa - sb)[:show]]
        lines += [f"  + new only {s}: {_line(text, s[0])}" for s in sorted(sb - sa)[:show]]
        lines += [f"  - marker old only {t}" for t in sorted(ta - tb)]
        lines += [f"  + marker new only {t}" for t in sorted(tb - ta)]
        details.append("\n".join(lines))
    out = ["| language | files | identical files | comments (old) | identical comments | markers (old) | "
           "identical markers |", "|---|---:|---:|---:|---:|---:|---:|"]
    total = [0] * 6
    for language, row in sorted(per_lang.items()):
        total = [x + y for x, y in zip(total, row, strict=True)]
        out.append("| " + " | ".join([language, *map(str, row)]) + " |")
    out.append("| **total** | " + " | ".join(map(str, total)) + " |")
    markers_new = sum(len(r.get("todos", [])) for r in new.values())
    out.append(f"\nmarkers: old {total[4]}, new {markers_new}, both {total[5]}\n")
    return "\n".join(out + details)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path, nargs="?")
    parser.add_argument("--summary", action="store_true")
    parser.add_argument("--root", type=Path, help="the folder holding the trees (to quote differing comments)")
    parser.add_argument("--show", type=int, default=20, help="differing comments listed per file")
    args = parser.parse_args(argv)
    if args.summary:
        print(summary(load(args.old)))
        return 0
    if args.new is None:
        parser.error("NEW is required unless --summary")
    print(compare(load(args.old), load(args.new), args.root, args.show))
    return 0


if __name__ == "__main__":
    sys.exit(main())
