"""Mutants of a CEL expression: small, plausible mistakes made on its syntax tree (``<=`` written ``<``, a clause
forgotten, ``all`` for ``exists``), each printed back as CEL source with where it was made.

A policy's examples should notice every one of them; ``evaluation/mutation.py`` runs the examples against
each mutant. Some mutants cannot be noticed by any example because they mean the same as the original; the
ones that are equivalent *by construction* are marked here with the reason (the same text as another
mutant, ``a && a`` turned ``a || a``, a comparison of a ``size()``, which is never negative, that answers
alike for every size, or ``a > b ? a : b`` shifted to ``a >= b ? a : b``, which picks the same value), so that
the score is not charged for them.

Operators (the names reports count by): ``comparison-shift`` (``<`` ↔ ``<=``, ``>`` ↔ ``>=``),
``comparison-flip`` (``<`` → ``>=``, ``==`` ↔ ``!=``, …), ``logical`` (``&&`` ↔ ``||``), ``drop-clause``
(one clause of an ``&&``/``||`` chain left out), ``negation`` (``!`` added to a clause, a macro's predicate or
an ``in``; an existing ``!`` removed), ``quantifier`` (``all`` ↔ ``exists``, ``exists_one`` → ``exists``),
``constant`` (an integer moved one step across its boundary either way, ``true`` ↔ ``false``), ``empty-list``
(a list literal emptied) and ``sibling-field`` (``facts.a.b`` → ``facts.a.c`` where the caller's
``siblings`` names fields of the same type).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lark import Token, Tree

from anops_policy.cel.printer import RELATION_OPS, located, render, text_of

OPERATORS = (
    "comparison-shift",
    "comparison-flip",
    "logical",
    "drop-clause",
    "negation",
    "quantifier",
    "constant",
    "empty-list",
    "sibling-field",
)
_SHIFT = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
_FLIP = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_QUANTIFIERS = {"all": "exists", "exists": "all", "exists_one": "exists"}
_PREDICATE_MACROS = frozenset({"all", "exists", "exists_one", "filter"})
# a text that needs no parentheses after `!`: a name, a call, a member chain, a literal
_TIGHT = re.compile(r"^[A-Za-z_][\w.]*(\(.*\))?$|^\(.*\)$|^\[.*\]$|^\d+u?$")

Siblings = Callable[[Any], Sequence[str]]


@dataclass(frozen=True)
class Mutant:
    operator: str
    line: int  # 1-based, within the expression's source
    column: int
    original: str  # the text of the node that was changed
    replacement: str
    source: str  # the whole mutated expression
    equivalent: str = ""  # why it means the same as the original by construction ("" when it may not)


def mutants(source: str, tree: Any, *, boolean: bool, siblings: Siblings | None = None) -> list[Mutant]:
    """Every mutant of the expression ``source`` (parsed as ``tree``). ``boolean``: the expression's value is
    a truth value (a rule, ``applies_when``), so negating it whole is a mutant too. ``siblings(node)``
    names the fields that could stand for a ``member_dot`` node's field (same type, same parent)."""
    maker = _Maker(source, tree)
    maker.parents = {id(child): node for node in tree.iter_subtrees() for child in node.children}
    for node in tree.iter_subtrees_topdown():
        maker.visit(node, siblings)
    if boolean:
        maker.negate(tree, root=True)
    return maker.finish()


class _Maker:
    def __init__(self, source: str, tree: Any) -> None:
        self.source = source
        self.tree = tree
        self.found: list[Mutant] = []
        self.parents: dict[int, Tree[Any]] = {}

    def text(self, node: Any) -> str:
        return text_of(node, self.source)

    def add(
        self,
        operator: str,
        node: Any,
        replacement: str,
        *,
        equivalent: str = "",
        anchor: Any = None,
        shown: tuple[str, str] | None = None,
    ) -> None:
        """Record the mutant that replaces ``node`` by ``replacement``; ``shown``: the (original, replacement)
        a report shows when that is not the node's text (a dropped clause)."""
        line, column = self.position(anchor if anchor is not None else node)
        source = render(self.tree, self.source, node, replacement)
        original, new = shown or (self.text(node), replacement)
        self.found.append(Mutant(operator, line, column, original, new, source, equivalent))

    def position(self, node: Any) -> tuple[int, int]:
        """(line, column) of ``node``, else of its nearest ancestor the tree locates."""
        current: Any = node
        while current is not None:
            found = _position(current)
            if found is not None:
                return found
            current = self.parents.get(id(current))
        return 1, 1

    def operator_at(self, left: Any, symbol: str) -> Token | None:
        """A token standing for the operator after ``left`` (the tree keeps no operator tokens)."""
        if not located(left):
            return None
        index = self.source.find(symbol, left.meta.end_pos)
        if index < 0:
            return None
        line = self.source.count("\n", 0, index) + 1
        column = index - (self.source.rfind("\n", 0, index) + 1) + 1
        return Token("OP", symbol, start_pos=index, line=line, column=column)

    def top_level(self, node: Any) -> bool:
        """Whether ``node`` is the whole expression (only single-child wrappers above it)."""
        current = self.parents.get(id(node))
        while current is not None:
            if len(current.children) != 1:
                return False
            current = self.parents.get(id(current))
        return True

    def visit(self, node: Tree[Any], siblings: Siblings | None) -> None:
        data, c = node.data, node.children
        if data == "relation" and len(c) == 2:
            self.relation(node)
        elif data in ("conditionaland", "conditionalor") and len(c) == 2 and not self.inside_chain(node):
            self.chain(node)
        elif data == "unary" and len(c) == 2 and c[0].data == "unary_not":
            self.add("negation", node, self.text(c[1]), anchor=c[0])
        elif data == "member_dot_arg":
            self.macro(node)
        elif data == "literal":
            self.constant(node)
        elif data == "list_lit" and c:
            self.add("empty-list", node, "[]")
        elif data == "member_dot" and siblings is not None:
            for name in siblings(node):
                self.add("sibling-field", node, f"{self.text(c[0])}.{name}", anchor=c[1])

    def inside_chain(self, node: Tree[Any]) -> bool:
        """Whether ``node`` is the left operand of a node of the same operator (its chain is mutated there)."""
        parent = self.parents.get(id(node))
        return parent is not None and parent.data == node.data

    def negated(self, node: Any) -> bool:
        """Whether ``node`` is already the operand of a ``!`` (through parentheses and wrappers)."""
        current = self.parents.get(id(node))
        while current is not None:
            if current.data == "unary" and len(current.children) == 2:
                return bool(current.children[0].data == "unary_not")
            if len(current.children) != 1:
                return False
            current = self.parents.get(id(current))
        return False

    def relation(self, node: Tree[Any]) -> None:
        op_node, right = node.children
        op = RELATION_OPS[op_node.data]
        left_text, right_text = self.text(op_node.children[0]), self.text(right)
        if op == "in":
            if not self.negated(node):
                self.negate(node)
            return
        for operator, table in (("comparison-shift", _SHIFT), ("comparison-flip", _FLIP)):
            if op in table:
                new = table[op]
                same = _size_equivalent(op_node.children[0], op, right, new, None)
                if operator == "comparison-shift" and not same:
                    same = self.choice_equivalent(node, left_text, right_text)
                self.add(operator, node, f"{left_text} {new} {right_text}", equivalent=same,
                         anchor=self.operator_at(op_node.children[0], op) or op_node)

    def choice_equivalent(self, relation: Tree[Any], left: str, right: str) -> str:
        """``a > b ? a : b`` (or ``? b : a``): the condition picks one of its own operands, and where the
        shifted comparison answers differently (``a == b``) both branches are the same value."""
        current: Any = relation
        parent = self.parents.get(id(current))
        while parent is not None and len(parent.children) == 1:
            current, parent = parent, self.parents.get(id(parent))
        if parent is None or parent.data != "expr" or len(parent.children) != 3 or parent.children[0] is not current:
            return ""
        branches = {_normal(self.text(parent.children[1])), _normal(self.text(parent.children[2]))}
        if branches == {_normal(left), _normal(right)} and len(branches) == 2:
            return "the condition picks one of its two operands, which are equal where the shift answers differently"
        return ""

    def chain(self, node: Tree[Any]) -> None:
        """``a && b && c`` (left-nested nodes of one operator): swap the operator, drop each clause, negate each."""
        symbol = "&&" if node.data == "conditionaland" else "||"
        other = "||" if symbol == "&&" else "&&"
        clauses = _clauses(node)
        texts = [self.text(clause) for clause in clauses]
        swapped = f" {other} ".join(texts)
        same = "both sides are the same expression" if len(set(texts)) == 1 else ""
        self.add("logical", node, swapped if self.top_level(node) else f"({swapped})", equivalent=same)
        for index, clause in enumerate(clauses):
            rest = f" {symbol} ".join(t for i, t in enumerate(texts) if i != index)
            self.add("drop-clause", node, rest, anchor=clause, shown=(texts[index], "(dropped)"))
            self.negate(clause)

    def negate(self, node: Any, *, root: bool = False) -> None:
        if _is_negation(node):
            return  # removing the `!` is the negation mutant of this node (adding one would be `!!x`)
        text = self.text(node)
        wrapped = text if _TIGHT.match(text.strip()) else f"({text})"
        self.add("negation", node, f"!{wrapped}" if not root else f"!({text})")

    def macro(self, node: Tree[Any]) -> None:
        c = node.children
        name = str(c[1])
        if name in _QUANTIFIERS:
            args = self.text(c[2]) if len(c) > 2 else ""
            self.add("quantifier", node, f"{self.text(c[0])}.{_QUANTIFIERS[name]}({args})", anchor=c[1])
        if name in _PREDICATE_MACROS and len(c) > 2 and len(c[2].children) == 2:
            predicate = c[2].children[1]
            if not _is_negation(predicate):
                self.negate(predicate)

    def constant(self, node: Tree[Any]) -> None:
        token: Any = node.children[0]
        kind, text = str(token.type), str(token)
        values: list[str] = []
        if kind == "INT_LIT" and not text.lstrip("-").lower().startswith("0x"):
            values = [str(int(text) + 1), str(int(text) - 1)]
        elif kind == "UINT_LIT" and text[:-1].isdigit():
            number = int(text[:-1])
            values = [f"{number + 1}u"] + ([f"{number - 1}u"] if number > 0 else [])
        elif kind == "BOOL_LIT":
            values = ["false" if text == "true" else "true"]
        for value in values:
            self.add("constant", node, value, equivalent=self._constant_equivalent(node, value))

    def _constant_equivalent(self, literal: Tree[Any], value: str) -> str:
        """A comparison of ``size()`` with this constant that answers alike for every size."""
        relation = _enclosing_relation(self.tree, literal)
        if relation is None:
            return ""
        op_node, right = relation.children
        op = RELATION_OPS[op_node.data]
        if op == "in":
            return ""
        return _size_equivalent(op_node.children[0], op, right, op, (literal, value))

    def finish(self) -> list[Mutant]:
        """The mutants in order, the later of two with the same text marked as equivalent to the first."""
        seen: dict[str, int] = {_normal(self.source): 0}
        out: list[Mutant] = []
        for found in self.found:
            key = _normal(found.source)
            mutant = found
            if key in seen and not found.equivalent:
                first = seen[key]
                reason = f"the same expression as mutant {first}" if first else "the same expression as the original"
                mutant = Mutant(**{**found.__dict__, "equivalent": reason})
            seen.setdefault(key, len(out) + 1)
            out.append(mutant)
        return out


def _normal(source: str) -> str:
    return re.sub(r"\s+", "", source)


def _position(node: Any) -> tuple[int, int] | None:
    """(line, column) of ``node``, or of the first located token under it."""
    candidates = [node] if isinstance(node, Token) else []
    if isinstance(node, Tree):
        if not node.meta.empty and getattr(node.meta, "start_pos", None) is not None:
            return int(node.meta.line), int(node.meta.column)
        candidates = list(node.scan_values(lambda v: isinstance(v, Token)))
    for token in candidates:
        if token.line is not None:
            return int(token.line), int(token.column or 1)
    return None


def _clauses(node: Tree[Any]) -> list[Any]:
    """The clauses of a left-nested chain of one operator, in source order."""
    out: list[Any] = []
    current: Any = node
    while isinstance(current, Tree) and current.data == node.data and len(current.children) == 2:
        out.append(current.children[1])
        current = current.children[0]
    out.append(current)
    return out[::-1]


def _is_negation(node: Any) -> bool:
    """``!x`` through single-child wrappers."""
    while isinstance(node, Tree) and len(node.children) == 1 and node.data != "unary":
        node = node.children[0]
    return isinstance(node, Tree) and node.data == "unary" and len(node.children) == 2 and (
        node.children[0].data == "unary_not"
    )


def _unwrap(node: Any) -> Any:
    while isinstance(node, Tree) and len(node.children) == 1 and node.data not in ("literal", "ident", "list_lit"):
        node = node.children[0]
    return node


def _is_size(node: Any) -> bool:
    """``size(x)`` or ``x.size()``: never negative."""
    node = _unwrap(node)
    if not isinstance(node, Tree):
        return False
    if node.data == "ident_arg":
        return str(node.children[0]) == "size" and len(node.children) == 2
    return node.data == "member_dot_arg" and str(node.children[1]) == "size" and len(node.children) == 2


def _int_literal(node: Any, swap: tuple[Any, str] | None) -> int | None:
    node = _unwrap(node)
    if isinstance(node, Tree) and node.data == "literal":
        text = swap[1] if swap is not None and swap[0] is node else str(node.children[0])
        if re.fullmatch(r"-?\d+", text):
            return int(text)
    return None


_COMPARE = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def _size_equivalent(left: Any, op: str, right: Any, new_op: str, swap: tuple[Any, str] | None) -> str:
    """When ``left op right`` compares a ``size()`` with an integer literal: "" unless the mutant (``new_op``,
    or the literal replaced as ``swap`` says) answers the same for every size."""
    for size_side, const_side, flipped in ((left, right, False), (right, left, True)):
        if not _is_size(size_side):
            continue
        before, after = _int_literal(const_side, None), _int_literal(const_side, swap)
        if before is None or after is None:
            return ""
        bound = max(abs(before), abs(after)) + 2
        for n in range(bound + 1):
            args_before = (before, n) if flipped else (n, before)
            args_after = (after, n) if flipped else (n, after)
            if _COMPARE[op](*args_before) != _COMPARE[new_op](*args_after):
                return ""
        return "a size() is never negative, so both compare alike for every size"
    return ""


def _enclosing_relation(tree: Any, literal: Tree[Any]) -> Tree[Any] | None:
    """The comparison ``literal`` is a direct operand of (through single-child wrappers), if any."""
    node: Tree[Any]
    for node in tree.iter_subtrees():
        if node.data == "relation" and len(node.children) == 2:
            op_node, right = node.children
            if _unwrap(right) is literal or _unwrap(op_node.children[0]) is literal:
                return node
    return None

