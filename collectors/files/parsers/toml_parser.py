"""``toml``: TOML 1.0 (pyproject.toml, Cargo.toml) read by the standard library's ``tomllib``; lines per
table header, array-of-tables element, key and array item from ``toml_positions``. Dates and times become
ISO 8601 strings (``1979-05-27T07:32:00+00:00``, ``1979-05-27``, ``07:32:00``); ``inf`` and ``nan`` are
refused (no JSON value).
"""

from __future__ import annotations

import re
import tomllib

from anops_policy.collectors.files.parsers.model import MAX_DEPTH, Document, ParseFailure, json_shaped
from anops_policy.collectors.files.parsers.toml_positions import toml_lines

_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)|\s*\(at end of document\)")


def parse_toml(text: str) -> list[Document]:
    """One document: the file's top-level table."""
    text = text.removeprefix("\ufeff")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _failure(text, str(exc)) from None
    except RecursionError:  # tomllib recurses per nested array or inline table
        toml_lines(text)  # raises naming the line where nesting passes the bound
        raise ParseFailure(f"nesting deeper than {MAX_DEPTH} levels") from None
    lines = toml_lines(text)
    return [Document(data=json_shaped(data, lines), lines=lines, line=1)]


def _failure(text: str, message: str) -> ParseFailure:
    match = _AT.search(message)
    reason = _AT.sub("", message)
    if match is None:
        return ParseFailure(reason)
    if match.group(1) is None:  # at end of document
        return ParseFailure(reason, text.count("\n") + 1)
    return ParseFailure(reason, int(match.group(1)), int(match.group(2)))
