"""Helpers shared by the differential tests: run something under one CEL backend, describe results."""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest

from anops_policy.cel.backend import backend_stats, use_backend

T = TypeVar("T")


def require_native() -> None:
    """Skip (visibly) when the C++ runtime is not installed; it is in the `test` extra, so CI runs these."""
    pytest.importorskip("cel_expr_python", reason="cel-expr-python (extra 'fast') is not installed")


@contextmanager
def backend(name: str) -> Iterator[None]:
    assert use_backend(name) == ("native" if name == "auto" else name)  # auto runs through the native seam
    try:
        yield
    finally:
        use_backend(None)


def on_both(run: Callable[[], T]) -> tuple[T, T, dict[str, Any]]:
    """``run()`` under cel-python, then under the native backend; also the native backend's statistics."""
    with backend("python"):
        python = run()
    with backend("native"):
        native = run()
        stats = backend_stats()
    return python, native, stats


_KINDS = {
    "BoolType": "bool",
    "IntType": "int",
    "UintType": "uint",
    "DoubleType": "double",
    "StringType": "string",
    "str": "string",  # cel-python's '+' of two strings returns a plain str
    "BytesType": "bytes",
    "NoneType": "null",
    "TimestampType": "timestamp",
    "DurationType": "duration",
}


def describe(value: Any) -> Any:
    """A CEL value as comparable plain data that keeps its CEL type (an int is not a double or a uint)."""
    kind = _KINDS.get(type(value).__name__)
    if kind == "double":
        return (kind, "nan" if math.isnan(value) else float(value))
    if kind in ("timestamp", "duration"):
        return (kind, str(value))
    if kind == "bytes":
        return (kind, bytes(value))
    if kind is not None:
        plain = {"bool": bool, "int": int, "uint": int, "string": str}.get(kind)
        return (kind, None if plain is None else plain(value))
    if isinstance(value, dict):
        return ("map", sorted((repr(describe(k)), describe(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", [describe(v) for v in value])
    return ("other", repr(value))


def decode(tagged: dict[str, Any]) -> Any:
    """A conformance value (``{"int64Value": "3"}``) as the described form of the CEL value it stands for."""
    (tag, raw), *_ = tagged.items()
    if tag == "int64Value":
        return ("int", int(raw))
    if tag == "uint64Value":
        return ("uint", int(raw))
    if tag == "doubleValue":
        number = float(raw)
        return ("double", "nan" if math.isnan(number) else number)
    if tag == "stringValue":
        return ("string", raw)
    if tag == "boolValue":
        return ("bool", bool(raw))
    if tag == "bytesValue":
        return ("bytes", base64.b64decode(raw))
    if tag == "nullValue":
        return ("null", None)
    if tag == "listValue":
        return ("list", [decode(v) for v in raw.get("values", [])])
    if tag == "mapValue":
        return ("map", sorted((repr(decode(e["key"])), decode(e["value"])) for e in raw.get("entries", [])))
    raise ValueError(f"unexpected conformance value {tag}")


def plain(tagged: dict[str, Any]) -> Any:
    """A JSON-kind conformance value as plain Python (bindings are limited to these by the generator)."""
    (tag, raw), *_ = tagged.items()
    if tag == "listValue":
        return [plain(v) for v in raw.get("values", [])]
    if tag == "mapValue":
        return {plain(e["key"]): plain(e["value"]) for e in raw.get("entries", [])}
    if tag == "nullValue":
        return None
    if tag == "int64Value":
        return int(raw)
    if tag == "doubleValue":
        return float(raw)
    return raw
