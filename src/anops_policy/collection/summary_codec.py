"""Per-file summaries to and from plain JSON, driven by their declared types, for the summary cache.

The cache is untrusted input (another version's entries, a hand-edited file, a poisoned CI cache), so
nothing is rebuilt that the summary's type does not declare: a value is decoded *against* the type the
collector asks for (``decode(data, SomeSummary)``), and the only classes ever constructed are the
dataclasses reachable from that type through their field annotations (the whitelist is the type
itself). Lists, tuples, sets, frozensets and dicts with any key type are rebuilt as declared;
``Any`` admits JSON values only (dicts with string keys, lists, strings, numbers, booleans, null).
A value that does not fit its type raises ``CodecError`` (the caller's cache miss); so does encoding a
value that would not come back equal (a tuple inside an ``Any``, a NaN), so an entry, once decoded, is
the summary that was stored. Never ``pickle``: unpickling runs whatever the file names.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar, Union

T = TypeVar("T")
MAX_DEPTH = 64  # deeper than any summary; a hostile entry must not recurse the decoder to death


class CodecError(ValueError):
    """A value does not fit its declared type (decoding) or would not survive the round trip (encoding)."""


_HINTS: dict[type, tuple[tuple[str, Any], ...]] = {}


def _fields(cls: type) -> tuple[tuple[str, Any], ...]:
    """The init fields of a dataclass with their resolved annotations (cached per class)."""
    found = _HINTS.get(cls)
    if found is None:
        module = sys.modules.get(cls.__module__)
        hints = typing.get_type_hints(cls, vars(module) if module else None)
        found = tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls) if f.init)
        _HINTS[cls] = found
    return found


def _is_union(origin: Any) -> bool:
    return origin is Union or origin is types.UnionType


def encode(value: Any, kind: Any, depth: int = 0) -> Any:
    """``value`` as JSON data, shaped by ``kind`` (a dataclass, a builtin generic, ``Any``)."""
    return _encoder(kind)(value, depth)


Encoder = Callable[[Any, int], Any]
_ENCODERS: dict[Any, Encoder] = {}


def _encoder(kind: Any) -> Encoder:
    """A function that encodes values of ``kind``, built once per type (a cold run encodes every file's
    summaries: walking the type hints per value cost more than making the summaries)."""
    found = _ENCODERS.get(kind)
    if found is None:
        _ENCODERS[kind] = _late_encoder(kind)  # a self-referring dataclass finds this while being built
        try:
            found = _ENCODERS[kind] = _build_encoder(kind)
        except BaseException:
            del _ENCODERS[kind]
            raise
    return found


def _late_encoder(kind: Any) -> Encoder:
    def late(value: Any, depth: int) -> Any:
        return _ENCODERS[kind](value, depth)

    return late


def _guard(depth: int) -> None:
    if depth > MAX_DEPTH:
        raise CodecError("too deep")


def _build_encoder(kind: Any) -> Encoder:
    if kind is Any or kind is object:
        def any_value(value: Any, depth: int) -> Any:
            _guard(depth)
            return _json_value(value, depth)
        return any_value
    origin = typing.get_origin(kind)
    if _is_union(origin):
        options = typing.get_args(kind)
        nullable = type(None) in options
        members = [o for o in options if o is not type(None)]
        if len(members) == 1:  # the usual ``X | None``
            inner = _encoder(members[0])

            def optional(value: Any, depth: int) -> Any:
                _guard(depth)
                return None if value is None and nullable else inner(value, depth + 1)
            return optional

        def union(value: Any, depth: int) -> Any:  # several members: tried in order, tagged by position
            _guard(depth)
            if value is None and nullable:
                return None
            for index, member in enumerate(members):
                try:
                    if _accepts(value, member):
                        return [index, _encoder(member)(value, depth + 1)]
                except CodecError:
                    continue
            raise CodecError(f"{type(value).__name__} fits no member of {kind}")
        return union
    if origin is None and dataclasses.is_dataclass(kind) and isinstance(kind, type):
        fields = [(name, _encoder(hint)) for name, hint in _fields(kind)]

        def record(value: Any, depth: int) -> Any:
            _guard(depth)
            if type(value) is not kind:
                raise CodecError(f"expected {kind.__name__}, got {type(value).__name__}")
            return [enc(getattr(value, name), depth + 1) for name, enc in fields]
        return record
    if origin in (list, tuple, set, frozenset):
        return _sequence_encoder(kind, origin)
    if origin is dict:
        key_kind, value_kind = typing.get_args(kind) or (Any, Any)
        keys, values = _encoder(key_kind), _encoder(value_kind)

        def mapping(value: Any, depth: int) -> Any:
            _guard(depth)
            if type(value) is not dict:
                raise CodecError(f"expected dict, got {type(value).__name__}")
            return [[keys(k, depth + 1), values(v, depth + 1)] for k, v in value.items()]
        return mapping
    if kind in (str, int, bool, float, type(None)):
        def scalar(value: Any, depth: int) -> Any:
            _guard(depth)
            return _scalar(value, kind)
        return scalar
    raise CodecError(f"type {kind!r} is not supported by the summary codec")


def _sequence_encoder(kind: Any, origin: Any) -> Encoder:
    args = typing.get_args(kind)
    fixed = origin is tuple and not (len(args) == 2 and args[1] is Ellipsis)
    parts = [_encoder(a) for a in args] if fixed else []
    item = _encoder(args[0] if args else Any)

    def sequence(value: Any, depth: int) -> Any:
        _guard(depth)
        if origin is list and type(value) is not list:
            raise CodecError(f"expected list, got {type(value).__name__}")
        if origin is tuple and type(value) is not tuple:
            raise CodecError(f"expected tuple, got {type(value).__name__}")
        if origin in (set, frozenset) and not isinstance(value, set | frozenset):
            raise CodecError(f"expected a set, got {type(value).__name__}")
        if fixed:
            if len(parts) != len(value):
                raise CodecError("tuple of the wrong length")
            return [enc(v, depth + 1) for v, enc in zip(value, parts, strict=True)]
        items = [item(v, depth + 1) for v in value]
        if origin in (set, frozenset):
            items.sort(key=repr)  # a stable entry for the same set (iteration order is per process)
        return items
    return sequence


def decode(data: Any, kind: type[T] | Any) -> T:
    """The value ``encode(value, kind)`` gave ``data`` for; ``CodecError`` for anything else."""
    try:
        out: T = _decoder(kind)(data, 0)
    except RecursionError:
        raise CodecError("too deep") from None
    return out


Decoder = Callable[[Any, int], Any]
_DECODERS: dict[Any, Decoder] = {}


def _decoder(kind: Any) -> Decoder:
    """A function that decodes data of ``kind`` (built once per type: decoding a warm run's thousands
    of summaries must cost a fraction of making them)."""
    found = _DECODERS.get(kind)
    if found is None:
        _DECODERS[kind] = _late(kind)  # a self-referring dataclass finds this while being built
        try:
            found = _DECODERS[kind] = _build_decoder(kind)
        except BaseException:
            del _DECODERS[kind]
            raise
    return found


def _late(kind: Any) -> Decoder:
    def late(data: Any, depth: int) -> Any:
        return _DECODERS[kind](data, depth)

    return late


def _build_decoder(kind: Any) -> Decoder:
    if kind is Any or kind is object:
        return _json_value
    origin = typing.get_origin(kind)
    if _is_union(origin):
        return _union_decoder(kind)
    if origin is None and dataclasses.is_dataclass(kind) and isinstance(kind, type):
        return _dataclass_decoder(kind)
    if origin in (list, tuple, set, frozenset):
        return _sequence_decoder(kind, origin)
    if origin is dict:
        return _dict_decoder(kind)
    if kind in (str, int, bool, type(None)):
        return _exact(kind)
    if kind is float:
        return lambda data, _depth: _scalar(data, kind)
    raise CodecError(f"type {kind!r} is not supported by the summary codec")


def _exact(kind: type) -> Decoder:
    """The decoder of a scalar whose JSON value is itself (exact type: True is no line number)."""

    def scalar(data: Any, _depth: int) -> Any:
        if type(data) is not kind:
            raise CodecError(f"expected {kind.__name__}, got {type(data).__name__}")
        return data

    return scalar


def _union_decoder(kind: Any) -> Decoder:
    options = typing.get_args(kind)
    nullable = type(None) in options
    members = [_decoder(o) for o in options if o is not type(None)]
    if len(members) == 1:
        only = members[0]

        def optional(data: Any, depth: int) -> Any:
            return None if data is None and nullable else only(data, depth + 1)

        return optional

    def tagged(data: Any, depth: int) -> Any:
        if data is None and nullable:
            return None
        if not (type(data) is list and len(data) == 2 and type(data[0]) is int and 0 <= data[0] < len(members)):
            raise CodecError("malformed union value")
        return members[data[0]](data[1], depth + 1)

    return tagged


def _dataclass_decoder(cls: type) -> Decoder:
    """A decoder written for ``cls``: its scalar fields (and optional scalars) checked inline, the others
    through their decoders — a warm run decodes hundreds of thousands of records, and a call per field
    was most of its cost."""
    hints = [hint for _name, hint in _fields(cls)]
    names = [f"v{i}" for i in range(len(hints))]
    scope: dict[str, Any] = {"cls": cls, "CodecError": CodecError, "MAX_DEPTH": MAX_DEPTH}
    lines = [
        "def build(data, depth):",
        "    if depth > MAX_DEPTH:",
        "        raise CodecError('too deep')",
        f"    if type(data) is not list or len(data) != {len(hints)}:",
        f"        raise CodecError({f'malformed {cls.__name__}'!r})",
    ]
    if names:
        lines.append(f"    {', '.join(names)}, = data")
    args = []
    for index, (name, hint) in enumerate(zip(names, hints, strict=True)):
        scalar, nullable = _inline_scalar(hint)
        listed = _scalar_list(hint)
        if listed is not None:  # a list of names or lines: one C-level pass over the item types
            scope[f"s{index}"] = {listed}
            lines += [
                f"    if type({name}) is not list or ({name} and set(map(type, {name})) != s{index}):",
                f"        raise CodecError({f'expected a list of {listed.__name__}'!r})",
            ]
            args.append(f"{name}.copy()")
        elif scalar is not None:
            scope[f"t{index}"] = scalar
            test = f"type({name}) is not t{index}"
            if nullable:
                test = f"{name} is not None and {test}"
            lines += [f"    if {test}:", f"        raise CodecError({f'expected {scalar.__name__}'!r})"]
            args.append(name)
        else:
            scope[f"d{index}"] = _decoder(hint)
            args.append(f"d{index}({name}, depth + 1)")
    lines += [
        f"    values = ({''.join(a + ', ' for a in args)})",
        "    try:",
        "        return cls(*values)",
        "    except (TypeError, ValueError) as exc:  # a __post_init__ that refuses the values",
        "        raise CodecError(str(exc)) from None",
    ]
    exec("\n".join(lines), scope)  # the source is made here from the class's own field types, never from data
    build: Decoder = scope["build"]
    return build


def _scalar_list(hint: Any) -> type | None:
    """``str`` for a ``list[str]`` field (also ``int``, ``bool``), else None."""
    if typing.get_origin(hint) is list:
        args = typing.get_args(hint)
        if len(args) == 1 and args[0] in (str, int, bool):
            item: type = args[0]
            return item
    return None


def _inline_scalar(hint: Any) -> tuple[type | None, bool]:
    """``(str, False)`` for a ``str`` field, ``(int, True)`` for ``int | None``: the exact-type scalars a
    generated decoder checks inline; ``(None, False)`` for anything else."""
    if hint in (str, int, bool):
        return hint, False
    if _is_union(typing.get_origin(hint)):
        members = typing.get_args(hint)
        others = [m for m in members if m is not type(None)]
        if len(members) == 2 and len(others) == 1 and others[0] in (str, int, bool):
            return others[0], True
    return None, False


def _sequence_decoder(kind: Any, origin: Any) -> Decoder:
    args = typing.get_args(kind)
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        parts = [_decoder(a) for a in args]

        def fixed(data: Any, depth: int) -> Any:
            if type(data) is not list or len(data) != len(parts):
                raise CodecError("tuple of the wrong length")
            return tuple(p(d, depth + 1) for d, p in zip(data, parts, strict=True))

        return fixed
    item_kind = args[0] if args else Any
    item = _decoder(item_kind)
    build: Callable[[Any], Any] = origin
    if item_kind in (str, int, bool):  # the common lists of names and lines, checked in one pass

        only = {item_kind}

        def scalars(data: Any, _depth: int) -> Any:
            if type(data) is not list or (data and set(map(type, data)) != only):
                raise CodecError(f"expected a list of {item_kind.__name__}")
            return build(data) if origin is not list else list(data)

        return scalars

    def sequence(data: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise CodecError("too deep")
        if type(data) is not list:
            raise CodecError("expected a list")
        try:
            return build([item(d, depth + 1) for d in data])
        except TypeError:  # an unhashable item in a set
            raise CodecError("unhashable set item") from None

    return sequence


def _dict_decoder(kind: Any) -> Decoder:
    key_kind, value_kind = typing.get_args(kind) or (Any, Any)
    keys, values = _decoder(key_kind), _decoder(value_kind)

    def mapping(data: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise CodecError("too deep")
        if type(data) is not list:
            raise CodecError("expected a list of pairs")
        out: dict[Any, Any] = {}
        for pair in data:
            if type(pair) is not list or len(pair) != 2:
                raise CodecError("malformed dict item")
            try:
                out[keys(pair[0], depth + 1)] = values(pair[1], depth + 1)
            except TypeError:
                raise CodecError("unhashable dict key") from None
        return out

    return mapping


def _accepts(value: Any, kind: Any) -> bool:
    """A cheap test of which union member a value belongs to (the encoder then checks it in full)."""
    origin = typing.get_origin(kind) or kind
    if origin is Any:
        return True
    if isinstance(origin, type):
        return type(value) is origin or (origin in (set, frozenset) and isinstance(value, set | frozenset))
    return False


def _scalar(value: Any, kind: Any) -> Any:
    # exact types: True is an int to Python but must not decode as a line number
    if kind is float and type(value) is int:
        value = float(value)
    if type(value) is not kind:
        raise CodecError(f"expected {kind.__name__}, got {type(value).__name__}")
    if kind is float and not math.isfinite(value):
        raise CodecError("a non-finite float")
    return value


def _json_value(value: Any, depth: int) -> Any:
    """A copy of ``value`` when it is plain JSON data that round-trips unchanged, else ``CodecError``.
    A copy: the collector may change its value after storing it, or the one it was given."""
    if depth > MAX_DEPTH:
        raise CodecError("too deep")
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        if not math.isfinite(value):
            raise CodecError("a non-finite float")
        return value
    if kind is list:
        return [_json_value(item, depth + 1) for item in value]
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise CodecError("a non-string key in a JSON object")
            out[key] = _json_value(item, depth + 1)
        return out
    raise CodecError(f"{kind.__name__} is not JSON data")
