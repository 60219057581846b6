"""The optional fast CEL backend: Google's C++ runtime (``cel-expr-python``), the only module that imports it.

``cel.py`` stays the engine: it parses every expression with cel-python and asks this module first. An
answer from here is used only when it is cel-python's answer; in every other case the caller re-evaluates with
cel-python (``FALLBACK``), so a fallback never changes an outcome, and an error's message is cel-python's.
How the two runtimes' differences are closed:

- Mixed-type relations, ``in``, index keys, ``filter``/``map`` over maps (hash order) or over long lists
  (quadratic in C++ 0.1.3): guarded in the C++ source printed from cel-python's tree (``cel/rewrite.py``).
- The 10,000-iteration comprehension budget and the nesting limit of 32: a runtime or compile failure hands
  that expression to cel-python for the rest of the process.
- ``cel.bind`` is not used (the ``bindings`` extension is not loaded; cel-python has no such macro either):
  cel-expr-python 0.1.3 can read a bound variable from a slot that an ``all``/``exists`` which stopped early left
  set, so the answer depended on where it stopped — over a map, on a hash order that changes per process.
- Custom functions (glob, lowerAscii, …) are cel.py's own implementations, so results and errors agree.
- Result maps come back in hash order: they are re-ordered to the one key order the fact document or the
  expressions' map literals use for that key set, else left to cel-python. uint, bytes and type results,
  and timestamps anywhere but ``now``, are left to cel-python too.
- C++ converts a variable's whole value when it is first read from an activation, so the fact document is
  never handed over whole: each fact path an expression reads whole is a variable of its own (a *slot*, see
  ``cel/rewrite.py``); keyed look-ups into big maps (``by_path[subject]``, ``k in by_path``), ``has()`` and
  ``size()`` of fact paths are answered in Python from the document's JSON without copying it. Every
  evaluation has its own activation (see ``_data``), its names (params, subject, vars) among its variables.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import logging
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cel_expr_python import cel as native

from anops_policy.cel.native_auto import Timing, pays
from anops_policy.cel.native_facts import MISSING, at, entry, has_field, has_key, size
from anops_policy.cel.native_values import Bridge, Values
from anops_policy.cel.rewrite import FactPath, Rewriter, Unsupported

LOG = logging.getLogger("anops_policy.cel.evaluator")

FALLBACK: Any = object()
"""Returned when cel-python must evaluate the expression."""

MAX_PROGRAMS = 4096
_RUN_NAMES = frozenset({"facts", "now"})  # given to C++ by _data (facts as the slots an expression reads)
_IDENT = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9]*$")
_T = native.Type


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


def _declarations(bridge: Bridge, plain: Callable[[Any], Any], keep: Callable[[Any], Any]) -> list[Any]:
    """cel.py's functions, callable as ``f(a, b)`` and ``a.f(b)`` as in cel-python; results made plain (and
    kept, see ``_LEAKED_REFERENCES``)."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *args: keep(plain(fn(*args)))

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


# rewritten source, identifiers, programs (by input names), fact paths read whole
_Compiled = tuple[str, frozenset[str], dict[tuple[str, ...], Any], frozenset[FactPath]]


class NativeBackend:
    def __init__(self, bridge: Bridge, auto: bool = False) -> None:
        self.bridge = bridge
        self.auto = auto  # C++ only for the expressions where it pays (see _pays)
        self.stats = Stats()
        self._local = threading.local()
        self._lock = threading.Lock()
        self.values = Values(bridge)
        self._slot_names: dict[FactPath, str] = {}  # C++ variable of each fact path read whole

    def _slot_name(self, path: FactPath) -> str:
        with self._lock:
            return self._slot_names.setdefault(path, f"anops__f{len(self._slot_names) + 1}")

    FALLBACK = FALLBACK

    def evaluate(self, tree: Any, activation: Mapping[str, Any]) -> Any:
        """The value of ``tree`` (cel-python's syntax tree) as a cel-python value, or ``FALLBACK``.

        The fact paths an expression reads whole and the per-evaluation names (params, subject, vars, a
        comprehension's variable for explanations) are the variables of one activation for this evaluation
        (see ``_data``). With ``auto``, an expression goes to C++ only where that pays (``_pays``)."""
        if not self.auto:
            return self._evaluate(tree, activation)
        record = self._record(tree)
        if not pays(record, getattr(self._local, "env", None) is not None):
            return self._fallback("auto: faster in cel-python")
        started = time.perf_counter()
        value = self._evaluate(tree, activation)
        if value is not FALLBACK:  # the first C++ evaluation includes compiling: C++ has to earn that back too
            record.state = "compiled"
            record.native_s += time.perf_counter() - started
            record.native_n += 1
        return value

    def _evaluate(self, tree: Any, activation: Mapping[str, Any]) -> Any:
        entry = self._compiled(tree)
        if entry is None:
            return self._fallback("cannot run")
        text, idents, programs, slots = entry
        names = tuple(sorted(n for n in activation if n not in _RUN_NAMES and n in idents))
        try:
            program = programs.get(()) or self._wrap(tree, text, names, programs)
            data = self._data(activation.get("facts"), activation.get("now"), slots)
            # variables, not function results: cel-expr-python keeps what a function returns (_LEAKED_REFERENCES)
            data.update((n, self._convert(n, activation[n])) for n in names)
        except Unsupported as exc:
            return self._fallback(str(exc) or "input value")
        try:
            result = program.eval(data=data)  # an activation (and its arena) for this evaluation only
        except RuntimeError as exc:  # iteration budget, recursion limit, unconvertible input
            self._local.programs[id(tree)] = (tree, None)
            LOG.debug("cel: native runtime cannot run %s (%s); cel-python from now on", tree.data, exc)
            return self._fallback("runtime")
        finally:
            self._release()
        try:
            value = self.values.to_cel(result)
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

    def _record(self, tree: Any) -> Timing:
        self._thread()
        records: dict[int, Timing] = self._local.rent
        record = records.get(id(tree))
        if record is None or record.tree is not tree:
            if len(records) >= MAX_PROGRAMS:
                records.clear()
            record = records[id(tree)] = Timing(tree)
        return record

    def spent(self, tree: Any, seconds: float) -> None:
        """cel-python took ``seconds`` to evaluate ``tree`` (called by cel.py after a fallback)."""
        if self.auto:
            record = self._record(tree)
            record.python_s += seconds
            record.python_n += 1

    def _keep(self, value: Any) -> Any:
        """``value`` is being returned to C++ by a function of ours: remembered until the evaluation ends."""
        self._local.returned.append(value)
        return value

    def _kept(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *args: self._keep(fn(*args))

    def _release(self) -> None:
        """Give back the reference cel-expr-python keeps to each value our functions returned (it converts the
        value at once and never uses the object again, see ``_LEAKED_REFERENCES``)."""
        returned: list[Any] = self._local.returned
        self._local.returned = []
        if _LEAKED_REFERENCES == 1:
            for value in returned:
                _decref(value)

    # look-ups into the fact document, answered from its JSON (cel/native_facts.py); raising is a CEL error
    def _container(self, path: str) -> Any:
        found: dict[str, Any] = self._local.containers
        value = found.get(path, MISSING)
        if value is MISSING:
            value = found[path] = at(self._local.facts, tuple(path.split(".")) if path else ())
        if value is MISSING:
            raise KeyError(f"no such key: {path}")
        return value

    def _kind(self, value: Any) -> str:
        """The CEL type of a key or element, as far as the look-ups need it (cel-python's bool and uint are
        ints in Python)."""
        if isinstance(value, str):
            return "string"
        if isinstance(value, (bool, self.bridge.bool_type, self.bridge.uint_type)) or not isinstance(value, int):
            return "other"
        return "int"

    def _thread(self) -> None:
        """This thread's state, made on first use (no C++ environment yet: auto may never need one)."""
        if not hasattr(self._local, "programs"):
            self._local.env = None
            self._local.programs = {}
            self._local.document = None
            self._local.rent = {}
            self._local.returned = []
            self._local.facts = None
            self._local.containers = {}

    def _env(self) -> Any:
        self._thread()
        env = self._local.env
        if env is None:
            env = native.NewEnv(
                variables={"facts": _T.DYN, "now": _T.TIMESTAMP},
                functions=[
                    *_declarations(self.bridge, self.values.plain_of, self._keep),
                    *self._lookups(),
                    _PROBE,
                ],
            )
            _measure_leak(env)
            self._local.env = env
        return env

    def _lookups(self) -> list[Any]:
        def decl(name: str, result: Any, params: list[list[Any]], impl: Callable[..., Any]) -> Any:
            kept = self._kept(impl)
            overloads = [native.Overload(f"{name}_{i}", result, p, impl=kept) for i, p in enumerate(params)]
            return native.FunctionDecl(name, overloads)

        keyed = [[_T.STRING, _T.STRING], [_T.STRING, _T.INT]]
        return [
            decl(
                "anops_entry",
                _T.DYN,
                keyed,
                lambda p, k: entry(self._container(p), k, self._kind, self.values.to_plain),
            ),
            decl("anops_has_key", _T.BOOL, keyed, lambda p, k: has_key(self._container(p), k, self._kind)),
            decl("anops_has_field", _T.BOOL, [[_T.STRING, _T.STRING]], lambda p, f: has_field(self._container(p), f)),
            decl("anops_size", _T.INT, [[_T.STRING]], lambda p: size(self._container(p))),
        ]

    def _data(self, facts: Any, now: Any, slots: frozenset[FactPath]) -> dict[str, Any]:
        """The variables of one evaluation: the fact paths it reads whole, ``now``, and ``facts`` itself (its
        JSON; C++ copies a variable only if the expression reads it).

        Every evaluation gets its own C++ activation. C++ allocates everything an evaluation builds (the
        copies of variables it reads, intermediate lists, results) in the activation's arena and frees
        nothing before the activation goes: one activation kept for a whole document grew by every
        evaluation (tens of MB for a `map` over 1,000 elements in cel-expr-python 0.1.3), and by about
        0.7 MB per evaluation in a long-lived process. Converting the slots an evaluation reads each time
        costs less than that memory: they are small once keyed look-ups are answered from the JSON."""
        if self._local.facts is not facts:
            self._local.facts = facts
            self._local.containers = {}
            self._local.document = None if facts is None else self.values.document(facts)
        data: dict[str, Any] = {}
        if facts is not None:
            data["facts"] = self._local.document
            found: dict[str, Any] = self._local.containers
            for path in slots:
                key = ".".join(path)
                value = found.get(key, MISSING)
                if value is MISSING:
                    value = found[key] = at(facts, path)
                if value is not MISSING:  # an unbound name is a CEL error, as the missing key is
                    data[self._slot_names[path]] = self.values.to_plain(value)
        if now is not None:
            data["now"] = _timestamp(now)
        return data

    def _compiled(self, tree: Any) -> _Compiled | None:
        """The rewritten source of ``tree`` (a rule, or a clause an explanation evaluates), the identifiers it
        reads and its programs; None when it cannot run in C++. Cached per tree object, as cel.py does."""
        self._env()
        programs: dict[int, tuple[Any, _Compiled | None]] = self._local.programs
        hit = programs.get(id(tree))
        if hit is not None and hit[0] is tree:
            return hit[1]
        rewriter = Rewriter(self.bridge.max_value_length, self._slot_name)
        entry: _Compiled | None
        try:
            text = rewriter.print_expression(tree)
            # `facts` itself is in every activation (C++ copies it only if it is read whole)
            entry = (text, frozenset(rewriter.idents), {}, frozenset(rewriter.slots - {()}))
        except Unsupported as exc:
            LOG.debug("cel: native runtime cannot express %s (%s)", tree.data, exc)
            entry = None
        self.values.note_literal_orders(rewriter.map_orders)
        if len(programs) >= MAX_PROGRAMS:
            programs.pop(next(iter(programs)))
        programs[id(tree)] = (tree, entry)
        return entry

    def _wrap(self, tree: Any, text: str, names: tuple[str, ...], programs: dict[tuple[str, ...], Any]) -> Any:
        if not all(_IDENT.match(name) for name in names):
            raise Unsupported("input name")
        try:
            program = self._env().compile(text, disable_check=True)
        except (RuntimeError, ValueError) as exc:  # nesting limit 32, syntax C++ reads differently
            LOG.debug("cel: native runtime cannot compile %s (%s)", tree.data, exc)
            self._local.programs[id(tree)] = (tree, None)
            raise Unsupported("compile") from None
        programs[()] = program  # the same for any names: they are variables
        return program

    def _convert(self, name: str, value: Any) -> Any:
        return self.values.to_plain(value)


# cel-expr-python 0.1.3 keeps one reference to every object a Python function implementation returns and
# never releases it (it converts the value at once and does not use the object again): each value our
# functions returned (inputs, look-ups into the fact document, glob/join results) stayed alive for the life of
# the process, fact document parts with them — most of the ~0.6 MB a long-lived process grew per pack
# evaluation. Measured once per process with a probe; only when the library keeps exactly one reference per
# call (a fixed release keeps none) is it given back after each evaluation. (It also keeps the tuple of
# arguments it builds for each call, with the arguments: that cannot be given back from here — the tuple is
# not reachable — and is the remainder measured in benchmarks/cel_backends/growth.py.)
_LEAKED_REFERENCES: int | None = None
_PROBE_VALUE: list[Any] = []
_PROBE = native.FunctionDecl("anops_probe", [native.Overload("anops_probe", _T.DYN, [], impl=lambda: _PROBE_VALUE)])


def _measure_leak(env: Any) -> None:
    global _LEAKED_REFERENCES  # noqa: PLW0603 - a property of the installed library, measured once
    if _LEAKED_REFERENCES is None:
        before = sys.getrefcount(_PROBE_VALUE)
        env.compile("anops_probe()", disable_check=True).eval()
        _LEAKED_REFERENCES = sys.getrefcount(_PROBE_VALUE) - before


def _decref(value: Any) -> None:
    # Not for a value holding None anywhere: the library drops a reference to each None inside a returned
    # list or map that it never took (measured: None's count fell by ~25 per pack evaluation, and the process
    # aborted at exit), so such a container must stay leaked to keep those counts whole. An extra reference
    # to None, True or False costs nothing.
    if value is not None and value is not True and value is not False and not _holds_none(value):
        ctypes.pythonapi.Py_DecRef(ctypes.py_object(value))


def _holds_none(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if item is None:
            return True
        if type(item) is dict:
            stack.extend(item.values())
        elif type(item) is list:
            stack.extend(item)
    return False


def _timestamp(value: Any) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise Unsupported()
    return dt.datetime(
        value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond, value.tzinfo
    )
