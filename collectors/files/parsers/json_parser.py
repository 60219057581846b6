"""``json``: strict JSON (RFC 8259) read by the standard library; lines per key and array item from the
second pass of ``json_positions``.

Bounds: nesting deeper than ``MAX_DEPTH`` is refused at its line by the position pass (``json.loads``
itself stops at Python's recursion limit, ~1,000 levels, with a RecursionError that names no line: the
pass then names it); NaN and Infinity, which ``json`` accepts by default, are refused (they have no JSON
value and would break the fact document's canonical form).
"""

from __future__ import annotations

import json

from anops_policy.collectors.files.parsers.json_positions import JSON_TOKEN, scan_lines
from anops_policy.collectors.files.parsers.model import MAX_DEPTH, Document, ParseFailure, line_column


class _NonFinite(Exception):
    pass


def _refuse_constant(name: str) -> float:
    raise _NonFinite(name)


def _decode_key(raw: str) -> str:
    key = json.loads(raw)
    return key if isinstance(key, str) else raw


def parse_json(text: str) -> list[Document]:
    """One document: the file's single JSON value."""
    text = text.removeprefix("\ufeff")
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ParseFailure(exc.msg, exc.lineno, exc.colno) from None
    except _NonFinite as exc:
        line, column = _find_constant(text, str(exc))
        raise ParseFailure(f"{exc} is not a JSON value (NaN and Infinity are refused)", line, column) from None
    except RecursionError:
        scan_lines(text, json5=False, decode=_decode_key)  # raises at the line where nesting passes the bound
        raise ParseFailure(f"nesting deeper than {MAX_DEPTH} levels") from None
    lines = scan_lines(text, json5=False, decode=_decode_key)
    return [Document(data=data, lines=lines, line=lines.get("", 1))]


def _find_constant(text: str, name: str) -> tuple[int | None, int | None]:
    for match in JSON_TOKEN.finditer(text):
        if match.group(1) == name:
            found: tuple[int, int] = line_column(text, match.start(1))
            return found
    return None, None
