"""Static check of a CEL expression before a policy is accepted.

cel-python has no type checker, and an unknown name or method costs dearly at run time (each failing
element's error embeds the whole activation: 5,000 elements took 23 s). So every expression is walked
once at load time:

* every identifier is bound (``facts``, ``params``, ``vars``, ``subject``, ``now``, macro variables);
* every global function and method is one the engine provides;
* ``facts.…`` paths (``facts["todos"]`` too) exist in the fact schema, ``subject.…`` fields exist in the
  schema of the ``for_each`` elements, macro variables are typed by the list they range over (a list
  literal ``[x]`` is a list of ``x``'s type, never ``x``'s type itself);
* ``params.x`` and ``vars.x`` name declared parameters and earlier variables;
* the tree is no deeper than what evaluation can recurse through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from anops_policy.cel.functions import BUILTIN_FUNCTIONS, EXTRA_FUNCTIONS, MACROS, TYPE_NAMES
from anops_policy.cel.tree import Token, Tree
from anops_policy.policy.schema_nav import (
    SchemaRef,
    element,
    is_scalar,
    iteration_element,
    list_of,
)
from anops_policy.policy.schema_nav import (
    field as schema_field,
)
from anops_policy.validation import suggest

# Evaluation recursion failed between tree depths 513 and 613 (50-60 nested parentheses) and ~490 `&&`
# terms; 300 leaves room for the callers' own stack frames.
MAX_TREE_DEPTH = 300
METHODS = frozenset(BUILTIN_FUNCTIONS) | MACROS | frozenset(EXTRA_FUNCTIONS)


@dataclass(frozen=True)
class Names:
    """A namespace whose members are known exactly (``params``, ``vars``)."""

    kind: str
    members: Mapping[str, Any]  # name -> type of the member (SchemaRef, Names or None)


Type = SchemaRef | Names | None


@dataclass(frozen=True)
class Problem:
    message: str
    line: int
    column: int


@dataclass
class Checker:
    scope: dict[str, Type]
    problems: list[Problem] = field(default_factory=list)

    def report(self, message: str, token: Any) -> None:
        line = getattr(token, "line", None) or getattr(getattr(token, "meta", None), "line", 1) or 1
        column = getattr(token, "column", None) or getattr(getattr(token, "meta", None), "column", 1) or 1
        if not any(p.message == message and p.line == line for p in self.problems):
            self.problems.append(Problem(message, int(line), int(column)))

    # -- generic walk ----------------------------------------------------------------------------------
    def visit(self, node: Any) -> Type:
        if not isinstance(node, Tree):
            return None
        handler = getattr(self, f"v_{node.data}", None)
        if handler is not None:
            result: Type = handler(node)
            return result
        if node.data == "expr" and len(node.children) == 3:  # a ? b : c
            self.visit(node.children[0])
            left = self.visit(node.children[1])
            self.visit(node.children[2])
            return left
        last: Type = None
        for child in node.children:
            last = self.visit(child)
        # only pass-through nodes (one child) keep the child's type
        return last if len(node.children) == 1 else None

    # -- names ----------------------------------------------------------------------------------------
    def v_ident(self, node: Tree[Any]) -> Type:
        token = node.children[0]
        name = str(token)
        if name in self.scope:
            return self.scope[name]
        if name in TYPE_NAMES:
            return None
        known = [*self.scope, "true", "false", "null"]
        self.report(f"unknown identifier '{name}'{suggest(name, known)}", token)
        return None

    def v_ident_arg(self, node: Tree[Any]) -> Type:
        token = node.children[0]
        name = str(token)
        args = node.children[1] if len(node.children) > 1 else None
        if name not in BUILTIN_FUNCTIONS:
            self.report(f"unknown function '{name}'{suggest(name, sorted(BUILTIN_FUNCTIONS))}", token)
        if args is not None:
            self.visit(args)
        return None

    def v_dot_ident(self, node: Tree[Any]) -> Type:
        self.report("qualified names (leading '.') are not supported", node.children[0])
        return None

    def v_dot_ident_arg(self, node: Tree[Any]) -> Type:
        return self.v_dot_ident(node)

    # -- member access --------------------------------------------------------------------------------
    def v_member_dot(self, node: Tree[Any]) -> Type:
        chain = _dotted_chain(node)
        if chain is not None and isinstance(self.scope.get(str(chain[0])), SchemaRef):
            return self.select_path(chain)
        base = self.visit(node.children[0])
        token = node.children[1]
        return self.select(base, str(token), token)

    def select_path(self, chain: list[Any]) -> Type:
        """``root.a.b.c`` walked segment by segment; on an unknown segment, suggest a repair of the
        whole remaining path (``facts.dockerfile.pakages`` → ``facts.dockerfiles.packages``)."""
        current: Type = self.scope[str(chain[0])]
        for index, token in enumerate(chain[1:], start=1):
            if not isinstance(current, SchemaRef):
                return None
            result = schema_field(current, str(token))
            if result.ok:
                current = result.ref
                continue
            if current.path in ("facts.files", "facts.patterns"):
                self.report(_unknown_declared(current.path.removeprefix("facts."), str(token), result.known), token)
                return None
            repaired = _repair(current, [str(t) for t in chain[index:]])
            if repaired and is_scalar(current) is None:
                self.report(
                    f"unknown field '{current.path}.{token}' (did you mean '{current.path}.{repaired}'?)", token
                )
                return None
            return self.select(current, str(token), token)
        return current

    def select(self, base: Type, name: str, token: Any, *, index: bool = False) -> Type:
        """``base.name`` (or ``base["name"]`` when ``index``: a map's value is then named ``base[]``)."""
        if isinstance(base, Names):
            if name in base.members:
                member: Type = base.members[name]
                return member
            known = sorted(base.members)
            hint = suggest(name, known) or (f"; declared: {', '.join(known)}" if known else "; none declared")
            self.report(f"unknown {base.kind} '{name}'{hint}", token)
            return None
        if isinstance(base, SchemaRef):
            result = schema_field(base, name)
            if result.ok and index and result.ref is not None and not result.declared:
                return SchemaRef(result.ref.schema, result.ref.resolver, f"{base.path}[]")
            if result.ok:
                return result.ref
            scalar = is_scalar(base)
            if scalar == "list":
                self.report(
                    f"'{base.path}' is a list; it has no field '{name}' (use .exists(), .all() or an index)",
                    token,
                )
            elif scalar:
                self.report(f"'{base.path}' is a {scalar}; it has no field '{name}'", token)
            else:
                self.report(f"unknown field '{base.path}.{name}'{suggest_path(base.path, name, result.known)}", token)
        return None

    def v_member_index(self, node: Tree[Any]) -> Type:
        base = self.visit(node.children[0])
        index = string_index(node)
        if index is not None and base is not None:  # facts["todos"] is facts.todos
            return self.select(base, *index, index=True)
        self.visit(node.children[1])
        if isinstance(base, SchemaRef):
            return element(base)
        return None

    # -- literals: a list or map is never the type of its one element ---------------------------------
    def v_list_lit(self, node: Tree[Any]) -> Type:
        items = node.children[0].children if node.children and isinstance(node.children[0], Tree) else []
        types = [self.visit(item) for item in items]
        first = types[0] if types else None
        if isinstance(first, SchemaRef) and all(
            isinstance(t, SchemaRef) and t.path == first.path and t.schema == first.schema for t in types
        ):
            return list_of(first)
        return None

    def _visit_all(self, node: Tree[Any]) -> Type:
        for child in node.children:
            self.visit(child)
        return None

    v_map_lit = v_mapinits = v_exprlist = v_fieldinits = v_member_object = _visit_all

    def v_member_dot_arg(self, node: Tree[Any]) -> Type:
        target_node, token = node.children[0], node.children[1]
        name = str(token)
        args = node.children[2] if len(node.children) > 2 else None
        target = self.visit(target_node)
        if name in MACROS and args is not None and len(args.children) == 2:
            var_node, body = args.children
            idents = list(var_node.find_data("ident"))
            if len(idents) != 1 or len(var_node.children) != 1:
                self.report(f"the first argument of {name}() must be a variable name", token)
                self.visit(body)
                return None
            var = str(idents[0].children[0])
            bound = iteration_element(target) if isinstance(target, SchemaRef) else None
            saved = self.scope.get(var, _MISSING)
            self.scope[var] = bound
            body_type = self.visit(body)
            if saved is _MISSING:
                del self.scope[var]
            else:
                self.scope[var] = saved
            if name == "filter":
                return target
            del body_type
            return None
        if name in MACROS:
            self.report(f"{name}() takes a variable and an expression: list.{name}(x, predicate)", token)
        elif name not in METHODS:
            self.report(f"unknown method '{name}'{suggest(name, sorted(METHODS))}", token)
        if args is not None:
            self.visit(args)
        return None


_MISSING: Any = object()


# what a policy may read under facts.files and facts.patterns, and how to declare one more
_DECLARED = {
    "files": ("input", "input", "declare it under `inputs:` in the pack's pack.yaml or in anops-policy.yaml, or "
              "pass --input NAME=GLOB:PARSER"),
    "patterns": ("pattern rule", "pattern rule", "declare it under `patterns:` in the pack's pack.yaml, in a "
                 "patterns/*.yaml file of the pack, or in anops-policy.yaml"),
}


def _unknown_declared(section: str, name: str, declared: tuple[str, ...]) -> str:
    """``facts.<section>.<name>`` for an input or pattern rule nobody declared: the nearest declared name, or
    how to declare one."""
    what, plural, how = _DECLARED[section]
    if not declared:
        return f"unknown {what} 'facts.{section}.{name}': no {plural} is declared ({how})"
    hint = suggest(name, declared) or f"; declared: {', '.join(declared)}"
    return f"unknown {what} 'facts.{section}.{name}'{hint}"


def string_index(node: Tree[Any]) -> tuple[str, Any] | None:
    """``(name, token)`` when the ``member_index`` node's index is a plain string literal (``x["name"]``)."""
    current: Any = node.children[1]
    while isinstance(current, Tree) and len(current.children) == 1:
        current = current.children[0]
    if not isinstance(current, Token) or current.type not in ("STRING_LIT", "MLSTRING_LIT"):
        return None
    text = str(current)
    text = text[1:] if text[:1] in ("r", "R") else text
    for quote in ('"""', "'''", '"', "'"):
        if len(text) >= 2 * len(quote) and text.startswith(quote) and text.endswith(quote):
            inner = text[len(quote) : -len(quote)]
            # only a plain name: no escapes to decode
            return (inner, current) if not any(c in inner for c in "\"'\\\n") else None
    return None


def root_name(node: Any) -> str | None:
    """The identifier ``node`` is, through single-child ``member``/``primary`` wrappers; else None."""
    while isinstance(node, Tree) and node.data in ("member", "primary") and len(node.children) == 1:
        node = node.children[0]
    if isinstance(node, Tree) and node.data == "ident":
        return str(node.children[0])
    return None


def _dotted_chain(node: Tree[Any]) -> list[Any] | None:
    """``[root_token, seg1, seg2, ...]`` when ``node`` is a plain ``a.b.c`` chain, else None."""
    segments: list[Any] = []
    current: Any = node
    while isinstance(current, Tree):
        if current.data == "member_dot":
            segments.append(current.children[1])
            current = current.children[0]
        elif current.data in ("member", "primary") and len(current.children) == 1:
            current = current.children[0]
        elif current.data == "ident":
            segments.append(current.children[0])
            return segments[::-1]
        else:
            return None
    return None


def _repair(base: SchemaRef, segments: list[str]) -> str | None:
    """Fuzzy-correct ``segments`` against the schema below ``base``; None when the first can't be."""
    fixed: list[str] = []
    current: SchemaRef | None = base
    for segment in segments:
        if current is None:
            fixed.append(segment)
            continue
        result = schema_field(current, segment)
        if result.ok:
            fixed.append(segment)
            current = result.ref
            continue
        hint = suggest(segment, result.known)
        if not hint:
            return None if not fixed else ".".join([*fixed, segment])
        choice = hint.split("'")[1]
        fixed.append(choice)
        current = schema_field(current, choice).ref
    return ".".join(fixed)


def suggest_path(path: str, name: str, known: tuple[str, ...]) -> str:
    hint = suggest(name, known)
    if hint:
        match = hint.split("'")[1]
        return f" (did you mean '{path}.{match}'?)"
    return f"; known fields: {', '.join(known)}" if known and len(known) <= 12 else ""


def tree_depth(tree: Tree[Any]) -> int:
    deepest = 0
    stack: list[tuple[Any, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, Tree):
            stack.extend((child, depth + 1) for child in node.children)
    return deepest


def check_tree(tree: Tree[Any], scope: Mapping[str, Type]) -> list[Problem]:
    depth = tree_depth(tree)
    if depth > MAX_TREE_DEPTH:
        return [
            Problem(
                f"expression nested too deeply ({depth} levels; the limit is {MAX_TREE_DEPTH}): "
                "split it into variables",
                1,
                1,
            )
        ]
    checker = Checker(dict(scope))
    checker.visit(tree)
    return sorted(checker.problems, key=lambda p: (p.line, p.column))


def infer(tree: Tree[Any], scope: Mapping[str, Type]) -> Type:
    """The type of an expression's value (for ``for_each`` subjects and variables); None when unknown."""
    return Checker(dict(scope)).visit(tree)
