"""The steps of loading a policy that depend only on an expression's text and the scope it is checked in:
parsing, the static check, type inference, the fact sections read, the fact document's schema.

``Compiler`` does each every time (loading a pack). ``MemoCompiler`` remembers them, for a caller that
loads many variants of one policy (``test --mutate``): a variant changes one expression, and the others,
with their scopes, stay as they were, so each is parsed and checked once rather than once per variant.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from anops_policy.cel import evaluator as cel
from anops_policy.policy.check import Names, Problem, Type, _dotted_chain, check_tree, infer, root_name, string_index
from anops_policy.policy.schema_nav import SchemaRef, fact_root

FactRead = tuple[str, Any]  # a fact section's name and the token that names it


class Compiler:
    def parse(self, source: str) -> cel.Compiled:
        return cel.compile_expr(source)

    def check(self, tree: Any, scope: Mapping[str, Any]) -> list[Problem]:
        return check_tree(tree, scope)

    def infer(self, tree: Any, scope: Mapping[str, Any]) -> Type:
        return infer(tree, scope)

    def fact_reads(self, tree: Any) -> list[FactRead]:
        return fact_reads(tree)

    def facts_root(self, inputs: tuple[tuple[str, str | None], ...]) -> SchemaRef:
        return fact_root(inputs)


class MemoCompiler(Compiler):
    """Each result computed once. Trees are known by identity (``parse`` keeps every tree it made alive, and
    a caller's trees must outlive this object); schema nodes in a scope too (each remembered result keeps its
    scope alive, so no identity in a key is ever reused by another object)."""

    def __init__(self) -> None:
        self.parsed: dict[str, cel.Compiled] = {}
        self.checked: dict[tuple[int, Any], tuple[list[Problem], dict[str, Any]]] = {}
        self.inferred: dict[tuple[int, Any], tuple[Type, dict[str, Any]]] = {}
        self.reads: dict[int, list[FactRead]] = {}
        self.roots: dict[tuple[tuple[str, str | None], ...], SchemaRef] = {}

    def parse(self, source: str) -> cel.Compiled:
        if source not in self.parsed:
            self.parsed[source] = cel.compile_expr(source)
        return self.parsed[source]

    def check(self, tree: Any, scope: Mapping[str, Any]) -> list[Problem]:
        key = (id(tree), scope_key(scope))
        if key not in self.checked:
            self.checked[key] = (check_tree(tree, scope), dict(scope))
        return list(self.checked[key][0])

    def infer(self, tree: Any, scope: Mapping[str, Any]) -> Type:
        key = (id(tree), scope_key(scope))
        if key not in self.inferred:
            self.inferred[key] = (infer(tree, scope), dict(scope))
        return self.inferred[key][0]

    def fact_reads(self, tree: Any) -> list[FactRead]:
        if id(tree) not in self.reads:
            self.reads[id(tree)] = fact_reads(tree)
        return self.reads[id(tree)]

    def facts_root(self, inputs: tuple[tuple[str, str | None], ...]) -> SchemaRef:
        if inputs not in self.roots:
            self.roots[inputs] = fact_root(inputs)
        return self.roots[inputs]


def fact_reads(tree: Any) -> list[FactRead]:
    """The fact sections ``tree`` reads (``facts.git…``, ``facts["git"]``), each with the token naming it."""
    out: list[FactRead] = []
    for node in tree.iter_subtrees():
        if node.data == "member_dot":
            chain = _dotted_chain(node)
            if chain and str(chain[0]) == "facts" and len(chain) > 1:
                out.append((str(chain[1]), chain[1]))
        elif node.data == "member_index":  # facts["git"]
            index = string_index(node)
            if index is not None and root_name(node.children[0]) == "facts":
                out.append(index)
    return out


def scope_key(scope: Mapping[str, Any]) -> Any:
    """A hashable stand-in for a checker scope: schema nodes by identity."""
    return tuple(sorted((name, _type_key(value)) for name, value in scope.items()))


def _type_key(value: Any) -> Any:
    if isinstance(value, SchemaRef):
        return ("schema", id(value.schema), _resolver_key(value.resolver), value.path, value.item_path)
    if isinstance(value, Names):
        return ("names", value.kind, tuple(sorted((k, _type_key(v)) for k, v in value.members.items())))
    return None if value is None else ("object", id(value))


def _resolver_key(resolver: Any) -> Any:
    """A ``referencing`` resolver by what resolves a ``$ref``: its registry and base URI (each step through
    the schema builds a new resolver object with the same two)."""
    base, registry = getattr(resolver, "_base_uri", None), getattr(resolver, "_registry", None)
    return ("resolver", id(registry), base) if isinstance(base, str) and registry is not None else id(resolver)
