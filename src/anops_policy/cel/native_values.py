"""Values between cel-python and the C++ runtime for ``cel/native.py``: plain Python for C++ (a lazily converted
fact map's own JSON, never a copy), and C++ results as cel-python values with cel-python's map key order. No
cel-python or cel-expr-python import: cel.py hands over what is needed in a ``Bridge``."""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from anops_policy.cel.native_facts import LazyOrders
from anops_policy.cel.rewrite import MAX_VALUE_LENGTH, Unsupported

MAX_PLAIN_CACHE = 4096  # results whose plain form is kept (each only while its cel-python value lives)
# documents whose key orders are kept: the current one and the one before (another thread's, in a server)
MAX_DOCUMENTS = 2


@dataclass(frozen=True)
class Bridge:
    """What cel.py hands over, so that this module never imports cel-python: its converter from plain
    Python, its bool and uint classes (subclasses of int) and its extra functions."""

    to_cel: Callable[[Any], Any]
    bool_type: type
    uint_type: type
    string_type: Callable[[str], Any]
    int_type: Callable[[int], Any]  # for values already known to be 64-bit
    list_type: Callable[[list[Any]], Any]
    map_type: Callable[[dict[Any, Any]], Any]
    functions: Mapping[str, Callable[..., Any]]
    max_value_length: int = MAX_VALUE_LENGTH  # cel.py's bound on what '+' may build


class Values:
    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self._lock = threading.Lock()
        self._plain: dict[int, tuple[weakref.ref[Any], Any]] = {}  # id(cel-python value) → (value, plain)
        self._documents: list[tuple[Any, Any, LazyOrders]] = []  # (cel-python value, plain, key orders)
        self._literal_orders: dict[frozenset[str], tuple[str, ...] | None] = {}  # of map literals in expressions
        self._order_memo: dict[tuple[Any, ...], tuple[str, ...] | None] = {}

    def note_literal_orders(self, orders: Iterable[tuple[str, ...]]) -> None:
        """Key orders of map literals with constant keys in an expression (a result map may be one)."""
        for keys in orders:
            seen = self._literal_orders.setdefault(frozenset(keys), keys)
            if seen is not None and seen != keys:
                self._literal_orders[frozenset(keys)] = None
            self._order_memo = {}

    def document(self, value: Any) -> Any:
        """The plain form of ``facts`` (a lazily converted fact map's JSON, no copy), kept with its key orders
        while it is in use."""
        for held, plain, _ in self._documents:
            if held is value:
                return plain
        plain = self.plain_of(value)
        self._documents = [*self._documents[1 - MAX_DOCUMENTS :], (value, plain, LazyOrders())]
        self._order_memo = {}
        return plain

    def remember_plain(self, value: Any, plain: Any) -> None:
        """``value`` (a cel-python value) was converted from ``plain``: reuse it instead of converting back."""
        if not isinstance(plain, (dict, list)):
            return
        key, cache = id(value), self._plain

        def forget(ref: weakref.ref[Any]) -> None:
            # the value is gone: so is its plain copy (held only for it). No lock: this runs inside the
            # garbage collector, possibly while this thread holds it; dict.pop is atomic.
            entry = cache.get(key)
            if entry is not None and entry[0] is ref:
                cache.pop(key, None)

        with self._lock:
            if len(cache) >= MAX_PLAIN_CACHE:
                cache.pop(next(iter(cache)), None)
            cache[key] = (weakref.ref(value, forget), plain)

    def to_plain(self, value: Any) -> Any:
        hit = self._plain.get(id(value))
        if hit is not None and hit[0]() is value:
            return hit[1]
        return self.plain_of(value)

    def plain_of(self, value: Any) -> Any:
        bridge = self.bridge
        if value is None or type(value) in (bool, int, float, str, dict, list):
            return value  # exactly a builtin: raw JSON (a lazily converted map keeps its parts raw until read)
        raw = getattr(value, "raw", None)
        if type(raw) is dict:
            return raw  # a lazily converted map: the JSON it was made from, not a copy
        if isinstance(value, bridge.bool_type):
            return bool(value)
        if isinstance(value, bridge.uint_type):
            raise Unsupported()  # plain Python cannot say uint to C++
        for base in (str, float, int):  # cel-python's scalars subclass these; C++ accepts only the builtins
            if isinstance(value, base):
                return base(value)
        if isinstance(value, dict):  # dict.items: a lazily converted map's raw parts stay raw
            return {self.to_plain(k): self.to_plain(v) for k, v in dict.items(value)}
        if isinstance(value, (list, tuple)):
            return [self.to_plain(v) for v in value]
        raise Unsupported()  # timestamps and durations pass only as `now` (C++ refuses them inside data)

    def to_cel(self, result: Any) -> Any:
        kind = result.type().name()
        if kind == "ERROR":
            raise Unsupported("error value")
        plain = result.plain_value()
        if kind in ("BOOL", "INT", "DOUBLE", "STRING", "NULL", "TIMESTAMP", "DURATION"):
            return self.bridge.to_cel(plain)
        if not kind.startswith(("LIST", "MAP")):
            raise Unsupported(f"{kind} result")
        value = self.cel_of(plain)
        self.remember_plain(value, plain)
        return value

    def cel_of(self, value: Any) -> Any:
        """A plain C++ result as cel-python's value, its maps in cel-python's key order."""
        kind = type(value)
        if kind is dict:
            keys = tuple(value)
            if len(keys) > 1:
                order = self.key_order(keys)
                if order is None:
                    raise Unsupported("map key order")
                keys = order
            string = self.bridge.string_type
            return self.bridge.map_type(
                {string(k) if type(k) is str else self.bridge.to_cel(k): self.cel_of(value[k]) for k in keys}
            )
        if kind is list:
            return self.bridge.list_type([self.cel_of(v) for v in value])
        if kind is str:
            return self.bridge.string_type(value)
        if kind is int:
            return self.bridge.int_type(value)
        if kind not in _PLAIN_SCALARS:
            raise Unsupported("result value")
        return self.bridge.to_cel(value)

    def key_order(self, keys: tuple[Any, ...]) -> tuple[str, ...] | None:
        """cel-python's order of these keys: the one the fact documents and the expressions' map literals use,
        when there is exactly one. Snapshots (lists and memos are replaced, never changed) keep it exact
        when threads evaluate different documents."""
        memo, documents = self._order_memo, self._documents
        if keys in memo:
            return memo[keys]
        key_set = frozenset(keys)
        found = {_key_orders(plain).get(key_set, ()) for _, plain, _key_orders in documents}
        found = (found | {self._literal_orders.get(key_set, ())}) - {()}
        memo[keys] = order = found.pop() if len(found) == 1 else None
        return order


_PLAIN_SCALARS = frozenset({type(None), bool, int, float, str, dt.datetime, dt.timedelta})
