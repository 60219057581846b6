"""Where reading Rust source costs, in one process (``time.process_time``, GC off, the lower of the
rounds, files read beforehand): the hand-written lexer of a base checkout against the tree-sitter path's
stages — the parse, ast-grep finding the comments and literals, the tokens given the tree — and the
alternative of reading every leaf of the tree across pyo3.

    python benchmarks/rust_facts/stages.py --base-lexer /tmp/rust-base/collectors/rust/lexer.py /tmp/bench-tree-5k

The base lexer module has no imports of the package, so it is loaded from its file beside the installed
package. Every ``.rs`` file under the given folders that decodes as UTF-8 is read."""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

from anops_policy.syntax.rust_source import _LEXICAL, RUST, rust_tokens
from anops_policy.syntax.trees import Tree, parse_source

sys.path.insert(0, str(Path(__file__).parent))
from truncations import load_lexer


def leaves(trees: list[Tree]) -> int:
    """Every leaf's kind, text and range: the tokens as the tree holds them, one pyo3 call at a time."""
    count = 0
    for tree in trees:
        stack = [tree.root]
        while stack:
            node = stack.pop()
            children = node.children()
            if children:
                stack.extend(reversed(children))
            else:
                token = (node.kind(), node.text(), node.range().start.line)
                count += token[2] >= 0
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-lexer", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("folders", type=Path, nargs="+")
    args = parser.parse_args()
    base = load_lexer(args.base_lexer)
    sources: list[str] = []
    for folder in args.folders:
        for path in sorted(folder.rglob("*.rs")):
            try:
                sources.append(path.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, OSError):
                continue
    mb = sum(len(s.encode()) for s in sources) / 1e6
    trees = [parse_source(s, RUST) for s in sources]
    stages: dict[str, Callable[[], object]] = {
        "base: hand-written lexer": lambda: [base.lex(s) for s in sources],
        "tree-sitter parse (syntax.trees)": lambda: [parse_source(s, RUST) for s in sources],
        "ast-grep: comments and literals": lambda: [[n.range() for n in t.root.find_all(any=_LEXICAL)] for t in trees],
        "rust_tokens, tree given": lambda: [rust_tokens(s, t) for s, t in zip(sources, trees, strict=True)],
        "alternative: every leaf across pyo3": lambda: leaves(trees),
    }
    best: dict[str, float] = {}
    gc.disable()
    for _ in range(args.rounds):
        for name, run in stages.items():
            start = time.process_time()
            run()
            best[name] = min(best.get(name, float("inf")), time.process_time() - start)
    gc.enable()
    print(f"{len(sources):,} files, {mb:.1f} MB")
    print("| stage | CPU s | MB/s |")
    print("|---|---:|---:|")
    for name, seconds in best.items():
        print(f"| {name} | {seconds:.2f} | {mb / seconds:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
