"""``jsonc`` and ``json5``: JSON with comments and trailing commas (tsconfig.json, VS Code settings) and JSON5,
both read by ``pyjson5``; lines per key and array item from the second pass of ``json_positions``.

Why ``pyjson5`` (Cython) rather than ``json5`` (pure Python): on a 5 MB document ``pyjson5`` takes 0.25 s
and ``json5`` 100 s, ``json5`` hits Python's recursion limit on deep nesting where ``pyjson5`` has its own
``maxdepth`` bound, and ``pyjson5``'s errors carry the offset of the offending character. (The tests read
every case again with ``json5`` and compare.)

JSONC is JSON plus comments and trailing commas, a subset of JSON5, so one parser reads both; a ``jsonc``
file using other JSON5 syntax (single quotes, unquoted keys) is read too, not refused: this is a fact
reader, not a validator. NaN and Infinity (valid JSON5) are refused: they have no JSON value.
"""

from __future__ import annotations

import json
import re

import pyjson5
from anops_policy.collectors.files.parsers.json_positions import scan_lines
from anops_policy.collectors.files.parsers.model import (
    MAX_DEPTH,
    Document,
    ParseFailure,
    json_shaped,
    line_column,
)

_NEAR = re.compile(r"\s*near (\d+)")
_BYTES = re.compile(r"b'([^']*)'")  # pyjson5 names grammar symbols as bytes: b'comma'


def _decode_key(raw: str) -> str:
    """A key token with escapes: a quoted string, or an identifier with ``\\uXXXX`` in it."""
    decoded = pyjson5.decode(raw) if raw[0] in "\"'" else next(iter(pyjson5.decode("{" + raw + ":0}")))
    return decoded if isinstance(decoded, str) else raw


def parse_json5(text: str) -> list[Document]:
    """One document: the file's single JSON5 value."""
    text = text.removeprefix("\ufeff")
    try:
        data = pyjson5.decode(text, maxdepth=MAX_DEPTH)
    except pyjson5.Json5Exception as exc:
        raise _failure(text, exc) from None
    lines = scan_lines(text, json5=True, decode=_decode_key)
    try:
        json.dumps(data, allow_nan=False)  # in C: almost every document is JSON-shaped already
    except ValueError:
        data = json_shaped(data, lines)  # names the NaN or Infinity and its line
    return [Document(data=data, lines=lines, line=lines.get("", 1))]


def _failure(text: str, exc: Exception) -> ParseFailure:
    message = str(exc.args[0]) if exc.args else str(exc)
    near = _NEAR.search(message)
    reason = _BYTES.sub(r"\1", _NEAR.sub("", message)).removesuffix(" starting") or type(exc).__name__
    if isinstance(exc, pyjson5.Json5NestingTooDeep):
        reason = f"nesting deeper than {MAX_DEPTH} levels"
    if near is None:
        return ParseFailure(reason)
    offset = max(int(near.group(1)) - 1, 0)
    if isinstance(exc, pyjson5.Json5ExtraData):  # the offset is the end of the value before the extra data
        rest = text[offset + 1 :]
        offset = offset + 1 + len(rest) - len(rest.lstrip())
    line, column = line_column(text, offset)
    return ParseFailure(reason, line, column)
