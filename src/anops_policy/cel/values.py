"""CEL values: JSON data in (eagerly, or lazily for the fact document), plain Python out, error values as
text, and the limits on what a value may hold."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import celpy.adapter
import celpy.celtypes as ct
import celpy.evaluation as ev

CELValue = Any
MAX_MESSAGE = 500
# The longest string, bytes or list one `+` or replace() may build. Doubling a string in 40 variables
# would otherwise allocate gigabytes in one C call, which no deadline can interrupt.
MAX_VALUE_LENGTH = 10_000_000

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


def cel_type(value: CELValue) -> CELValue:
    """CEL's ``type()``: of a lazily converted map it is ``map``, as for any other map."""
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


def is_bool(value: CELValue) -> bool:
    return isinstance(value, ct.BoolType)
