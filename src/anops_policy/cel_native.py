"""The optional fast CEL backend: Google's C++ runtime (``cel-expr-python``), the only module that imports it.

``cel.py`` stays the engine: it parses every expression with cel-python and asks this module first. An
answer from here is used only when it is cel-python's answer; in every other case the caller re-evaluates with
cel-python (``FALLBACK``), so a fallback never changes an outcome, and an error's message is cel-python's.
How the two runtimes' differences are closed:

- Mixed-type relations, ``in``, index keys, ``filter``/``map`` over maps (hash order) or over long lists
  (quadratic in C++ 0.1.3): guarded in the C++ source printed from cel-python's tree (``cel_rewrite.py``).
- The 10,000-iteration comprehension budget and the nesting limit of 32: a runtime or compile failure hands
  that expression to cel-python for the rest of the process.
- Custom functions (glob, lowerAscii, …) are cel.py's own implementations, so results and errors agree.
- Result maps come back in hash order: they are re-ordered to the one key order the fact document or the
  expressions' map literals use for that key set, else left to cel-python. uint, bytes and type results,
  and timestamps anywhere but ``now``, are left to cel-python too.
- C++ converts a variable's whole value when it is first read from an activation: the fact document stays
  in one activation per run; per-evaluation names come in through ``cel.bind`` and ``anops_input()``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cel_expr_python import cel as native
from cel_expr_python.ext import ext_bindings

from anops_policy.cel_rewrite import MAX_VALUE_LENGTH, Rewriter, Unsupported

LOG = logging.getLogger("anops_policy.cel")

FALLBACK: Any = object()
"""Returned when cel-python must evaluate the expression."""

MAX_PLAIN_CACHE = 4096
MAX_PROGRAMS = 4096
_RUN_NAMES = frozenset({"facts", "now"})  # the same for a whole run: held in one C++ activation
_IDENT = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9]*$")
_T = native.Type


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


@dataclass
class Stats:
    native: int = 0
    python: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


# ---- functions ----------------------------------------------------------------------------------------------

_SIGNATURES: dict[str, list[tuple[list[Any], Any]]] = {
    "glob": [([_T.STRING, _T.STRING], _T.BOOL)],
    "lowerAscii": [([_T.STRING], _T.STRING)],
    "split": [([_T.STRING, _T.STRING], _T.List(_T.STRING))],
    "join": [([_T.LIST], _T.STRING), ([_T.LIST, _T.STRING], _T.STRING)],
    "replace": [([_T.STRING, _T.STRING, _T.STRING], _T.STRING)],
    "trim": [([_T.STRING], _T.STRING)],
    "days_between": [([a, b], _T.INT) for a in (_T.TIMESTAMP, _T.STRING) for b in (_T.TIMESTAMP, _T.STRING)],
}


def _mixed() -> bool:
    raise TypeError("operands of different types: left to cel-python")


def _declarations(bridge: Bridge, plain: Callable[[Any], Any]) -> list[Any]:
    """cel.py's functions, callable as ``f(a, b)`` and ``a.f(b)`` as in cel-python; results made plain."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *args: plain(fn(*args))

    decls = [native.FunctionDecl("anops_mixed", [native.Overload("anops_mixed", _T.BOOL, [], impl=_mixed)])]
    for name, signatures in _SIGNATURES.items():
        if name not in bridge.functions:
            continue
        impl = wrap(bridge.functions[name])
        overloads = []
        for params, result in signatures:
            tag = "_".join(p.name().lower().replace("<", "_").replace(">", "") for p in params)
            overloads.append(native.Overload(f"anops_{name}_{tag}", result, params, impl=impl))
            overloads.append(native.Overload(f"anops_{name}_{tag}_m", result, params, is_member=True, impl=impl))
        decls.append(native.FunctionDecl(name, overloads))
    return decls


# ---- the backend ------------------------------------------------------------------------------------------------


_Compiled = tuple[str, frozenset[str], dict[tuple[str, ...], Any]]  # rewritten source, identifiers, programs


class NativeBackend:
    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self.stats = Stats()
        self._local = threading.local()
        self._lock = threading.Lock()
        self._plain: dict[int, tuple[Any, Any]] = {}
        self._documents: list[tuple[Any, Any, _LazyOrders]] = []  # (cel-python value, plain, key orders)
        self._literal_orders: dict[frozenset[str], tuple[str, ...] | None] = {}  # of map literals in expressions
        self._order_memo: dict[tuple[Any, ...], tuple[str, ...] | None] = {}

    def _document(self, value: Any) -> Any:
        """The plain form of ``facts``: converted once (a lazily converted fact map costs a few
        keys; its raw JSON parts pass through) and kept, with its key orders, while it is in use."""
        for held, plain, _ in self._documents:
            if held is value:
                return plain
        plain = self._plain_of(value)
        self._documents = [*self._documents[-7:], (value, plain, _LazyOrders())]
        self._order_memo = {}
        return plain

    def remember_plain(self, value: Any, plain: Any) -> None:
        """``value`` (a cel-python value) was converted from ``plain``: reuse it instead of converting back."""
        if not isinstance(plain, (dict, list)):
            return
        with self._lock:
            if len(self._plain) >= MAX_PLAIN_CACHE:
                self._plain.pop(next(iter(self._plain)))
            self._plain[id(value)] = (value, plain)

    FALLBACK = FALLBACK

    def evaluate(self, tree: Any, activation: Mapping[str, Any]) -> Any:
        """The value of ``tree`` (cel-python's syntax tree) as a cel-python value, or ``FALLBACK``.

        C++ converts a variable's whole value when it is first read from an activation, so the fact document
        lives in one activation per run (converted once) and the per-evaluation names (params, subject, vars,
        a comprehension's variable for explanations) are bound by ``cel.bind`` from ``anops_input()``."""
        entry = self._compiled(tree)
        if entry is None:
            return self._fallback("cannot run")
        text, idents, programs = entry
        names = tuple(sorted(n for n in activation if n not in _RUN_NAMES and n in idents))
        try:
            program = programs.get(names) or self._wrap(tree, text, names, programs)
            fixed = self._activation(activation.get("facts"), activation.get("now"))
            self._local.inputs = {n: self._convert(n, activation[n]) for n in names}
        except Unsupported as exc:
            return self._fallback(str(exc) or "input value")
        try:
            result = program.eval(fixed)
        except RuntimeError as exc:  # iteration budget, recursion limit, unconvertible input
            self._local.programs[id(tree)] = (tree, None)
            LOG.debug("cel: native runtime cannot run %s (%s); cel-python from now on", tree.data, exc)
            return self._fallback("runtime")
        try:
            value = self._to_cel(result)
        except Unsupported as exc:
            return self._fallback(str(exc) or "result value")
        self.stats.native += 1
        return value

    def _fallback(self, reason: str) -> Any:
        """Counted in ``stats`` (``cel.backend_stats()``) and logged: which runtime decided, and why."""
        self.stats.python += 1
        self.stats.reasons[reason] += 1
        LOG.debug("cel: cel-python evaluates this expression (%s)", reason)
        return FALLBACK

    def _input(self, name: str) -> Any:
        return self._local.inputs[name]

    def _env(self) -> Any:
        env = getattr(self._local, "env", None)
        if env is None:
            source = native.FunctionDecl(
                "anops_input", [native.Overload("anops_input", _T.DYN, [_T.STRING], impl=self._input)]
            )
            env = native.NewEnv(
                variables={"facts": _T.DYN, "now": _T.TIMESTAMP},
                extensions=[ext_bindings.ExtBindings()],
                functions=[*_declarations(self.bridge, self._plain_of), source],
            )
            self._local.env = env
            self._local.programs = {}
            self._local.activations = []
        return env

    def _activation(self, facts: Any, now: Any) -> Any:
        """One C++ activation per fact document and time, reused while they are (C++ keeps what it converted)."""
        env = self._env()
        held: list[tuple[Any, Any, Any]] = self._local.activations
        for held_facts, held_now, activation in held:
            if held_facts is facts and (held_now is now or (None not in (held_now, now) and held_now == now)):
                return activation
        data = {}
        if facts is not None:
            data["facts"] = self._document(facts)
        if now is not None:
            data["now"] = _timestamp(now)
        activation = env.Activation(data)
        self._local.activations = [*held[-3:], (facts, now, activation)]
        return activation

    def _compiled(self, tree: Any) -> _Compiled | None:
        """The rewritten source of ``tree`` (a rule, or a clause an explanation evaluates), the identifiers it
        reads and its programs; None when it cannot run in C++. Cached per tree object, as cel.py does."""
        self._env()
        programs: dict[int, tuple[Any, _Compiled | None]] = self._local.programs
        hit = programs.get(id(tree))
        if hit is not None and hit[0] is tree:
            return hit[1]
        rewriter = Rewriter(self.bridge.max_value_length)
        entry: _Compiled | None
        try:
            entry = (rewriter.text(tree), frozenset(rewriter.idents), {})
        except Unsupported as exc:
            LOG.debug("cel: native runtime cannot express %s (%s)", tree.data, exc)
            entry = None
        for keys in rewriter.map_orders:
            seen = self._literal_orders.setdefault(frozenset(keys), keys)
            if seen is not None and seen != keys:
                self._literal_orders[frozenset(keys)] = None
            self._order_memo = {}
        if len(programs) >= MAX_PROGRAMS:
            programs.pop(next(iter(programs)))
        programs[id(tree)] = (tree, entry)
        return entry

    def _wrap(self, tree: Any, text: str, names: tuple[str, ...], programs: dict[tuple[str, ...], Any]) -> Any:
        for name in names:
            if not _IDENT.match(name):
                raise Unsupported("input name")
            text = f"cel.bind({name}, anops_input('{name}'), {text})"
        try:
            program = self._env().compile(text, disable_check=True)
        except (RuntimeError, ValueError) as exc:  # nesting limit 32, syntax C++ reads differently
            LOG.debug("cel: native runtime cannot compile %s (%s)", tree.data, exc)
            self._local.programs[id(tree)] = (tree, None)
            raise Unsupported("compile") from None
        programs[names] = program
        return program

    # values
    def _convert(self, name: str, value: Any) -> Any:
        return self._to_plain(value)

    def _to_plain(self, value: Any) -> Any:
        hit = self._plain.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        return self._plain_of(value)

    def _plain_of(self, value: Any) -> Any:
        bridge = self.bridge
        if value is None or type(value) in (bool, int, float, str, dict, list):
            return value  # exactly a builtin: raw JSON (a lazily converted map keeps its parts raw until read)
        if isinstance(value, bridge.bool_type):
            return bool(value)
        if isinstance(value, bridge.uint_type):
            raise Unsupported()  # plain Python cannot say uint to C++
        for base in (str, float, int):  # cel-python's scalars subclass these; C++ accepts only the builtins
            if isinstance(value, base):
                return base(value)
        if isinstance(value, dict):  # dict.items: a lazily converted map's raw parts stay raw
            return {self._to_plain(k): self._to_plain(v) for k, v in dict.items(value)}
        if isinstance(value, (list, tuple)):
            return [self._to_plain(v) for v in value]
        raise Unsupported()  # timestamps and durations pass only as `now` (C++ refuses them inside data)

    def _to_cel(self, result: Any) -> Any:
        kind = result.type().name()
        if kind == "ERROR":
            raise Unsupported("error value")
        plain = result.plain_value()
        if kind in ("BOOL", "INT", "DOUBLE", "STRING", "NULL", "TIMESTAMP", "DURATION"):
            return self.bridge.to_cel(plain)
        if not kind.startswith(("LIST", "MAP")):
            raise Unsupported(f"{kind} result")
        value = self._cel_of(plain)
        self.remember_plain(value, plain)
        return value

    def _cel_of(self, value: Any) -> Any:
        """A plain C++ result as cel-python's value, its maps in cel-python's key order."""
        kind = type(value)
        if kind is dict:
            keys = tuple(value)
            if len(keys) > 1:
                order = self._key_order(keys)
                if order is None:
                    raise Unsupported("map key order")
                keys = order
            string = self.bridge.string_type
            return self.bridge.map_type(
                {string(k) if type(k) is str else self.bridge.to_cel(k): self._cel_of(value[k]) for k in keys}
            )
        if kind is list:
            return self.bridge.list_type([self._cel_of(v) for v in value])
        if kind is str:
            return self.bridge.string_type(value)
        if kind is int:
            return self.bridge.int_type(value)
        if kind not in _PLAIN_SCALARS:
            raise Unsupported("result value")
        return self.bridge.to_cel(value)

    def _key_order(self, keys: tuple[Any, ...]) -> tuple[str, ...] | None:
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


def _walk_orders(document: Any) -> dict[frozenset[str], tuple[str, ...] | None]:
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


class _LazyOrders:
    """A document's key orders, walked on first use (most runs never return a map)."""

    def __init__(self) -> None:
        self.orders: dict[frozenset[str], tuple[str, ...] | None] | None = None

    def __call__(self, document: Any) -> dict[frozenset[str], tuple[str, ...] | None]:
        if self.orders is None:
            self.orders = _walk_orders(document)
        return self.orders


_PLAIN_SCALARS = frozenset({type(None), bool, int, float, str, dt.datetime, dt.timedelta})


def _timestamp(value: Any) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise Unsupported()
    return dt.datetime(
        value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond, value.tzinfo
    )
