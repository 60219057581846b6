"""Printing a CEL syntax tree back as CEL source, keeping the author's text wherever the tree locates it.

cel-python's tree carries character offsets for most tokens, but not for every one (``true`` and ``false``
have none): a node's offsets are only trustworthy when every token under it has them. ``text_of`` slices
the source for such a node and prints the others from the tree; ``render`` prints a whole expression with
one node replaced (a mutant), splicing into the original source when it can, so that a multi-line rule
stays recognisable. The tree encodes precedence and association, so printing adds no parentheses: callers
parenthesise a replacement that binds more loosely than what it replaces.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lark import Token, Tree

_RELATION_OPS = {
    "relation_lt": "<",
    "relation_le": "<=",
    "relation_gt": ">",
    "relation_ge": ">=",
    "relation_eq": "==",
    "relation_ne": "!=",
    "relation_in": "in",
}
_ARITHMETIC_OPS = {
    "addition_add": "+",
    "addition_sub": "-",
    "multiplication_mul": "*",
    "multiplication_div": "/",
    "multiplication_mod": "%",
}
RELATION_OPS = dict(_RELATION_OPS)


def located(node: Any) -> bool:
    """Whether ``node``'s offsets cover exactly its text: every token under it has offsets."""
    if isinstance(node, Token):
        return node.start_pos is not None and node.end_pos is not None
    if not isinstance(node, Tree) or node.meta.empty:
        return False
    if getattr(node.meta, "start_pos", None) is None or getattr(node.meta, "end_pos", None) is None:
        return False
    return all(
        token.start_pos is not None and token.end_pos is not None for token in node.scan_values(_is_token)
    ) and all(not sub.meta.empty or not sub.children for sub in node.iter_subtrees())


def _is_token(value: Any) -> bool:
    return isinstance(value, Token)


def text_of(node: Any, source: str) -> str:
    """The source text of ``node``: sliced from ``source`` when the tree locates it, else printed."""
    return _render(node, source, None, "")


def render(root: Any, source: str, target: Any, replacement: str) -> str:
    """The source of ``root`` with the sub-tree ``target`` replaced by ``replacement`` (CEL text)."""
    if located(root) and located(target) and source.strip():
        return source[: target.meta.start_pos] + replacement + source[target.meta.end_pos :]
    return _render(root, source, target, replacement)


def _render(node: Any, source: str, target: Any, replacement: str) -> str:
    if node is target:
        return replacement
    if isinstance(node, Token):
        return str(node)
    if located(node) and (target is None or not _contains(node, target)):
        return source[node.meta.start_pos : node.meta.end_pos]
    return print_node(node, lambda child: _render(child, source, target, replacement))


def _contains(node: Tree[Any], target: Any) -> bool:
    return any(sub is target for sub in node.iter_subtrees())


def print_node(node: Any, sub: Callable[[Any], str]) -> str:
    """One node printed from its children's texts (``sub`` gives each child's text)."""
    if isinstance(node, Token):
        return str(node)
    data = node.data
    c = node.children
    if data in ("expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication") and len(c) == 1:
        return sub(c[0])
    if data == "expr":
        return f"{sub(c[0])} ? {sub(c[1])} : {sub(c[2])}"
    if data == "conditionalor":
        return f"{sub(c[0])} || {sub(c[1])}"
    if data == "conditionaland":
        return f"{sub(c[0])} && {sub(c[1])}"
    if data in ("relation", "addition", "multiplication"):
        op = c[0]
        symbol = _RELATION_OPS.get(op.data) or _ARITHMETIC_OPS[op.data]
        return f"{sub(op.children[0])} {symbol} {sub(c[1])}"
    if data == "unary":
        if len(c) == 1:
            return sub(c[0])
        return ("!" if c[0].data == "unary_not" else "-") + sub(c[1])
    if data in ("member", "primary"):
        return sub(c[0])
    if data == "member_dot":
        return f"{sub(c[0])}.{c[1]}"
    if data == "member_dot_arg":
        return f"{sub(c[0])}.{c[1]}({sub(c[2]) if len(c) > 2 else ''})"
    if data == "member_index":
        return f"{sub(c[0])}[{sub(c[1])}]"
    if data == "member_object":
        return f"{sub(c[0])}{{{sub(c[1]) if len(c) > 1 else ''}}}"
    if data in ("literal", "ident"):
        return str(c[0])
    if data == "ident_arg":
        return f"{c[0]}({sub(c[1]) if len(c) > 1 else ''})"
    if data == "dot_ident":
        return f".{c[0]}"
    if data == "dot_ident_arg":
        return f".{c[0]}({sub(c[1]) if len(c) > 1 else ''})"
    if data == "paren_expr":
        return f"({sub(c[0])})"
    if data == "list_lit":
        return f"[{sub(c[0]) if c else ''}]"
    if data == "map_lit":
        return f"{{{sub(c[0]) if c else ''}}}"
    if data == "exprlist":
        return ", ".join(sub(child) for child in c)
    if data in ("fieldinits", "mapinits"):
        return ", ".join(f"{sub(c[i])}: {sub(c[i + 1])}" for i in range(0, len(c), 2))
    raise ValueError(f"cannot print CEL node '{data}'")
