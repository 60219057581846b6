"""Automatic explanations, derived from the rule's syntax tree: which top-level clauses decided a
failure, the values on both sides of a failing comparison, and the elements that failed an ``all()``
(or satisfied a negated ``exists()``). Authors write ``message`` and ``remediation``, never "why"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from anops_policy.cel import evaluator as cel
from anops_policy.cel.printer import RELATION_OPS as RELATIONS
from anops_policy.cel.tree import Tree
from anops_policy.cel.values import is_bool, to_python
from anops_policy.evaluation.positions import cite, element_location, element_site

MAX_ELEMENTS = 20
MAX_SCAN = 20_000
MAX_VALUE_ITEMS = 20
MAX_STRING = 300
# locations a decision cites (its `evidence`)
MAX_EVIDENCE = 50



def source_of(tree: Any, source: str) -> str:
    meta = getattr(tree, "meta", None)
    start, end = getattr(meta, "start_pos", None), getattr(meta, "end_pos", None)
    if start is None or end is None:
        return source
    return source[start:end].strip()


def _unwrap(tree: Any) -> Any:
    """Skip single-child wrappers (expr → conditionalor → … → member) and parentheses."""
    while isinstance(tree, Tree):
        if (len(tree.children) == 1 and isinstance(tree.children[0], Tree)) or (
            tree.data == "paren_expr" and tree.children
        ):
            tree = tree.children[0]
        else:
            break
    return tree


def clauses(tree: Any) -> tuple[str, list[Any]]:
    """Top-level ``&&`` or ``||`` operands of a rule (``("single", [tree])`` when neither)."""
    node = _unwrap(tree)
    if isinstance(node, Tree) and node.data in ("conditionaland", "conditionalor") and len(node.children) == 2:
        kind = node.data
        out: list[Any] = []
        stack = [node]
        while stack:
            current = stack.pop()
            inner = _unwrap(current)
            if isinstance(inner, Tree) and inner.data == kind and len(inner.children) == 2:
                stack.extend(reversed(inner.children))
            else:
                out.append(current)
        return ("and" if kind == "conditionaland" else "or"), out
    return "single", [tree]


def shorten(value: Any) -> Any:
    """Bound a value for reports: long lists cut to their first items plus a count, long strings cut."""
    if isinstance(value, list):
        head = [shorten(v) for v in value[:MAX_VALUE_ITEMS]]
        if len(value) > MAX_VALUE_ITEMS:
            head.append(f"… {len(value) - MAX_VALUE_ITEMS} more")
        return head
    if isinstance(value, dict):
        return {k: shorten(v) for k, v in list(value.items())[: MAX_VALUE_ITEMS * 2]}
    if isinstance(value, str) and len(value) > MAX_STRING:
        return value[:MAX_STRING] + "…"
    return value


def brief(value: Any) -> Any:
    """``shorten(to_python(value))`` for a CEL value, converting only what ``shorten`` keeps: a
    variable holding 2,000 Dockerfile problems is shown as its first 20, so only those 20 are converted
    (converting all of them cost more than evaluating the rule)."""
    if isinstance(value, (list, tuple)):
        head = [brief(v) for v in value[:MAX_VALUE_ITEMS]]
        if len(value) > MAX_VALUE_ITEMS:
            head.append(f"… {len(value) - MAX_VALUE_ITEMS} more")
        return head
    if isinstance(value, Mapping):
        # keys as to_python makes them (a later duplicate keeps the first one's place and wins), values
        # read (and, for lazily converted facts, converted) only for the keys shown
        keys: dict[str, Any] = {}
        for key in value:
            keys[str(to_python(key))] = key
        shown = list(keys.items())[: MAX_VALUE_ITEMS * 2]
        return {name: brief(value[key]) for name, key in shown}
    return shorten(to_python(value))


def field(item: Mapping[str, Any], key: str) -> Any:
    """``item[key]`` or None (a CEL map's ``get`` raises on a missing key)."""
    if key in item:  # not item.get(key, None): celpy raises KeyError when the default is None
        return item[key]
    return None


def location(item: Any) -> dict[str, Any]:
    """The ``{"path", "line"}`` an item cites (a plain dict or a CEL map), or ``{}``: the path must be a
    non-empty string; a line is kept only when it is a positive integer (a ``null`` line is no line)."""
    if not isinstance(item, Mapping):
        return {}
    path = field(item, "path")
    if not isinstance(path, str) or not path:
        return {}
    loc: dict[str, Any] = {"path": str(path)}
    line = field(item, "line")
    if isinstance(line, int) and not isinstance(line, bool) and not is_bool(line) and line >= 1:
        loc["line"] = int(line)
    return loc


def locations(value: Any, limit: int = MAX_EVIDENCE) -> list[dict[str, Any]]:
    """The first ``limit`` locations in a list (CEL or plain) of located items, or of lists of them (so
    ``steps.map(s, s.reasons)`` cites every reason); items without a path are skipped. Reads only as far
    as it needs to."""
    found: list[dict[str, Any]] = []
    if not isinstance(value, (list, tuple)):
        return found
    for item in value:
        for element in item if isinstance(item, (list, tuple)) else (item,):
            loc = location(element)
            if loc:
                found.append(loc)
                if len(found) >= limit:
                    return found
    return found


def _value(tree: Any, activation: Mapping[str, Any]) -> Any:
    """The value of a sub-tree for a report, bounded (see ``brief``)."""
    try:
        return brief(cel.evaluate(tree, activation))
    except cel.CelRuntimeError as exc:
        return shorten(f"<error: {exc}>")


def _macro(node: Any) -> tuple[str, Any, str, Any] | None:
    """``(name, target_tree, variable, predicate_tree)`` for ``target.all(v, p)`` and friends."""
    if isinstance(node, Tree) and node.data == "member_dot_arg" and len(node.children) == 3:
        name = str(node.children[1])
        args = node.children[2]
        if name in ("all", "exists", "exists_one") and len(args.children) == 2:
            idents = list(args.children[0].find_data("ident"))
            if len(idents) == 1:
                return name, node.children[0], str(idents[0].children[0]), args.children[1]
    return None


def _elements(target: Any, var: str, predicate: Any, activation: Mapping[str, Any], *, want: bool) -> dict[str, Any]:
    """Elements of ``target`` whose predicate is not ``want`` (or errors). Past ``MAX_SCAN`` elements the
    scan stops: ``count`` is then a lower bound and ``truncated`` is set."""
    try:
        items = cel.evaluate(target, activation)
    except cel.CelRuntimeError as exc:
        return {"error": str(exc)}
    keyed = isinstance(items, Mapping)  # a map's elements are its keys (and its pointer segments)
    if keyed:
        items = list(items.keys())
    if not isinstance(items, (list, tuple)):
        return {"error": f"{type(items).__name__} is not a list or a map"}
    found: list[dict[str, Any]] = []
    count = 0
    site = element_site(target, var, predicate, activation)  # a list inside a structured-file document
    for index, item in enumerate(items[:MAX_SCAN]):
        local = {**activation, var: item}
        try:
            result = cel.evaluate(predicate, local)
            matched = is_bool(result) and bool(result) == want
            reason = None
        except cel.CelRuntimeError as exc:
            matched, reason = False, str(exc)
        if matched:
            continue
        count += 1
        if len(found) < MAX_ELEMENTS:
            entry: dict[str, Any] = {"element": brief(item), **location(item)}
            if "path" not in entry and site is not None:
                entry.update(element_location(site, str(to_python(item)) if keyed else index))
            if reason:
                entry["error"] = reason
            found.append(entry)
    out: dict[str, Any] = {"elements": found, "count": count, "total": len(items)}
    if len(items) > MAX_SCAN:
        out["truncated"] = True
    return out


def _culprits(macro: str, result: dict[str, Any]) -> dict[str, Any]:
    """The report fields of an ``all``/``not exists`` clause from ``_elements``."""
    fields: dict[str, Any] = {
        "macro": macro,
        "failing": result.get("elements", []),
        "failing_count": result.get("count", 0),
        "total": result.get("total", 0),
    }
    if result.get("truncated"):
        fields["truncated"] = True  # only the first MAX_SCAN elements were checked: the count is a minimum
    if "error" in result:
        fields["error"] = result["error"]
    return fields


def _is_false(tree: Any, activation: Mapping[str, Any]) -> bool:
    try:
        value = cel.evaluate(tree, activation)
    except cel.CelRuntimeError:
        return False
    return is_bool(value) and not bool(value)


def _size(tree: Any, activation: Mapping[str, Any]) -> int:
    try:
        return len(cel.evaluate(tree, activation))
    except (cel.CelRuntimeError, TypeError):
        return 0


def explain_clause(tree: Any, source: str, activation: Mapping[str, Any]) -> dict[str, Any]:
    """One clause: the two sides of a comparison, the culprits of an ``all``/``!exists``, a note for
    ``exists``/``!all``, else its value. ``negated`` marks a comparison or a ``!all`` whose ``!`` the
    reported values do not include (``!(a == b)``: ``left``/``op``/``right`` describe ``a == b``)."""
    node = _unwrap(tree)
    text = source_of(tree, source)
    entry: dict[str, Any] = {"text": text}
    negated = False
    while (
        isinstance(node, Tree)
        and node.data == "unary"
        and len(node.children) == 2
        and isinstance(node.children[0], Tree)
        and node.children[0].data == "unary_not"
    ):
        negated = not negated  # `!!x` is `x`
        node = _unwrap(node.children[1])
    if isinstance(node, Tree) and node.data == "relation" and len(node.children) == 2:
        left_rel, right = node.children
        op_name = left_rel.data if isinstance(left_rel, Tree) else ""
        if op_name in RELATIONS and isinstance(left_rel, Tree) and left_rel.children:
            entry.update(
                {
                    "left": _value(left_rel.children[0], activation),
                    "op": RELATIONS[op_name],
                    "right": _value(right, activation),
                }
            )
            if negated:
                entry["negated"] = True
            _cite(entry, tree, activation)
            return entry
    macro = _macro(node)
    if macro is not None:
        name, target, var, predicate = macro
        if name == "all" and not negated:
            entry.update(_culprits("all", _elements(target, var, predicate, activation, want=True)))
            return entry
        if name == "all" and negated and _is_false(tree, activation):
            # !xs.all(x, p) is false because every element satisfied p: there is no culprit to list
            total = _size(target, activation)
            entry.update({"negated": True, "total": total, "note": f"all {total} elements satisfied the condition"})
            return entry
        if name == "exists" and negated:
            # !xs.exists(x, p): the culprits are the elements for which p holds
            entry.update(_culprits("not exists", _elements(target, var, predicate, activation, want=False)))
            return entry
        if name == "exists" and not negated:
            total = _size(target, activation)
            entry.update(
                {"macro": "exists", "total": total, "note": f"none of the {total} elements satisfied the condition"}
            )
            return entry
    entry["value"] = _value(tree, activation)
    _cite(entry, tree, activation)
    return entry


def _cite(entry: dict[str, Any], tree: Any, activation: Mapping[str, Any]) -> None:
    """``at``: where in a structured file the values the clause reads are (``facts.files`` documents)."""
    at = cite(tree, activation)
    if at:
        entry["at"] = at[:MAX_ELEMENTS]


def explain_failure(rule_tree: Any, source: str, activation: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The clauses that made ``rule`` fail: the false operands of a top-level ``&&`` (its erroring or
    non-boolean operands only when none is false: a false one decides, whatever the others do), or
    every operand of a false ``||``."""
    kind, parts = clauses(rule_tree)
    if kind == "and":
        false_parts: list[Any] = []
        other_parts: list[Any] = []
        for part in parts:
            try:
                value = cel.evaluate(part, activation)
            except cel.CelRuntimeError:
                other_parts.append(part)
                continue
            if not is_bool(value):
                other_parts.append(part)
            elif not bool(value):
                false_parts.append(part)
        parts = false_parts or other_parts
    return [explain_clause(part, source, activation) for part in parts]


def evidence_from(
    explanation: list[dict[str, Any]], variables: Mapping[str, Any], subject: Any
) -> list[dict[str, Any]]:
    """``path``/``line`` locations cited by a failure: failing elements first, then located values in the
    variables (CEL values; the first MAX_ELEMENTS items of a list), then the subject itself."""
    found: list[dict[str, Any]] = []

    def add(loc: dict[str, Any]) -> None:
        if loc and loc not in found:
            found.append(loc)

    for clause in explanation:
        for element in clause.get("failing", []):
            add(location(element))
        for loc in clause.get("at", []):
            add(location(loc))
    for value in variables.values():
        items = value if isinstance(value, (list, tuple)) else [value]
        for item in items[:MAX_ELEMENTS]:
            add(location(item))
    if not found:
        add(location(subject))
    return found[:MAX_EVIDENCE]
