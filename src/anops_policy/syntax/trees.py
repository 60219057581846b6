"""One parse per source file per run: the tree-sitter tree of a file (through ast-grep), made once for
every rule and every collector of the run's process that needs that file in that language, and the first
syntax error tree-sitter recovered from (a file that does not parse is recorded, never fatal).

Trees are kept in the run's memo (``CollectContext.memo``), at most ``KEEP`` of them: a collector visits a
file once and runs everything it needs on it, so a small window is enough to share a tree between the
rules and collectors visiting the same file, without holding a monorepo's trees in memory."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import MutableMapping
from typing import Any

from ast_grep_py import SgNode, SgRoot

from anops_policy.syntax.languages import Language

MEMO_KEY = "anops_policy.syntax.trees"
KEEP = 64
# A tree takes ~150 bytes of memory per byte of dense source (a 1 MiB file: ~150 MB): the window keeps at most
# this many characters of source, so 64 big files never sit in memory at once; a bigger file's tree is
# handed back and not kept (the next user parses it again).
KEEP_CHARS = 4 * 1024 * 1024


class Tree:
    """A parsed file: its root, and where its first syntax error is (found when first asked: a walk of the
    whole tree, which a user that only searches the tree never pays for)."""

    __slots__ = ("_error", "_looked", "root")

    def __init__(self, root: SgNode) -> None:
        self.root = root
        self._error: tuple[int, int] | None = None
        self._looked = False

    @property
    def error(self) -> tuple[int, int] | None:
        """(line, column), 1-based, of the first syntax error; None when the file parsed cleanly."""
        if not self._looked:
            self._error, self._looked = first_error(self.root), True
        return self._error


def parse_source(text: str, lang: Language) -> Tree:
    return Tree(SgRoot(text, lang.grammar).root())


def first_error(root: SgNode) -> tuple[int, int] | None:
    """Where the first syntax error is: the innermost of the nested ERROR nodes tree-sitter recovered with
    (the outer one starts where recovery began, often lines before the offending token)."""
    error = root.find(kind="ERROR")
    if error is None:
        return None
    span = error.range()
    for inner in error.find_all(kind="ERROR"):
        r = inner.range()
        if r.start.index >= span.start.index and r.end.index <= span.end.index and r.start.index > span.start.index:
            span = r
            break
    return span.start.line + 1, span.start.column + 1


class SourceTrees:
    """The run's parsed files, keyed by (path, grammar); ``parses`` counts the parses made."""

    def __init__(self) -> None:
        self.trees: OrderedDict[tuple[str, str], Tree] = OrderedDict()
        self.sizes: dict[tuple[str, str], int] = {}
        self.kept_chars = 0
        self.parses = 0

    def tree(self, path: str, text: str, lang: Language) -> Tree:
        key = (path, lang.grammar)
        found = self.trees.get(key)
        if found is not None:
            self.trees.move_to_end(key)
            return found
        self.parses += 1
        tree = parse_source(text, lang)
        if len(text) > KEEP_CHARS:
            return tree
        self.trees[key] = tree
        self.sizes[key] = len(text)
        self.kept_chars += len(text)
        while len(self.trees) > KEEP or self.kept_chars > KEEP_CHARS:
            oldest, _ = self.trees.popitem(last=False)
            self.kept_chars -= self.sizes.pop(oldest)
        return tree


def source_trees(memo: MutableMapping[str, Any]) -> SourceTrees:
    """The run's ``SourceTrees`` (made on first use)."""
    found = memo.get(MEMO_KEY)
    if not isinstance(found, SourceTrees):
        found = memo[MEMO_KEY] = SourceTrees()
    return found
