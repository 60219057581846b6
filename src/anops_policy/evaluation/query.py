"""``anops-policy query``: one CEL expression against a fact document, under the same static check (unknown
fact paths with a suggestion, unknown functions), guard rails (deadline, bounded errors) and value conversion
as a policy's rule; and the completions of a fact path the interactive prompt offers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from anops_policy.cel import evaluator as cel
from anops_policy.cel.deadline import DeadlineExceeded, deadline
from anops_policy.cel.functions import BUILTIN_FUNCTIONS, EXTRA_FUNCTIONS
from anops_policy.cel.values import CelValueError, timestamp, to_cel, to_python
from anops_policy.errors import AnopsError, ConfigError, InputError
from anops_policy.evaluation.evaluate import DEFAULT_DEADLINE_S
from anops_policy.policy.check import Names, _dotted_chain, check_tree
from anops_policy.policy.schema_nav import SchemaRef, declared_fields, fact_root
from anops_policy.policy.schema_nav import field as schema_field

MAX_LOCATIONS = 50


class QueryFailed(AnopsError):
    """The expression evaluated to a CEL error (or ran out of time): exit 1, like a policy that errors."""

    exit_code = 1


def _scope(inputs: tuple[tuple[str, str | None], ...]) -> dict[str, Any]:
    return {"facts": fact_root(inputs), "params": Names("parameter", {}), "vars": Names("variable", {}), "now": None}


def compile_query(source: str, inputs: tuple[tuple[str, str | None], ...] = ()) -> tuple[Any, list[str]]:
    """The checked tree and the fact sections it reads; ConfigError (exit 2) naming ``query:line:column``."""
    try:
        tree = cel.compile_expr(source).tree
    except cel.CelSyntaxError as exc:
        raise ConfigError(f"query:{exc.line or 1}:{exc.column or 1}: invalid CEL: {exc.message}") from None
    problems = check_tree(tree, _scope(inputs))
    if problems:
        raise ConfigError("\n".join(f"query:{p.line}:{p.column}: {p.message}" for p in problems))
    sections: list[str] = []
    for node in tree.iter_subtrees():
        if node.data == "member_dot":
            chain = _dotted_chain(node)
            if chain and str(chain[0]) == "facts" and len(chain) > 1 and str(chain[1]) not in sections:
                sections.append(str(chain[1]))
    return tree, sections


def evaluate_query(tree: Any, document: Mapping[str, Any], now: datetime) -> Any:
    """The expression's value as JSON-ready Python; QueryFailed for a CEL error or the deadline."""
    try:
        activation = {"facts": to_cel(dict(document)), "params": to_cel({}), "vars": to_cel({}), "now": timestamp(now)}
    except CelValueError as exc:
        raise InputError(f"fact document: {exc}") from None
    try:
        with deadline(DEFAULT_DEADLINE_S):
            value = cel.evaluate(tree, activation)
    except cel.CelRuntimeError as exc:
        raise QueryFailed(f"query: evaluates to an error: {exc}") from None
    except DeadlineExceeded:
        raise QueryFailed(f"query: ran out of its {DEFAULT_DEADLINE_S:g} s of CPU time") from None
    return to_python(value)


def locations(value: Any) -> list[str]:
    """``path:line`` of every item in ``value`` that carries them (the first ``MAX_LOCATIONS``)."""
    out: list[str] = []
    stack = [value]
    while stack and len(out) < MAX_LOCATIONS:
        item = stack.pop(0)
        if isinstance(item, dict):
            if isinstance(item.get("path"), str) and isinstance(item.get("line"), int):
                out.append(f"{item['path']}:{item['line']}")
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return out


def completions(text: str, inputs: tuple[tuple[str, str | None], ...] = ()) -> list[str]:
    """What ``text`` (the word under the cursor) may become: a fact path's next field from the fact schema,
    else the names and functions an expression may use."""
    if "." not in text:
        names = ["facts", "now", *sorted(BUILTIN_FUNCTIONS), *sorted(EXTRA_FUNCTIONS)]
        return [n for n in dict.fromkeys(names) if n.startswith(text)]
    head, _, partial = text.rpartition(".")
    segments = head.split(".")
    if segments[0] != "facts":
        return []
    ref: SchemaRef | None = fact_root(inputs)
    for segment in segments[1:]:
        result = schema_field(ref, segment) if ref is not None else None
        if result is None or not result.ok or result.ref is None:
            return []
        ref = result.ref
    if ref is None:
        return []
    return [f"{head}.{name}" for name in declared_fields(ref) if name.startswith(partial)]
