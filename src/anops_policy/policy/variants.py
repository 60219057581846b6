"""A policy file read once and loaded again with one expression changed (a mutant): the variant gets the same
static check as the original (``PolicyLoader``; the file's schema was validated when it was first loaded),
and the fields a ``facts.…`` or ``subject.…`` path could have named instead are found in the fact schema."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anops_policy.cel.tree import Tree
from anops_policy.errors import ConfigError
from anops_policy.policy.check import _dotted_chain, infer
from anops_policy.policy.compiler import MemoCompiler
from anops_policy.policy.loading import PolicyLoader, Problems
from anops_policy.policy.model import Policy
from anops_policy.policy.schema_nav import SchemaRef, declared_fields, type_signature
from anops_policy.policy.schema_nav import field as schema_field
from anops_policy.validation import schema_key
from anops_policy.yamlsafe import Marks, load_yaml_file

Where = tuple[str | int, ...]
MAX_SIBLINGS = 2  # per field: the nearest in the schema's order, before and after


@dataclass(frozen=True)
class Expression:
    """One expression of a policy a mutant may change."""

    where: Where  # the YAML path of its string
    label: str  # how a report names it: rule, applies_when, for_each, variables.found
    source: str
    tree: Any
    boolean: bool  # its value is a truth value (rule, applies_when)


@dataclass
class PolicySource:
    """A policy file as parsed (data and positions) and the scope each of its expressions was checked in."""

    file: str
    data: dict[str, Any]
    marks: Marks
    inputs: tuple[tuple[str, str | None], ...]
    scopes: dict[Where, dict[str, Any]]
    # parses, checks and inferences remembered across variants: a variant changes one expression
    compiler: MemoCompiler = field(default_factory=MemoCompiler)

    def locate(self, where: Where, line: int, column: int) -> str:
        """``file:line:column`` of (line, column) of the expression at ``where``."""
        return self.marks.inside(where, line, column)

    def expressions(self, policy: Policy) -> list[Expression]:
        out: list[Expression] = []
        if policy.for_each is not None:
            out.append(Expression(("for_each",), "for_each", policy.for_each.source, policy.for_each.tree, False))
        if policy.applies_when is not None:
            applies = policy.applies_when
            out.append(Expression(("applies_when",), "applies_when", applies.source, applies.tree, True))
        for index, var in enumerate(policy.variables):
            where: Where = ("variables", index, "expression")
            out.append(Expression(where, f"variables.{var.name}", var.expr.source, var.expr.tree, False))
        out.append(Expression(("rule",), "rule", policy.rule.source, policy.rule.tree, True))
        return out

    def variant(self, where: Where, source: str) -> tuple[Policy | None, list[str]]:
        """The policy with the expression at ``where`` replaced by ``source``, and the static check's problems."""
        data = _replaced(self.data, where, source)
        problems = Problems()
        loader = PolicyLoader(self.file, data, self.marks, problems, self.inputs)
        loader.compiler = self.compiler
        policy = loader.load()
        return policy, [item.removeprefix("load policy ") for item in problems.items]

    def siblings(self, where: Where) -> Callable[[Any], Sequence[str]]:
        """For a ``member_dot`` node of the expression at ``where``: the other fields of the same parent
        whose values have the same JSON type (``facts.a.b`` only below a section, so ``requires`` holds)."""
        scope = self.scopes.get(where, {})

        def siblings(node: Any) -> Sequence[str]:
            chain = _dotted_chain(node)
            if not chain or not isinstance(scope.get(str(chain[0])), SchemaRef):
                return []
            if str(chain[0]) == "facts" and len(chain) < 3:
                return []
            parent = infer(node.children[0], scope) if isinstance(node.children[0], Tree) else None
            if not isinstance(parent, SchemaRef):
                return []
            name = str(node.children[1])
            own = schema_field(parent, name)
            if not own.ok or own.ref is None or not own.declared:
                return []
            wanted = type_signature(own.ref)
            names = declared_fields(parent)
            if name not in names or not wanted:
                return []
            same = [n for n in names if n != name and _signature(parent, n) == wanted]
            here = names.index(name)
            before = [n for n in same if names.index(n) < here][-(MAX_SIBLINGS // 2) :]
            after = [n for n in same if names.index(n) > here]
            return [*before, *after][:MAX_SIBLINGS]

        return siblings


def decisive_variables(policy: Policy) -> set[str]:
    """The variables an outcome can depend on: read by the rule, ``applies_when``, ``subject_id`` or such a
    variable. The others feed only the message or the evidence, which no example's ``expect`` judges."""
    by_name = {var.name: var.expr.tree for var in policy.variables}
    roots = [e.tree for e in (policy.rule, policy.applies_when, policy.subject_id, policy.for_each) if e is not None]
    found: set[str] = set()
    pending = [name for tree in roots for name in _vars_read(tree)]
    while pending:
        name = pending.pop()
        if name in found or name not in by_name:
            continue
        found.add(name)
        pending.extend(_vars_read(by_name[name]))
    return found


def _vars_read(tree: Any) -> list[str]:
    out = []
    for node in tree.iter_subtrees():
        if node.data == "member_dot":
            chain = _dotted_chain(node)
            if chain and len(chain) >= 2 and str(chain[0]) == "vars":
                out.append(str(chain[1]))
    return out


def _signature(parent: SchemaRef, name: str) -> frozenset[str]:
    result = schema_field(parent, name)
    return type_signature(result.ref) if result.ok and result.ref is not None else frozenset()


def _replaced(data: Mapping[str, Any], where: Where, source: str) -> dict[str, Any]:
    """A copy of ``data`` with the string at ``where`` replaced (only the containers on the way are copied)."""
    top: dict[str, Any] = dict(data)
    if len(where) == 1:
        top[str(where[0])] = source
        return top
    key, index, field_name = where
    items = list(top[str(key)])
    items[int(index)] = {**items[int(index)], str(field_name): source}
    top[str(key)] = items
    return top


def read_policy_source(path: Path, display: str, inputs: Mapping[str, Any]) -> tuple[Policy, PolicySource]:
    """The policy at ``path`` loaded afresh (no cache) with its source; ConfigError when it does not load."""
    data, marks = load_yaml_file(str(path), display)
    if not isinstance(data, dict):
        raise ConfigError(f"load policy {display}: expected a mapping with id, title, rule, ...")
    key = schema_key(dict(inputs))
    problems = Problems()
    loader = PolicyLoader(display, data, marks, problems, key)
    loader.compiler = compiler = MemoCompiler()  # the original's trees and scopes are the variants' too
    policy = loader.load()
    if policy is None or problems.items:
        raise ConfigError("\n".join(problems.items) or f"load policy {display}: does not load")
    return policy, PolicySource(display, data, marks, key, loader.scopes, compiler)
