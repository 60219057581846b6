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
import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cel_expr_python import cel as native
from cel_expr_python.ext import ext_bindings

LOG = logging.getLogger("anops_policy.cel")

FALLBACK: Any = object()
"""Returned when cel-python must evaluate the expression."""

COLLECTION_LIMIT = 2000
MAX_PLAIN_CACHE = 4096
MAX_PROGRAMS = 4096
_RUN_NAMES = frozenset({"facts", "now"})  # the same for a whole run: held in one C++ activation
_IDENT = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9]*$")
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
    string_type: Callable[[str], Any]
    int_type: Callable[[int], Any]  # for values already known to be 64-bit
    list_type: Callable[[list[Any]], Any]
    map_type: Callable[[dict[Any, Any]], Any]
    functions: Mapping[str, Callable[..., Any]]


@dataclass
class Stats:
    native: int = 0
    python: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


# ---- rewriting (cel-python's syntax tree → C++ source with guards) --------------------------------------------


_BINARY = {
    "conditionalor": "||",
    "conditionaland": "&&",
    "addition_add": "+",
    "addition_sub": "-",
    "multiplication_mul": "*",
    "multiplication_div": "/",
    "multiplication_mod": "%",
}


class _Rewriter:
    """Prints cel-python's tree back as CEL (its grammar, ``celpy/cel.lark``), with the guards. Printed from
    the tree, not spliced from the source: cel-python leaves some tokens (``true``, ``null``) without
    positions. The tree already encodes precedence and left association, so no parentheses are added."""

    def __init__(self) -> None:
        self.count = 0
        self.map_orders: list[tuple[str, ...]] = []  # key orders of map literals with constant string keys
        self.idents: set[str] = set()  # identifiers read (variables, comprehension variables)

    def name(self) -> str:
        self.count += 1
        return f"anops__v{self.count}"

    def args(self, node: Any) -> str:
        return "" if node is None else self.text(node)

    def text(self, node: Any) -> str:
        data = getattr(node, "data", None)
        if data is None:
            return str(node)  # a token: literal or identifier, as written
        c = [child for child in node.children if child is not None]
        if data in ("expr", "conditionalor", "conditionaland", "addition", "multiplication") and len(c) == 1:
            return self.text(c[0])
        if data == "expr":
            return f"{self.text(c[0])} ? {self.text(c[1])} : {self.text(c[2])}"
        if data in ("conditionalor", "conditionaland"):
            return f"{self.text(c[0])} {_BINARY[data]} {self.text(c[1])}"
        if data in ("addition", "multiplication"):
            op = c[0]
            return f"{self.text(op.children[0])} {_BINARY[op.data]} {self.text(c[1])}"
        if data == "relation":
            if len(c) == 1:
                return self.text(c[0])
            return self.relation(c[0].data, c[0].children[0], c[1])
        if data == "unary":
            if len(c) == 1:
                return self.text(c[0])
            operand = self.text(c[1])
            return ("!" if c[0].data == "unary_not" else "- ") + operand
        if data in ("member", "primary", "literal"):
            return self.text(c[0])
        if data == "member_dot":
            return f"{self.text(c[0])}.{c[1]}"
        if data == "member_dot_arg":
            method = str(c[1])
            args = self.args(c[2] if len(c) > 2 else None)
            if method in ("filter", "map"):
                return self.collection(self.text(c[0]), method, args)
            return f"{self.text(c[0])}.{method}({args})"
        if data == "member_index":
            return self.index(self.text(c[0]), self.text(c[1]))
        if data == "dot_ident_arg":
            return f".{c[0]}({self.args(c[1] if len(c) > 1 else None)})"
        if data == "dot_ident":
            return f".{c[0]}"
        if data == "ident_arg":
            return f"{c[0]}({self.args(c[1] if len(c) > 1 else None)})"
        if data == "ident":
            self.idents.add(str(c[0]))
            return str(c[0])
        if data == "paren_expr":
            return f"({self.text(c[0])})"
        if data == "list_lit":
            return f"[{self.args(c[0] if c else None)}]"
        if data == "map_lit":
            return f"{{{self.args(c[0] if c else None)}}}"
        if data == "exprlist":
            return ", ".join(self.text(x) for x in c)
        if data == "mapinits":
            keys = [_string_constant(k) for k in c[::2]]
            if len(keys) > 1 and all(keys):
                self.map_orders.append(tuple(k for k in keys if k))
            return ", ".join(f"{self.text(k)}: {self.text(v)}" for k, v in zip(c[::2], c[1::2], strict=True))
        raise _Unsupported(f"CEL syntax {data}")  # message construction (member_object, fieldinits)

    def bind(self, value: str, body: Callable[[str], str]) -> str:
        var = self.name()
        return f"cel.bind({var}, {value}, {body(var)})"

    def relation(self, op: str, left_node: Any, right_node: Any) -> str:
        left, right = self.text(left_node), self.text(right_node)
        left_type, right_type = _static_type(left_node), _static_type(right_node)
        if op != "relation_in" and left_type is not None and left_type == right_type and left_type != "null":
            return f"{left} {_ORDER_OPS.get(op) or _EQ_OPS[op]} {right}"  # same scalar type: the runtimes agree

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

        # a literal operand is cheap to repeat in the guard: bind only computed ones
        def with_right(a: str) -> str:
            return guarded(a, right) if _is_literal(right_node) else self.bind(right, lambda b: guarded(a, b))

        return with_right(left) if _is_literal(left_node) else self.bind(left, with_right)

    def index(self, container: str, key: str) -> str:
        return self.bind(key, lambda k: f"(type({k}) == string || type({k}) == int ? {container}[{k}] : {_ERROR})")

    def collection(self, target: str, macro: str, args: str) -> str:
        return self.bind(
            target,
            lambda v: f"(type({v}) == list && size({v}) <= {COLLECTION_LIMIT} ? {v}.{macro}({args}) : {_ERROR})",
        )


_LITERAL_TYPES = {
    "INT_LIT": "int",
    "UINT_LIT": "uint",
    "FLOAT_LIT": "double",
    "STRING_LIT": "string",
    "MLSTRING_LIT": "string",
    "BYTES_LIT": "bytes",
    "BOOL_LIT": "bool",
    "NULL_LIT": "null",
}
_CALL_TYPES = {"size": "int", "string": "string", "int": "int", "double": "double", "bool": "bool"}


_WRAPPERS = frozenset(
    {"expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication", "unary", "member"}
    | {"primary", "literal", "paren_expr"}
)


def _unwrap(node: Any) -> Any:
    """The first node below ``node`` that is not a single-child wrapper rule (parentheses included)."""
    while getattr(node, "data", None) in _WRAPPERS and len(node.children) == 1:
        node = node.children[0]
    return node


def _is_literal(node: Any) -> bool:
    return getattr(_unwrap(node), "type", None) in _LITERAL_TYPES


def _static_type(node: Any) -> str | None:
    """The CEL type an expression has whenever it has a value: literals, and the standard functions that
    always return one type (``size(x)``, ``x.size()``, ``string(x)``, …); None when it depends on data."""
    node = _unwrap(node)
    kind = getattr(node, "type", None)
    if kind is not None:
        return _LITERAL_TYPES.get(kind)
    data = getattr(node, "data", None)
    children = [c for c in getattr(node, "children", []) if c is not None]
    if data == "ident_arg" and len(children) == 2 and len(children[1].children) == 1:
        return _CALL_TYPES.get(str(children[0]))
    if data == "member_dot_arg" and str(children[1]) == "size" and len(children) == 2:
        return "int"
    return None


_SIMPLE_STRING = re.compile(r"""^(?:'([\w./ -]*)'|"([\w./ -]*)")$""")


def _string_constant(node: Any) -> str | None:
    """The value of an expression that is a plain quoted string literal (no escapes), else None."""
    while getattr(node, "data", None) is not None and len(node.children) == 1:
        node = node.children[0]
    match = _SIMPLE_STRING.match(str(node)) if getattr(node, "type", None) == "STRING_LIT" else None
    return None if match is None else match.group(1) if match.group(1) is not None else match.group(2)


def rewrite(tree: Any) -> str:
    """C++ CEL source equivalent to cel-python's reading of ``tree``. Raises ``_Unsupported``."""
    return _Rewriter().text(tree)


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
        self._documents: list[tuple[Any, Any]] = []  # (cel-python value, plain) of fact documents
        self._orders: dict[frozenset[str], tuple[str, ...] | None] | None = None  # key order per key set
        self._literal_orders: dict[frozenset[str], tuple[str, ...] | None] = {}  # of map literals in expressions
        self._order_memo: dict[tuple[Any, ...], tuple[str, ...] | None] = {}

    def _document(self, value: Any) -> Any:
        """The plain form of ``facts``: converted once (a lazily converted fact map costs a few
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
        except _Unsupported as exc:
            return self._fallback(str(exc) or "input value")
        try:
            result = program.eval(fixed)
        except RuntimeError as exc:  # iteration budget, recursion limit, unconvertible input
            self._local.programs[id(tree)] = (tree, None)
            LOG.debug("cel: native runtime cannot run %s (%s); cel-python from now on", tree.data, exc)
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
        rewriter = _Rewriter()
        entry: _Compiled | None
        try:
            entry = (rewriter.text(tree), frozenset(rewriter.idents), {})
        except _Unsupported as exc:
            LOG.debug("cel: native runtime cannot express %s (%s)", tree.data, exc)
            entry = None
        for keys in rewriter.map_orders:
            seen = self._literal_orders.setdefault(frozenset(keys), keys)
            if seen is not None and seen != keys:
                self._literal_orders[frozenset(keys)] = None
            self._order_memo.clear()
        if len(programs) >= MAX_PROGRAMS:
            programs.pop(next(iter(programs)))
        programs[id(tree)] = (tree, entry)
        return entry

    def _wrap(self, tree: Any, text: str, names: tuple[str, ...], programs: dict[tuple[str, ...], Any]) -> Any:
        for name in names:
            if not _IDENT.match(name):
                raise _Unsupported("input name")
            text = f"cel.bind({name}, anops_input('{name}'), {text})"
        try:
            program = self._env().compile(text, disable_check=True)
        except (RuntimeError, ValueError) as exc:  # nesting limit 32, syntax C++ reads differently
            LOG.debug("cel: native runtime cannot compile %s (%s)", tree.data, exc)
            self._local.programs[id(tree)] = (tree, None)
            raise _Unsupported("compile") from None
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
                    raise _Unsupported("map key order")
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
            raise _Unsupported("result value")
        return self.bridge.to_cel(value)

    def _key_order(self, keys: tuple[Any, ...]) -> tuple[str, ...] | None:
        """cel-python's order of these keys: the one the documents or the expressions' map literals use, when
        there is exactly one."""
        memo = self._order_memo
        if keys in memo:
            return memo[keys]
        key_set = frozenset(keys)
        found = {self._key_orders().get(key_set, ()), self._literal_orders.get(key_set, ())} - {()}
        memo[keys] = order = found.pop() if len(found) == 1 else None
        return order

    def _key_orders(self) -> dict[frozenset[str], tuple[str, ...] | None]:
        """For each key set of a map in the remembered documents, its key order (None: two orders seen)."""
        orders = self._orders
        if orders is None:
            orders = {}
            seen: set[tuple[str, ...]] = set()
            stack: list[Any] = [plain for _, plain in self._documents]
            pop, push = stack.pop, stack.append
            while stack:  # the whole document, once per document: only a full walk proves an order unique
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
            self._orders = orders
            self._order_memo.clear()
        return orders


_PLAIN_SCALARS = frozenset({type(None), bool, int, float, str, dt.datetime, dt.timedelta})


def _timestamp(value: Any) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise _Unsupported()
    return dt.datetime(
        value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond, value.tzinfo
    )
