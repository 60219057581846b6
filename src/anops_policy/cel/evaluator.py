"""The only module that imports ``celpy`` (cel-python). It wraps the engine with the guard rails the
project's measurements showed to be necessary (see ../shared/notes/cel-python.md):

1. Error blow-up: ``logical_and``/``logical_or`` embed the reprs of *both* error operands, so an error on
   every element of ``all()``/``exists()`` doubles the message per element (24 elements: 268 MB). We
   patch both to return the first error when both sides are errors — the CEL result is the same.
2. Recursion: deep trees raise a raw ``RecursionError``; ``check.py`` rejects them at load time and
   ``evaluate`` turns any that slips through into an error outcome.
3. No cost limit: a per-evaluation CPU-time deadline (``signal.setitimer`` in the main thread) interrupts it.
4. ``CompiledRunner`` is faster but wrong on ``has()`` forms and not thread-safe: never used.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import signal
import sys
import threading
import time
from collections import abc as _abc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import celpy
import celpy.adapter
import celpy.celparser
import celpy.celtypes as ct
import celpy.evaluation as ev
import lark

from anops_policy.cel.flatten import flattened
from anops_policy.cel.literals import MAX_ESCAPES_UNCLOSED, runaway_literal

Tree = lark.Tree[Any]
CELValue = Any

# celpy logs evaluation failures with the full argument reprs at ERROR level (through logging's
# last-resort handler that is megabytes on stderr for a big fact list); our outcome carries the error.
logging.getLogger("celpy").setLevel(logging.CRITICAL + 1)
logging.getLogger("celpy").propagate = False
for _name in ("Evaluator", "NameContainer", "Activation", "Environment", "celtypes", "evaluation"):
    logging.getLogger(_name).setLevel(logging.CRITICAL + 1)
    logging.getLogger(_name).propagate = False

_original_and = ct.logical_and
_original_or = ct.logical_or


def _bounded_and(x: CELValue, y: CELValue) -> CELValue:
    if isinstance(x, Exception) and isinstance(y, Exception):
        return x
    return _original_and(x, y)


def _bounded_or(x: CELValue, y: CELValue) -> CELValue:
    if isinstance(x, Exception) and isinstance(y, Exception):
        return x
    return _original_or(x, y)


# The macros look these up as module attributes at call time; the operators through base_functions.
ct.logical_and = _bounded_and
ct.logical_or = _bounded_or
ev.base_functions["_&&_"] = _bounded_and
ev.base_functions["_||_"] = _bounded_or

MAX_MESSAGE = 500
# The longest string, bytes or list one `+` or replace() may build. Doubling a string in 40 variables
# would otherwise allocate gigabytes in one C call, which no deadline can interrupt.
MAX_VALUE_LENGTH = 10_000_000
_original_add = ev.base_functions["_+_"]


def _bounded_add(x: CELValue, y: CELValue) -> CELValue:
    if isinstance(x, str | bytes | list) and isinstance(y, str | bytes | list) and len(x) + len(y) > MAX_VALUE_LENGTH:
        raise ValueError(f"'+' would build a value of {len(x) + len(y)} elements, over the limit of {MAX_VALUE_LENGTH}")
    return _original_add(x, y)


ev.base_functions["_+_"] = _bounded_add


class _AnyAlias:
    """``Union[...]`` for ``cast()``: cast ignores its type, so any object will do."""

    def __getitem__(self, item: Any) -> type:
        return object


# Speed, not semantics: celpy's interpreter evaluates typing subscripts on every variable lookup
# (`cast(Union[Result, NameContainer], value)`, `cast(Sequence[...], ...)`); typing caches them, but
# hashing the large `Result` union per call was ~10-15% of a pack's evaluation at 10,000 TODOs
# (benchmarks/evaluation). The builtin and collections.abc generics answer subscripts and isinstance()
# alike at C speed; the module uses these names in casts and isinstance() only.
_CHEAP_GENERICS: dict[str, Any] = {
    "Dict": dict,
    "List": list,
    "Tuple": tuple,
    "Sequence": _abc.Sequence,
    "Iterable": _abc.Iterable,
    "Union": _AnyAlias(),
}
for _generic, _cheap in _CHEAP_GENERICS.items():
    setattr(ev, _generic, _cheap)


class CelSyntaxError(Exception):
    def __init__(self, message: str, line: int | None, column: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class DeadlineExceeded(BaseException):
    """Raised inside evaluation by the timer. A BaseException so celpy's ``except Exception`` blocks
    (which log the full argument reprs) do not swallow it."""


class CelRuntimeError(Exception):
    """An evaluation that produced a CEL error value or raised."""


# ---- extra functions (cel-python lacks the strings extension) ----------------------------------------


def _text(value: CELValue, fn: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{fn}() expects a string, got {type(value).__name__}")
    return str(value)


def _bracket(pattern: str, start: int) -> tuple[str, int] | None:
    """The regex for the ``[...]`` class opening at ``pattern[start]`` and the index after it, or None
    when the class is not closed (the ``[`` is then literal, as in ``fnmatch``). ``[!...]`` and ``[^...]``
    negate; a ``]`` right after the opening (or the negation) is a member; ``a-z`` is a range. A class
    never matches ``/``: like ``*`` and ``?``, it stays inside one path segment."""
    i = start + 1
    negated = i < len(pattern) and pattern[i] in "!^"
    if negated:
        i += 1
    body_start = i
    if i < len(pattern) and pattern[i] == "]":
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 1
    if i >= len(pattern):
        return None
    body = pattern[body_start:i]
    members: list[str] = []
    k = 0
    while k < len(body):
        if k + 2 < len(body) and body[k + 1] == "-":
            low, high = body[k], body[k + 2]
            if low <= high:  # an empty range (z-a) matches nothing, as in fnmatch
                members.append(f"{re.escape(low)}-{re.escape(high)}")
            k += 3
        else:
            members.append(re.escape(body[k]))
            k += 1
    chars = "".join(members)
    if negated:
        return f"[^/{chars}]", i + 1
    return (f"(?!/)[{chars}]" if chars else "(?!)"), i + 1


@lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    # `[...]` classes first (their contents are literal: `[*]` is a star), then `**` (crosses
    # directories), `*` and `?` (do not); everything else is literal
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "[":
            bracket = _bracket(pattern, i)
            if bracket is not None:
                out.append(bracket[0])
                i = bracket[1]
                continue
            out.append(re.escape(char))
            i += 1
        elif pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(char))
            i += 1
    return re.compile("(?s:" + "".join(out) + r")\Z")


def cel_glob(path: CELValue, pattern: CELValue) -> CELValue:
    """``glob(path, pattern)`` / ``path.glob(pattern)``: shell-style match, ``**`` spans directories."""
    return ct.BoolType(_glob_regex(_text(pattern, "glob")).match(_text(path, "glob")) is not None)


def cel_lower_ascii(value: CELValue) -> CELValue:
    return ct.StringType(_text(value, "lowerAscii").lower())


def cel_split(value: CELValue, sep: CELValue) -> CELValue:
    return ct.ListType([ct.StringType(s) for s in _text(value, "split").split(_text(sep, "split"))])


def cel_join(items: CELValue, sep: CELValue = None) -> CELValue:
    if not isinstance(items, list):
        raise TypeError("join() expects a list of strings")
    separator = "" if sep is None else _text(sep, "join")
    return ct.StringType(separator.join(_text(i, "join") for i in items))


def cel_replace(value: CELValue, old: CELValue, new: CELValue) -> CELValue:
    text, before, after = _text(value, "replace"), _text(old, "replace"), _text(new, "replace")
    if len(after) > len(before) and len(text) + text.count(before) * (len(after) - len(before)) > MAX_VALUE_LENGTH:
        raise ValueError(f"replace() would build a string over the limit of {MAX_VALUE_LENGTH} characters")
    return ct.StringType(text.replace(before, after))


def cel_trim(value: CELValue) -> CELValue:
    return ct.StringType(_text(value, "trim").strip())


def _as_datetime(value: CELValue) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str):
        text = str(value)
        try:
            if len(text) == 10:
                return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"days_between(): '{text}' is not an ISO date or timestamp") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    raise TypeError(f"days_between() expects timestamps or ISO strings, got {type(value).__name__}")


def cel_days_between(start: CELValue, end: CELValue) -> CELValue:
    """Whole days from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    delta = _as_datetime(end) - _as_datetime(start)
    return ct.IntType(int(delta.total_seconds() // 86400))


EXTRA_FUNCTIONS: dict[str, Callable[..., CELValue]] = {
    "glob": cel_glob,
    "lowerAscii": cel_lower_ascii,
    "split": cel_split,
    "join": cel_join,
    "replace": cel_replace,
    "trim": cel_trim,
    "days_between": cel_days_between,
}

FUNCTION_DOCS: dict[str, str] = {
    "glob": "glob(path, pattern) or path.glob(pattern): shell-style match; `*` stays in a directory, `**` spans them",
    "lowerAscii": "s.lowerAscii(): lower-cased copy of s",
    "split": "s.split(sep): list of the parts of s between occurrences of sep",
    "join": "list.join(sep) or join(list, sep): the strings of list joined by sep",
    "replace": "s.replace(old, new): s with every old replaced by new",
    "trim": "s.trim(): s without leading and trailing whitespace",
    "days_between": "days_between(a, b): whole days from a to b (timestamps or ISO strings; negative if b is earlier)",
}

MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
GLOBAL_MACROS = frozenset({"has", "dyn"})
BUILTIN_FUNCTIONS = (
    frozenset(name for name in ev.base_functions if name[0].isalpha()) | frozenset(EXTRA_FUNCTIONS) | GLOBAL_MACROS
)
TYPE_NAMES = frozenset({"int", "uint", "double", "string", "bytes", "bool", "list", "map", "null_type", "type", "dyn"})


# ---- environment, compile, evaluate ------------------------------------------------------------------

_local = threading.local()
# What celpy.Environment() sets; set here too because a run whose trees all come from the compiled-policy
# cache builds no Environment for parsing, and how deep evaluation may recurse must not depend on that.
RECURSION_LIMIT = 2500
sys.setrecursionlimit(RECURSION_LIMIT)


class _RunEnvironment(celpy.Environment):
    """An environment that runs trees but cannot parse: ``celpy.Environment()`` also builds the LALR
    parser (~0.12 s of CPU), which a run whose trees all came from the compiled-policy cache never uses.
    Runners read only ``package`` and ``annotations``; ``program()`` reads ``runner_class`` and ``logger``."""

    def __init__(self) -> None:  # no super().__init__(): that is what builds the parser
        self.logger = logging.getLogger("celpy.Environment")
        self.package = None
        self.annotations = dict(celpy.googleapis)
        self.runner_class = celpy.InterpretedRunner


def _env() -> celpy.Environment:
    env = getattr(_local, "env", None)
    if env is None:
        env = _RunEnvironment()
        _local.env = env
    return env


def _parser() -> celpy.celparser.CELParser:
    # one per thread: parse() keeps the text on the instance (the grammar tables are shared)
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = celpy.celparser.CELParser(tree_class=celpy.InterpretedRunner.tree_node_class)
    return parser


@dataclass(frozen=True)
class Compiled:
    source: str
    tree: Tree


def compile_expr(source: str) -> Compiled:
    """Parse a CEL expression (no evaluation). Raises ``CelSyntaxError`` with the position in ``source``."""
    runaway = runaway_literal(source)
    if runaway is not None:
        raise CelSyntaxError(f"unterminated string with over {MAX_ESCAPES_UNCLOSED} escapes", *runaway)
    try:
        tree = _parser().parse(source)
    except celpy.celparser.CELParseError as exc:
        line = getattr(exc, "line", None)
        column = getattr(exc, "column", None)
        raise CelSyntaxError(_parse_problem(exc.__context__), line, column) from None
    except RecursionError:
        raise CelSyntaxError("expression nested too deeply", None, None) from None
    return Compiled(source, tree)


def _parse_problem(cause: BaseException | None) -> str:
    """A one-line reason from Lark's exception (celpy's own message only repeats the source)."""
    token = getattr(cause, "token", None)
    if isinstance(cause, lark.exceptions.UnexpectedCharacters):
        return f"unexpected character {getattr(cause, 'char', '?')!r}"
    if token is not None and str(token):
        return f"unexpected {str(token)!r}"
    if token is not None:
        return "unexpected end of expression"
    return "syntax error"


def _activation(names: Mapping[str, CELValue]) -> Any:
    """An activation binding ``names`` on top of this thread's base activation (celpy's annotations and
    our functions), which is built once. celpy's runner builds a base activation per evaluation (parsing
    the annotations' names) and then copies it to bind the names: ~25 µs of a ~55 µs look-up, paid ~1,500
    times by a pack's run. Name resolution is the same: these names first, then the base's."""
    base = getattr(_local, "activation", None)
    if base is None:
        env = _env()
        functions = {**EXTRA_FUNCTIONS, "type": _cel_type}
        base = _local.activation = ev.Activation(package=env.package, annotations=env.annotations, functions=functions)
    return base.nested_activation(vars=names)


INT64 = (-(2**63), 2**63 - 1)


class CelValueError(ValueError):
    """Data that has no CEL value (an integer outside 64 bits); ``path`` says where."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


def _check_ints(value: Any, path: str) -> None:
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, bool):
            continue
        if isinstance(item, int) and not INT64[0] <= item <= INT64[1]:
            raise CelValueError(where, f"integer {item} is outside CEL's 64-bit range (write it as a string)")
        if isinstance(item, dict):
            stack.extend((v, f"{where}.{k}") for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(item))


def to_cel(value: Any, path: str = "facts") -> CELValue:
    """Convert JSON-shaped Python data to CEL values (done once per run for the fact document).
    Raises ``CelValueError`` naming the path of a value CEL cannot hold."""
    try:
        return celpy.adapter.json_to_cel(value)
    except ValueError:
        _check_ints(value, path)
        raise


def _lazy_value(value: Any) -> CELValue:
    kind = type(value)
    if kind is str:
        return ct.StringType(value)
    if kind is dict:
        return LazyMap(value)
    if kind is list:
        return ct.ListType([_lazy_value(v) for v in value])
    if kind is bool:
        return ct.BoolType(value)
    if kind is int:
        if not INT64[0] <= value <= INT64[1]:
            raise CelValueError("facts", f"integer {value} is outside CEL's 64-bit range (write it as a string)")
        return ct.IntType(value)
    if kind is float:
        return ct.DoubleType(value)
    return celpy.adapter.json_to_cel(value)


_RAW_KINDS = frozenset({str, dict, list, bool, int, float})


class LazyMap(ct.MapType):
    """A CEL map over JSON data whose values are converted on first access (then kept).

    Converting a whole fact document costs ~0.5 ms per list element (4.7 s for 10,000 TODOs with their
    tests, Dockerfiles and workflows), yet a pack reads a few look-ups from it: most of the document is
    never touched. Keys are converted at once (comprehensions iterate them); a value is stored raw until
    read, recognised by its exact built-in type (converted values are celtypes subclasses or None).
    Evaluation never mutates facts, so concurrent readers at worst convert a value twice.
    ``raw`` is the JSON it was made from (never changed): the C++ backend reads it instead of converting back."""

    __slots__ = ("raw",)

    def __init__(self, raw: Mapping[str, Any]) -> None:
        dict.__init__(self, zip(map(ct.StringType, raw), raw.values(), strict=True))
        self.raw = raw

    def __getitem__(self, key: Any) -> Any:
        if not ct.MapType.valid_key_type(key):
            raise TypeError(f"unsupported key type: {type(key)}")
        value = dict.__getitem__(self, key)
        if type(value) in _RAW_KINDS:
            value = _lazy_value(value)
            dict.__setitem__(self, key, value)
        return value

    def get(self, key: Any, default: Any = None) -> Any:
        if key in self:
            return self[key]
        return super().get(key, default)

    def values(self) -> Any:
        return [self[k] for k in self.keys()]

    def items(self) -> Any:
        return [(k, self[k]) for k in self.keys()]


def to_cel_lazy(document: Mapping[str, Any]) -> CELValue:
    """The fact document as a CEL map converted on demand (see ``LazyMap``); shared by every policy.
    An integer outside 64 bits surfaces when read, as an error outcome of the policy reading it."""
    return LazyMap(document)


def _cel_type(value: CELValue) -> CELValue:
    # type() of a lazily converted map is `map`, as for any other map
    return ct.MapType if isinstance(value, LazyMap) else ct.TypeType(value)


def timestamp(value: dt.datetime) -> CELValue:
    return ct.TimestampType(value.astimezone(dt.UTC))


def to_python(value: CELValue) -> Any:
    """CEL value → plain JSON-shaped Python for reports."""
    if isinstance(value, ct.BoolType):
        return bool(value)
    if isinstance(value, (ct.IntType, ct.UintType)):
        return int(value)
    if isinstance(value, ct.DoubleType):
        return float(value)
    if isinstance(value, ct.StringType):
        return str(value)
    if isinstance(value, ct.TimestampType):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, ct.DurationType):
        return f"{value.total_seconds()}s"
    if isinstance(value, ct.BytesType):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, Mapping):
        return {str(to_python(k)): to_python(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_python(v) for v in value]
    if value is None:
        return None
    if isinstance(value, Exception):
        return f"<error: {error_text(value)}>"
    return str(value)


def error_text(exc: BaseException) -> str:
    if isinstance(exc, ev.CELEvalError):
        text = str(exc.args[0]) if exc.args else "evaluation error"
        if len(exc.args) > 2 and exc.args[2]:
            detail = exc.args[2][0] if isinstance(exc.args[2], tuple) and exc.args[2] else exc.args[2]
            text = f"{text}: {detail}"
    else:
        text = str(exc) or type(exc).__name__
    return text[:MAX_MESSAGE]


def _deliver(handler: Any, signum: int, frame: Any) -> None:
    """Hand a SIGPROF that belongs to an outer timer to the handler that was installed for it."""
    if callable(handler):
        handler(signum, frame)
    elif handler != signal.SIG_IGN:  # SIG_DFL (or a handler installed outside Python): the default action
        signal.signal(_SIGNAL, signal.SIG_DFL)
        signal.raise_signal(_SIGNAL)


RETRY_S = 0.05
# CPU time, not wall-clock time (see ``deadline``); a timer of its own kind leaves SIGALRM (test
# harness timeouts, libFuzzer) alone.
_TIMER = signal.ITIMER_PROF
_SIGNAL = signal.SIGPROF
_clock = time.process_time


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Interrupt evaluation after ``seconds`` (main thread only; elsewhere no timer is available and
    the bound is the static check's nesting limit).

    The deadline counts the process's CPU time (``ITIMER_PROF``), not wall-clock time: it bounds the work
    a policy does, so a loaded or descheduled machine (a busy CI runner) never turns a policy that
    finishes into an error, and the same facts give the same decisions on any machine. The process has
    one ``ITIMER_PROF`` timer, so an outer one (an enclosing deadline) is kept: while inside, the timer
    is armed for whichever is due first and an outer expiry is handed to the outer handler; on exit the
    outer timer is re-armed with what is left of it and the previous handler is restored."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    outer_delay, outer_interval = signal.getitimer(_TIMER)
    start = _clock()
    own_due = start + seconds
    # when the outer timer fires next (None: it has no pending expiry)
    outer_due: float | None = start + outer_delay if outer_delay > 0 else None
    previous = signal.getsignal(_SIGNAL)
    active = True

    def arm() -> None:
        due = own_due if outer_due is None else min(own_due, outer_due)
        signal.setitimer(_TIMER, max(due - _clock(), 1e-6))

    def on_alarm(signum: int, frame: Any) -> None:
        nonlocal outer_due
        if outer_due is not None and outer_due <= own_due:
            # the outer timer's expiry: like the real timer, a periodic one comes round again
            outer_due = outer_due + outer_interval if outer_interval > 0 else None
            arm()
            _deliver(previous, signum, frame)
            return
        if not active:
            return
        # An exception raised from a signal handler can be lost: C code that calls back into Python (a
        # __hash__ inside a dict lookup) may clear it, and evaluation would then run unbounded (seen
        # under load). So it is raised again every RETRY_S until the block is left.
        signal.setitimer(_TIMER, RETRY_S)
        raise DeadlineExceeded()

    signal.signal(_SIGNAL, on_alarm)
    try:
        arm()
        yield
    finally:
        active = False
        try:
            signal.setitimer(_TIMER, 0)
        finally:
            signal.signal(_SIGNAL, signal.SIG_DFL if previous is None else previous)
            if outer_due is not None:
                left = max(outer_due - _clock(), 1e-6)  # overdue: fire at once, under its handler
                signal.setitimer(_TIMER, left, outer_interval)


def evaluate(tree: Tree, activation: Mapping[str, CELValue]) -> CELValue:
    """Evaluate a (sub-)tree. Returns the CEL value; raises ``CelRuntimeError`` for an error result,
    lets ``DeadlineExceeded`` through for the caller's deadline."""
    native = _backend() if _BACKEND.choice != "python" else None
    if native is not None:
        value = native.evaluate(tree, activation)
        if value is not native.FALLBACK:
            return value
        started = time.perf_counter()
        try:
            return _evaluate_celpy(tree, activation)
        finally:
            native.spent(tree, time.perf_counter() - started)  # what cel-python cost: `auto` weighs it
    return _evaluate_celpy(tree, activation)


def _evaluate_celpy(tree: Tree, activation: Mapping[str, CELValue]) -> CELValue:
    try:
        result = ev.Evaluator(ast=flattened(tree), activation=_activation(activation)).evaluate()
    except DeadlineExceeded:
        raise
    except RecursionError:
        raise CelRuntimeError("expression nested too deeply to evaluate") from None
    except Exception as exc:  # celpy raises assorted exception types for runtime errors
        raise CelRuntimeError(error_text(exc)) from None
    if isinstance(result, Exception):
        raise CelRuntimeError(error_text(result))
    return result


# ---- backend seam: Google's C++ runtime (cel_native.py) when installed; cel-python decides the rest ------------

BACKEND_ENV = "ANOPS_CEL_BACKEND"
BACKENDS = ("auto", "native", "python")


@dataclass
class _Backend:
    choice: str | None = None  # None: not chosen yet
    native: Any = None  # a cel_native.NativeBackend when the choice is native


_BACKEND = _Backend()


def use_backend(name: str | None = None) -> str:
    """Select ``auto`` (when ``cel-expr-python`` is installed, C++ for the expressions where it measurably pays:
    cel_native_auto.py), ``native`` (C++ for every expression it can run) or ``python``; ``None`` reads
    ``$ANOPS_CEL_BACKEND``. Returns the seam now in use: ``native`` (auto included) or ``python``."""
    import os  # noqa: PLC0415 - read once, when the first expression is evaluated

    choice = (name or os.environ.get(BACKEND_ENV) or "auto").strip().lower()
    if choice not in BACKENDS:
        from anops_policy.errors import ConfigError  # noqa: PLC0415

        raise ConfigError(f"{BACKEND_ENV}={choice!r}: expected one of {', '.join(BACKENDS)}")
    _BACKEND.native = None
    if choice != "python":
        try:
            from anops_policy.cel import native as cel_native  # noqa: PLC0415 - optional dependency (extra "fast")
        except ImportError:
            if choice == "native":
                from anops_policy.errors import ConfigError  # noqa: PLC0415

                raise ConfigError(
                    f"{BACKEND_ENV}=native, but cel-expr-python is not installed (pip install 'anops-policy[fast]')"
                ) from None
        else:
            from anops_policy.cel.native_values import Bridge  # noqa: PLC0415 - with the optional backend

            bridge = Bridge(
                celpy.adapter.json_to_cel,
                ct.BoolType,
                ct.UintType,
                ct.StringType,
                lambda v: int.__new__(ct.IntType, v),  # IntType() builds a range-check wrapper per call
                ct.ListType,
                ct.MapType,
                EXTRA_FUNCTIONS,
                MAX_VALUE_LENGTH,
            )
            _BACKEND.native = cel_native.NativeBackend(bridge, auto=choice == "auto")
    _BACKEND.choice = "python" if _BACKEND.native is None else "native"
    return _BACKEND.choice


def _backend() -> Any:
    if _BACKEND.choice is None:
        use_backend()
    return _BACKEND.native


def backend_stats() -> dict[str, Any]:
    """Which backend decided how many evaluations (and why cel-python had to), for debugging and benchmarks."""
    native = _backend()
    if native is None:
        return {"backend": "python"}
    stats = native.stats
    return {"backend": "native", "native": stats.native, "python": stats.python, "reasons": dict(stats.reasons)}


def is_bool(value: CELValue) -> bool:
    return isinstance(value, ct.BoolType)


def monotonic() -> float:
    return time.monotonic()
