"""Reading the fact document for the C++ backend (``cel/native.py``) without copying it: the value at a fact
path, and the look-ups ``cel/rewrite.py`` prints as calls (``facts.a.b[k]``, ``k in facts.a.b``,
``has(facts.a.b)``, ``size(facts.a.b)``). Each gives exactly what C++ would answer on the converted value, or
raises (a CEL error: it decides nothing, or hands the expression to cel-python). No cel-expr-python import."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from anops_policy.cel.rewrite import FactPath

MISSING: Any = object()


def at(facts: Any, path: FactPath) -> Any:
    """The value at ``path`` in the fact document (its JSON where it is a lazily converted map), or
    ``MISSING`` when a step is not a map or lacks the key (CEL's select fails there too)."""
    value = facts
    for key in (None, *path):
        raw = getattr(value, "raw", None)
        if type(raw) is dict:
            value = raw
        if key is None:
            continue
        if not isinstance(value, dict) or key not in value:
            return MISSING
        value = dict.__getitem__(value, key)
    return value


def walk_orders(document: Any) -> dict[frozenset[str], tuple[str, ...] | None]:
    """For each key set of a map in ``document``, its key order (None: two orders seen). The whole document,
    once: only a full walk proves an order unique."""
    orders: dict[frozenset[str], tuple[str, ...] | None] = {}
    seen: set[tuple[str, ...]] = set()
    stack: list[Any] = [document]
    pop, push = stack.pop, stack.append
    while stack:
        item = pop()
        if type(item) is dict:
            keys = tuple(item)
            if keys not in seen:
                seen.add(keys)
                if len(keys) > 1 and orders.setdefault(frozenset(keys), keys) != keys:
                    orders[frozenset(keys)] = None
            item = item.values()
        for value in item:
            kind = type(value)
            if kind is dict or kind is list:
                push(value)
    return orders


class LazyOrders:
    """A document's key orders, walked on first use (most runs never return a map)."""

    def __init__(self) -> None:
        self.orders: dict[frozenset[str], tuple[str, ...] | None] | None = None

    def __call__(self, document: Any) -> dict[frozenset[str], tuple[str, ...] | None]:
        if self.orders is None:
            self.orders = walk_orders(document)
        return self.orders


def entry(container: Any, key: Any, kind: Callable[[Any], str], to_plain: Callable[[Any], Any]) -> Any:
    """``container[key]`` for a map with string keys or a list."""
    if isinstance(container, dict) and kind(key) == "string" and key in container:
        return to_plain(dict.__getitem__(container, key))
    if isinstance(container, (list, tuple)) and kind(key) == "int" and 0 <= key < len(container):
        return to_plain(container[key])
    raise KeyError("no such key")


def has_key(container: Any, key: Any, kind: Callable[[Any], str]) -> bool:
    """``key in container``, as the rewriter's guard for `in` answers it: a string found, else every element of
    the item's type (compared only with items of the key's type: cel-python's values raise on mixed
    comparisons)."""
    key_kind = kind(key)
    if type(container) is dict and key_kind == "string":
        return key in container  # JSON: every key is a string (a hash look-up, not a scan)
    if isinstance(container, dict):
        items: Any = dict.keys(container)
    elif isinstance(container, (list, tuple)):
        items = container
    else:
        raise TypeError("'in' needs a list or a map")
    if key_kind == "string" and any(kind(item) == key_kind and item == key for item in items):
        return True
    if key_kind in ("string", "int") and all(kind(item) == key_kind for item in items):
        return any(item == key for item in items)
    raise TypeError("'in' over elements of another type")


def has_field(container: Any, field: str) -> bool:
    if not isinstance(container, dict):
        raise TypeError("has() needs a map")
    return field in container


def size(container: Any) -> int:
    if not isinstance(container, (dict, list, tuple, str, bytes)):
        raise TypeError("size() of a scalar")
    return len(container)
