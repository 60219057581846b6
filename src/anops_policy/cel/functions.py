"""The functions the engine adds to CEL (cel-python lacks the strings extension: ``glob``, ``lowerAscii``,
``split``, ``join``, ``replace``, ``trim``, ``days_between``) and the names the static check knows."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import lru_cache

import celpy.celtypes as ct
import celpy.evaluation as ev

from anops_policy.cel.values import MAX_VALUE_LENGTH, CELValue


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
