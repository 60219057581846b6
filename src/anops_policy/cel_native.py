"""The optional fast CEL backend: Google's C++ runtime (``cel-expr-python``), the only module that imports it.

``cel.py`` stays the engine: it parses every expression with cel-python and asks this module first. An
answer from here is used only when it is certain to be cel-python's answer; in every other case the caller
re-evaluates with cel-python (``FALLBACK``), so a fallback never changes an outcome. The two runtimes differ,
and each difference is closed here:

- Heterogeneous equality and ordering: C++ says ``1 == 1.0``, ``1 < 1.5``, ``'a' == 1`` (false) and
  ``1.0 in [1]``; cel-python errors on mixed types. Every relation is rewritten so that operands of different
  types (outside the null comparisons cel-python answers) raise an error, and ``in`` first checks that every
  element of the container has the item's type. Index keys must be strings or ints.
- ``filter``/``map`` over a map visit its keys in hash order (cel-python: the document's order): left to
  cel-python. Over a list they are quadratic in C++ 0.1.3 (each step copies the list: 8,000 elements take 2–4 s), and a
  C++ evaluation cannot be interrupted by the deadline: lists over ``COLLECTION_LIMIT`` are left to cel-python.
- The hard 10,000-iteration comprehension budget and the nesting limit of 32: a budget or compile failure
  marks the expression as cel-python's for the rest of the process.
- Custom functions (glob, lowerAscii, …) are registered with cel.py's own implementations, so their results
  and errors are cel-python's.
- Result maps come back from C++ in hash order: they are re-ordered to the key order the fact document (or
  the parameters) use for that key set, and left to cel-python when that order is unknown or ambiguous.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cel_expr_python import cel as native
from cel_expr_python.ext import ext_bindings

LOG = logging.getLogger("anops_policy.cel")

FALLBACK: Any = object()
"""Returned when cel-python must evaluate the expression."""

COLLECTION_LIMIT = 2000
MAX_PLAIN_CACHE = 4096
_T = native.Type

# equality and ordering are rebuilt from type-guarded expressions; C++ cannot override `<` or `in`, and its `==`
# is heterogeneous. `anops_mixed()` raises, so a guard that trips becomes a CEL error and absorbs like one.
_ORDER_OPS = {"relation_lt": "<", "relation_le": "<=", "relation_gt": ">", "relation_ge": ">="}
_EQ_OPS = {"relation_eq": "==", "relation_ne": "!="}
# null comparisons cel-python answers (checked against it): 'a' == null, {} == null, [] == null, null == 'a'
_NULL_OK = {
    "==": "(({b} == null_type && ({a} == string || {a} == map || {a} == list)) || ({a} == null_type && {b} == string))",
    "!=": "({b} == null_type && {a} == string)",
}
_ERROR = "anops_mixed()"


class _Unsupported(Exception):
    """A value or expression this backend leaves to cel-python."""


@dataclass(frozen=True)
class Bridge:
    """What cel.py hands over, so that this module never imports cel-python: its converter from plain
    Python, its bool and uint classes (subclasses of int) and its extra functions."""

    to_cel: Callable[[Any], Any]
    bool_type: type
    uint_type: type
    functions: Mapping[str, Callable[..., Any]]


@dataclass
class Stats:
    native: int = 0
    python: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


# ---- rewriting (cel-python's syntax tree → C++ source with guards) --------------------------------------------


class _Rewriter:
    def __init__(self, source: str) -> None:
        self.source = source
        self.count = 0

    def name(self) -> str:
        self.count += 1
        return f"anops__v{self.count}"

    def text(self, node: Any) -> str:
        data = getattr(node, "data", None)
        if data is None:
            return str(node)
        if data == "relation" and len(node.children) == 2:
            op_node, right = node.children
            op = getattr(op_node, "data", "")
            if op in _ORDER_OPS or op in _EQ_OPS or op == "relation_in":
                return self.relation(op, self.text(op_node.children[0]), self.text(right))
        if data == "member_index":
            return self.index(self.text(node.children[0]), self.text(node.children[1]))
        if data == "member_dot_arg" and str(node.children[1]) in ("filter", "map") and len(node.children) > 2:
            return self.collection(self.text(node.children[0]), str(node.children[1]), self.text(node.children[2]))
        return self.spliced(node)

    def spliced(self, node: Any) -> str:
        """The node's own text with each child sub-tree replaced by its rewritten text."""
        start, end = node.meta.start_pos, node.meta.end_pos
        out: list[str] = []
        at = start
        for child in node.children:
            meta = getattr(child, "meta", None)
            if meta is None or getattr(meta, "empty", True):
                continue
            out.append(self.source[at : meta.start_pos])
            out.append(self.text(child))
            at = meta.end_pos
        out.append(self.source[at:end])
        return "".join(out)

    def bind(self, value: str, body: Callable[[str], str]) -> str:
        var = self.name()
        return f"cel.bind({var}, {value}, {body(var)})"

    def relation(self, op: str, left: str, right: str) -> str:
        def guarded(a: str, b: str) -> str:
            if op == "relation_in":
                e = self.name()
                ok = f"(type({b}) == list || type({b}) == map) && {b}.all({e}, type({e}) == type({a}))"
                return f"({ok} ? {a} in {b} : {_ERROR})"
            symbol = _ORDER_OPS.get(op) or _EQ_OPS[op]
            same = f"type({a}) == type({b})"
            if op in _EQ_OPS:
                same = f"({same} && type({a}) != list && type({a}) != map) || " + _NULL_OK[symbol].format(
                    a=f"type({a})", b=f"type({b})"
                )
            return f"({same} ? {a} {symbol} {b} : {_ERROR})"

        return self.bind(left, lambda a: self.bind(right, lambda b: guarded(a, b)))

    def index(self, container: str, key: str) -> str:
        return self.bind(key, lambda k: f"(type({k}) == string || type({k}) == int ? ({container})[{k}] : {_ERROR})")

    def collection(self, target: str, macro: str, args: str) -> str:
        return self.bind(
            target, lambda v: f"(type({v}) == list && size({v}) <= {COLLECTION_LIMIT} ? {v}.{macro}({args}) : {_ERROR})"
        )


def rewrite(tree: Any, source: str) -> str:
    """C++ CEL source equivalent to cel-python's reading of ``tree`` (parsed from ``source``)."""
    return _Rewriter(source).text(tree)


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


class NativeBackend:
    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self.stats = Stats()
        self._local = threading.local()
        self._lock = threading.Lock()
        self._plain: dict[int, tuple[Any, Any]] = {}
        self._documents: list[tuple[Any, Any]] = []  # (cel-python value, plain) of facts and params
        self._orders: dict[frozenset[str], tuple[str, ...] | None] | None = None  # key order per key set
        self._python_only: set[str] = set()

    def _document(self, value: Any) -> Any:
        """The plain form of ``facts`` or ``params``: converted once (a lazily converted fact map costs a few
        keys; its raw JSON parts pass through) and kept, with its key orders, while it is in use."""
        for held, plain in self._documents:
            if held is value:
                return plain
        plain = self._plain_of(value)
        self._documents = [*self._documents[-7:], (value, plain)]
        self._orders = None
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

    def evaluate(self, tree: Any, source: str | None, activation: Mapping[str, Any]) -> Any:
        """The value of ``tree`` (cel-python's parse of ``source``) as a cel-python value, or ``FALLBACK``."""
        if source is None:
            return self._fallback("sub-expression")  # explanations evaluate clauses of a rule
        if source in self._python_only:
            return self._fallback("marked")
        program = self._program(tree, source)
        if program is None:
            return self._fallback("compile")
        try:
            data = {name: self._convert(name, value) for name, value in activation.items()}
        except _Unsupported:
            return self._fallback("input value")
        try:
            result = program.eval(self._env().Activation(data))
        except RuntimeError as exc:  # iteration budget, recursion limit, unconvertible input
            self._python_only.add(source)
            LOG.debug("cel: native runtime cannot run %r (%s); cel-python from now on", source, exc)
            return self._fallback("runtime")
        try:
            value = self._to_cel(result)
        except _Unsupported as exc:
            return self._fallback(str(exc) or "result value")
        self.stats.native += 1
        return value

    def _fallback(self, reason: str) -> Any:
        self.stats.python += 1
        self.stats.reasons[reason] += 1
        return FALLBACK

    def _env(self) -> Any:
        env = getattr(self._local, "env", None)
        if env is None:
            env = native.NewEnv(
                variables={"facts": _T.DYN, "params": _T.DYN, "now": _T.TIMESTAMP, "vars": _T.DYN, "subject": _T.DYN},
                extensions=[ext_bindings.ExtBindings()],
                functions=_declarations(self.bridge, self._plain_of),
            )
            self._local.env = env
            self._local.programs = {}
        return env

    def _program(self, tree: Any, source: str) -> Any:
        env = self._env()
        programs: dict[str, Any] = self._local.programs
        if source not in programs:
            try:
                programs[source] = env.compile(rewrite(tree, source), disable_check=True)
            except (RuntimeError, ValueError) as exc:  # nesting limit 32, syntax C++ reads differently
                LOG.debug("cel: native runtime cannot compile %r (%s)", source, exc)
                programs[source] = None
        return programs[source]

    # values
    def _convert(self, name: str, value: Any) -> Any:
        if name == "now":
            return _timestamp(value)
        if name in ("facts", "params"):
            return self._document(value)
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
            raise _Unsupported()  # plain Python cannot say uint to C++
        for base in (str, float, int):  # cel-python's scalars subclass these; C++ accepts only the builtins
            if isinstance(value, base):
                return base(value)
        if isinstance(value, dict):  # dict.items: a lazily converted map's raw parts stay raw
            return {self._to_plain(k): self._to_plain(v) for k, v in dict.items(value)}
        if isinstance(value, (list, tuple)):
            return [self._to_plain(v) for v in value]
        raise _Unsupported()  # timestamps and durations pass only as `now` (C++ refuses them inside data)

    def _to_cel(self, result: Any) -> Any:
        kind = result.type().name()
        if kind == "ERROR":
            raise _Unsupported("error value")
        plain = result.plain_value()
        if kind in ("BOOL", "INT", "DOUBLE", "STRING", "NULL", "TIMESTAMP", "DURATION"):
            return self.bridge.to_cel(plain)
        if not kind.startswith(("LIST", "MAP")):
            raise _Unsupported(f"{kind} result")
        plain = self._ordered(plain)
        value = self.bridge.to_cel(plain)
        self.remember_plain(value, plain)
        return value

    def _ordered(self, value: Any) -> Any:
        if isinstance(value, dict):
            keys = tuple(value)
            if len(keys) > 1:
                order = self._key_orders().get(frozenset(keys)) if all(isinstance(k, str) for k in keys) else None
                if order is None:
                    raise _Unsupported("map key order")
                keys = order
            return {k: self._ordered(value[k]) for k in keys}
        if isinstance(value, list):
            return [self._ordered(v) for v in value]
        if isinstance(value, (bytes, native.Type)) or type(value) not in _PLAIN_SCALARS:
            raise _Unsupported("result value")
        return value

    def _key_orders(self) -> dict[frozenset[str], tuple[str, ...] | None]:
        """For each key set of a map in the remembered documents, its key order (None: two orders seen)."""
        orders = self._orders
        if orders is None:
            orders = {}
            for mapping in _maps([plain for _, plain in self._documents]):
                keys = tuple(mapping)
                if len(keys) > 1:
                    seen = orders.setdefault(frozenset(keys), keys)
                    if seen is not None and seen != keys:
                        orders[frozenset(keys)] = None
            self._orders = orders
        return orders


_PLAIN_SCALARS = frozenset({type(None), bool, int, float, str, dt.datetime, dt.timedelta})


def _timestamp(value: Any) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise _Unsupported()
    return dt.datetime(
        value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond, value.tzinfo
    )


def _maps(roots: list[Any]) -> Iterator[dict[Any, Any]]:
    stack = list(roots)
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, (dict, list)))
