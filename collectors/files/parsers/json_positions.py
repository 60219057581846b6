"""Source lines of a JSON, JSONC or JSON5 text, found by a second pass over it (the libraries give data
only). One tokenizer serves the three: JSON5 is a superset of the others, and the pass runs only on text
the library has already accepted, so it needs to find tokens, not to validate them.

Linear: ``re.finditer`` in C finds each token (strings and comments are single matches, so their content
is never looked at in Python) and lines are counted with ``str.count`` between tokens. Commas and colons
are skipped: an object alternates key and value and an array counts its values, so neither is needed.
Iterative (a stack, no recursion); nesting is bounded; past ``MAX_POSITIONS`` entries only the depth is
checked, in C. A 5 MB single-line document takes ~0.5 s, ``json.loads`` included.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import accumulate

from anops_policy.collectors.files.parsers.model import MAX_DEPTH, MAX_POSITIONS, ParseFailure, line_column, token

# One token per match, the separators before it (whitespace, commas, colons) consumed by the same match (a
# finditer that had to skip them would try every alternative at each skipped character): strings, comments,
# brackets, and atoms (numbers, literals, JSON5 identifier keys). The pass runs on text the library has
# accepted, so an unterminated string or comment cannot occur.
_DOUBLE = r'"[^"\\]*(?:\\[\s\S][^"\\]*)*"'
_SINGLE = r"'[^'\\]*(?:\\[\s\S][^'\\]*)*'"
_COMMENT = r"//[^\n]*|/\*[\s\S]*?\*/"
_ATOM = r"""[^\s,:\[\]{}"'/]+"""
JSON5_TOKEN = re.compile(rf"[\s,:]*({_DOUBLE}|{_SINGLE}|{_COMMENT}|[\[\]{{}}]|{_ATOM})")
JSON_TOKEN = re.compile(rf"[\s,:]*({_DOUBLE}|[\[\]{{}}]|{_ATOM})")
# for the depth check: what to drop before counting brackets
_JSON5_SKIP = re.compile(rf"{_DOUBLE}|{_SINGLE}|{_COMMENT}")
_JSON_SKIP = re.compile(_DOUBLE)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_DELTA = {"[": 1, "{": 1, "]": -1, "}": -1}


def check_depth(text: str, *, json5: bool, start: int = 0, depth: int = 0, limit: int = MAX_DEPTH) -> None:
    """ParseFailure at the bracket of ``text[start:]`` (entered at ``depth``) that opens level ``limit + 1``.
    Fast path in C (drop strings and comments, keep brackets, running sum); the token walk only runs to
    name the line."""
    brackets = _NOT_BRACKETS.sub("", (_JSON5_SKIP if json5 else _JSON_SKIP).sub("", text[start:]))
    if max(accumulate(map(_DELTA.__getitem__, brackets), initial=depth)) <= limit:
        return
    for match in (JSON5_TOKEN if json5 else JSON_TOKEN).finditer(text, start):
        char = text[match.start(1)]
        if char in "[{":
            depth += 1
            if depth > limit:
                line, column = line_column(text, match.start(1))
                raise ParseFailure(f"nesting deeper than {limit} levels", line, column)
        elif char in "]}":
            depth -= 1
    raise ParseFailure(f"nesting deeper than {limit} levels")


def scan_lines(
    text: str, *, json5: bool, decode: Callable[[str], str], cap: int = MAX_POSITIONS, limit: int = MAX_DEPTH
) -> dict[str, int]:
    """JSON pointer -> 1-based line of each object key and array item (``""``: the top value); a
    ParseFailure where nesting passes ``limit``. ``decode`` turns a key token with escapes (quoted, or a
    JSON5 identifier with ``\\uXXXX``) into the key's text. Past ``cap`` entries only the depth is checked."""
    lines: dict[str, int] = {}
    stack: list[tuple[str, bool, int | bool]] = []  # the enclosing containers' frames
    # the innermost open container: its pointer, whether it is an object, and its state: an array's next
    # index, or whether an object expects a key next
    where, is_object, state = "", False, 0
    opened = False  # inside the top value
    line, at = 1, 0
    multiline = "\n" in text
    key_pointer = ""  # pointer of the object member whose value comes next
    for match in (JSON5_TOKEN if json5 else JSON_TOKEN).finditer(text):
        raw = match.group(1)
        char = raw[0]
        if char == "/":
            continue  # a comment
        if multiline:
            start = match.start(1)
            line += text.count("\n", at, start)
            at = start
        if char in "]}":
            if stack:
                where, is_object, state = stack.pop()
                if is_object:
                    state = True  # the member is complete: a key comes next
            continue
        if opened and is_object and state:  # an object key
            key = decode(raw) if "\\" in raw else raw[1:-1] if char in "\"'" else raw
            key_pointer = f"{where}/{token(key)}"
            lines[key_pointer] = line  # a repeated key: the last one holds the value, as in the data
            state = False
            continue
        # a value: the top one, an array item, or an object member's value (its key holds the line)
        if not opened:
            here = ""
            lines[""] = line
        elif is_object:
            here = key_pointer
            state = True
        else:
            here = f"{where}/{state}"
            lines[here] = line
            state += 1
        if char in "[{":
            if opened:
                stack.append((where, is_object, state))
            if len(stack) >= limit:
                line, column = line_column(text, match.start(1))
                raise ParseFailure(f"nesting deeper than {limit} levels", line, column)
            where, is_object, state = here, char == "{", char == "{" or 0
        opened = True
        if len(lines) >= cap:
            check_depth(text, json5=json5, start=match.end(), depth=len(stack) + 1, limit=limit)
            break
    return lines
