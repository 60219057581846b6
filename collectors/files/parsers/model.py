"""What every parser returns and raises, and the helpers they share: JSON pointers, offsets to lines, and
turning a library's values into JSON-shaped data (the fact document is JSON)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from anops_policy.facts import line_at, pointer

# Deepest nesting of containers a document may have. The fact document is serialised, hashed and walked
# by CEL; each of those recurses, and Python's limit is 1,000 frames shared with the caller.
MAX_DEPTH = 100
# Most pointer -> line entries a document records, in document order (the rest take their nearest
# recorded ancestor's line). The table lands in the fact document beside the data: a 5 MB file of small
# values would otherwise double in size and take seconds to index.
MAX_POSITIONS = 100_000


@dataclass(frozen=True)
class Document:
    """One parsed document. ``data`` is JSON-shaped only (dict with str keys, list, str, int, float, bool,
    None). ``lines`` maps an RFC 6901 JSON pointer to the 1-based source line of that key, item, attribute
    or element (``""`` is the document itself); a pointer without an entry takes its nearest ancestor's.
    ``line`` is the 1-based line where the document starts (its first value)."""

    data: Any
    lines: dict[str, int]
    line: int


class ParseFailure(Exception):
    """The file is not valid in its format (or exceeds a bound): ``reason``, and the format's own 1-based
    ``line`` and ``column`` where the library reports them."""

    def __init__(self, reason: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.line, self.column = reason, line, column

    def __str__(self) -> str:
        where = "" if self.line is None else f"line {self.line}" + ("" if self.column is None else f":{self.column}")
        return f"{where}: {self.reason}" if where else self.reason


def token(key: str | int) -> str:
    """One RFC 6901 reference token."""
    text = str(key)
    if "~" in text or "/" in text:
        return text.replace("~", "~0").replace("/", "~1")
    return text


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of the 0-based character ``offset`` (lines end at ``\\n``)."""
    offset = max(0, min(offset, len(text)))
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


class ScanStopped(Exception):
    """A second pass over the text met what it does not expect (it only runs on text the library accepted)
    or reached its cap: the lines found so far are kept."""


class LineScanner:
    """The line bookkeeping of a second, position-finding pass: the current line of ``pos`` (positions only
    move forward) and a bounded ``lines`` table."""

    def __init__(self, text: str, cap: int, lines: dict[str, int] | None = None) -> None:
        self.text, self.pos, self.cap = text, 0, cap
        self.lines: dict[str, int] = dict(lines or {})
        self._at, self._line = 0, 1

    def line(self) -> int:
        """1-based line of ``self.pos``."""
        self._line += self.text.count("\n", self._at, self.pos)
        self._at = self.pos
        return self._line

    def skip(self, pattern: re.Pattern[str]) -> None:
        """Move past what ``pattern`` matches at ``pos`` (if anything)."""
        match = pattern.match(self.text, self.pos)
        if match:
            self.pos = match.end()

    def record(self, where: str, line: int, *, first: bool = False) -> None:
        if len(self.lines) >= self.cap:
            raise ScanStopped  # enough: the cap is reached
        if first:
            self.lines.setdefault(where, line)
        else:
            self.lines[where] = line


_MISSING = object()


def resolvable(data: Any, lines: dict[str, int]) -> dict[str, int]:
    """``lines`` without the pointers that name no value of ``data`` (a second pass that read a key
    differently from the library: the key then takes its nearest ancestor's line). Each pointer costs
    O(1) lookups: the values of parent pointers are memoised."""
    memo: dict[str, Any] = {"": data}

    def value(where: str) -> Any:
        found = memo.get(where, _MISSING)
        if found is not _MISSING or where in memo:
            return found
        cut = where.rfind("/")
        parent, part = value(where[:cut]), where[cut + 1 :].replace("~1", "/").replace("~0", "~")
        if isinstance(parent, dict):
            found = parent.get(part, _MISSING)
        elif isinstance(parent, list) and part.isdigit() and int(part) < len(parent):
            found = parent[int(part)]
        memo[where] = found
        return found

    return {where: line for where, line in lines.items() if value(where) is not _MISSING}


def key_text(key: Any) -> str:
    """A mapping key as a string: YAML's ``1:``, ``true:`` and ``null:`` keys become ``"1"``, ``"true"``,
    ``"null"`` (their JSON spelling), anything else its ``str``."""
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, bool | int | float):
        return json.dumps(key)
    return str(key)


def _scalar(value: Any) -> Any:
    """A library's scalar as a JSON value; raises ValueError for a non-finite float or an unknown type."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} (NaN and Infinity have no JSON value)")
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):  # YAML !!binary
        return base64.b64encode(value).decode("ascii")
    raise ValueError(f"a value of type {type(value).__name__}")


# (parent link, key): the path of a node as a linked list, so each node costs O(1) to describe
_Path = tuple[Any, str | int] | None


def _path_pointer(path: _Path) -> str:
    parts: list[str | int] = []
    while path is not None:
        path, key = path
        parts.append(key)
    return pointer(tuple(reversed(parts)))


def json_shaped(data: Any, lines: dict[str, int], *, max_depth: int = MAX_DEPTH) -> Any:
    """A JSON-shaped copy of ``data``: mapping keys as strings, tuples and sets as lists, dates and times as
    ISO 8601 strings, bytes as base64. A NaN or infinite float, an unknown type or nesting deeper than
    ``max_depth`` is a ParseFailure at the line of the offending value (iterative: no recursion limit)."""

    def fail(why: str, path: _Path) -> ParseFailure:
        where = _path_pointer(path)
        return ParseFailure(f"{why} at {where or 'the top'}", line_at(lines, where))

    root: list[Any] = [None]
    # (value, container to fill, key or index in it, path, depth)
    stack: list[tuple[Any, Any, Any, _Path, int]] = [(data, root, 0, None, 0)]
    while stack:
        value, into, slot, path, depth = stack.pop()
        if isinstance(value, dict | list | tuple | set | frozenset):
            if depth >= max_depth:
                raise fail(f"nesting deeper than {max_depth} levels", path)
            children: list[tuple[str | int, Any]]
            if isinstance(value, dict):
                out: Any = {}
                children = [(key_text(k), v) for k, v in value.items()]
                for key, _ in children:
                    out[key] = None
            else:
                items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
                out = [None] * len(items)
                children = list(enumerate(items))
            into[slot] = out
            for key, child in reversed(children):
                stack.append((child, out, key, (path, key), depth + 1))
            continue
        try:
            into[slot] = _scalar(value)
        except ValueError as exc:
            raise fail(str(exc), path) from None
    return root[0]


def guarded(parse: Callable[[str], list[Document]]) -> Callable[[str], list[Document]]:
    """``parse`` with any stray exception (a library bug on an odd file, a recursion limit) turned into a
    ParseFailure, so a caller only ever sees ParseFailure."""

    def run(text: str) -> list[Document]:
        try:
            return parse(text)
        except ParseFailure:
            raise
        except RecursionError:
            raise ParseFailure(f"nesting deeper than this parser can follow (over {MAX_DEPTH} levels)") from None
        except Exception as exc:  # a library's own error type we did not map: still a clean failure
            raise ParseFailure(f"cannot parse: {type(exc).__name__}: {exc}") from None

    run.__name__ = getattr(parse, "__name__", "parse")
    run.__doc__ = parse.__doc__
    return run
