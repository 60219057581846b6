"""Canonical JSON (RFC 8785, the JSON Canonicalization Scheme): the bytes every digest and signature of the
project is computed over — a fact document's digest, a decision-log record's hash chain, a pack's signed
statement.

``rfc8785`` is the reference: a pure-Python serialiser, ~1 µs per value, so a big repository's fact document
(tens of MB) took seconds to digest. For the values that have only one possible rendering the standard
library's C encoder writes the same bytes: ``json.dumps`` with sorted keys, no whitespace and no ASCII
escaping escapes exactly what RFC 8785 does (``"``, ``\\``, ``\\b \\f \\n \\r \\t`` in their short forms and
the other control characters as lowercase ``\\u00xx``), and writes ``true``/``false``/``null``, strings and
integers identically. Three things differ:

- floats (RFC 8785 prints numbers as ECMAScript does, ``1e+21``, ``5e-324``, ``1.0`` → ``1``): written by
  ``es_number`` into placeholders the encoder left (a document with a NUL in a string goes to ``rfc8785``);
- integers beyond ±(2^53 − 1), which ``rfc8785`` refuses (they have no exact IEEE-754 double): to ``rfc8785``;
- object keys with characters above U+FFFF: RFC 8785 sorts keys by UTF-16 code units, Python by code points,
  and the two orders differ only there: to ``rfc8785``.

Anything else ``json`` cannot or would not write the same (a lone surrogate, a tuple, a non-string key, a
subclass) also goes to ``rfc8785``, which keeps its own errors. ``tests/audit/test_canonical.py`` checks
both paths give the same bytes on generated documents.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from typing import Any

_MAX_SAFE = 2**53 - 1
_ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")).encode
_PLACEHOLDER = re.compile(r'"\\u0000(\d+)"')  # how json writes the string "\x00<index>"
NOT_PLAIN, PLAIN, WITH_FLOATS = 0, 1, 2


def _kind(value: Any) -> int:
    """``PLAIN`` when ``json`` writes ``value`` exactly as RFC 8785 does, ``WITH_FLOATS`` when it would but
    for its floats (and no string holds a NUL, so a float's placeholder cannot be mistaken), else
    ``NOT_PLAIN``."""
    floats = False
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str:
            if "\x00" in item:
                return NOT_PLAIN
        elif kind is dict:
            for key in item:
                if type(key) is not str or "\x00" in key or (not key.isascii() and max(key) > "\uffff"):
                    return NOT_PLAIN
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind is int:
            if not -_MAX_SAFE <= item <= _MAX_SAFE:
                return NOT_PLAIN
        elif kind is float:
            if not math.isfinite(item):
                return NOT_PLAIN
            floats = True
        elif kind is not bool and item is not None:
            return NOT_PLAIN
    return WITH_FLOATS if floats else PLAIN


def es_number(number: float) -> str:
    """A finite float as ECMAScript's ``Number.prototype.toString`` writes it (RFC 8785 §3.2.2.3): the
    shortest digits that read back as the same double (Python's ``repr`` finds the same ones), in plain
    notation from 1e-7 to 1e21 and exponent notation outside (``1e+21``, ``1.5e-7``), ``-0`` as ``0``."""
    if number == 0:
        return "0"
    if number < 0:
        return "-" + es_number(-number)
    mantissa, _, exponent = repr(number).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction  # the value is 0.<digits> × 10^point
    point = len(whole) + (int(exponent) if exponent else 0)
    significant = digits.lstrip("0")
    point -= len(digits) - len(significant)
    significant = significant.rstrip("0")
    count = len(significant)
    if count <= point <= 21:
        return significant + "0" * (point - count)
    if 0 < point <= 21:
        return significant[:point] + "." + significant[point:]
    if -6 < point <= 0:
        return "0." + "0" * -point + significant
    shown = significant if count == 1 else significant[0] + "." + significant[1:]
    return f"{shown}e{'+' if point > 0 else '-'}{abs(point - 1)}"


def _with_placeholders(value: Any, floats: list[float]) -> Any:
    """``value`` rebuilt with each float replaced by the string ``"\x00<index>"`` (its index in ``floats``)."""
    kind = type(value)
    if kind is float:
        floats.append(value)
        return f"\x00{len(floats) - 1}"
    if kind is dict:
        return {key: _with_placeholders(item, floats) for key, item in value.items()}
    if kind is list:
        return [_with_placeholders(item, floats) for item in value]
    return value


def dumps(value: Any) -> bytes:
    """The RFC 8785 canonical form of ``value`` as UTF-8 bytes (``rfc8785.dumps``, same errors)."""
    kind = _kind(value)
    if kind == PLAIN:
        with contextlib.suppress(UnicodeEncodeError):  # a lone surrogate: rfc8785 decides (and words the error)
            return _ENCODE(value).encode("utf-8")
    elif kind == WITH_FLOATS:
        floats: list[float] = []
        # the nesting is bounded by the caller's document: json's own encoder recurses as deep
        with contextlib.suppress(UnicodeEncodeError, RecursionError):
            text = _ENCODE(_with_placeholders(value, floats))
            return _PLACEHOLDER.sub(lambda m: es_number(floats[int(m.group(1))]), text).encode("utf-8")
    import rfc8785  # noqa: PLC0415 - the reference serialiser, for the values json renders differently

    return rfc8785.dumps(value)
