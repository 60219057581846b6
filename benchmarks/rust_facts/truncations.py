"""Unfinished files: real Rust files cut at a random point (an editor's unsaved state, a broken checkout),
read by a base checkout's hand-written lexer and by the tree-sitter path (``rust_tokens``); how many give
the same tokens and problems, and one example of each kind of difference.

    python benchmarks/rust_facts/truncations.py --base-lexer /tmp/rust-base/collectors/rust/lexer.py \\
        --count 5000 --seed 21 /tmp/rust-real
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from anops_policy.syntax.rust_source import rust_tokens


def load_lexer(path: Path) -> Any:
    """The base checkout's lexer module, loaded from its file (it imports nothing of the package)."""
    spec = importlib.util.spec_from_file_location("base_rust_lexer", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-lexer", type=Path, required=True)
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("folders", type=Path, nargs="+")
    args = parser.parse_args()
    base = load_lexer(args.base_lexer)
    files = sorted(p for folder in args.folders for p in folder.rglob("*.rs"))
    rng = random.Random(args.seed)
    same = 0
    kinds: Counter[tuple[tuple[str, ...], tuple[str, ...]]] = Counter()
    examples: dict[tuple[tuple[str, ...], tuple[str, ...]], str] = {}
    for _ in range(args.count):
        text = rng.choice(files).read_text(encoding="utf-8", errors="replace")
        cut = text[: rng.randrange(1, len(text))] if len(text) > 1 else text
        old, new = base.lex(cut), rust_tokens(cut)
        if [tuple(t) for t in old.tokens] == [tuple(t) for t in new.tokens] and old.problems == new.problems:
            same += 1
            continue
        key = (tuple(m for _, m in old.problems), tuple(m for _, m in new.problems))
        kinds[key] += 1
        examples.setdefault(key, cut[-80:])
    print(f"{args.count} truncations of {len(files)} files: {same} identical")
    for key, count in kinds.most_common():
        print(f"{count}: problems base {list(key[0])} / tree-sitter {list(key[1])}, e.g. ...{examples[key]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
