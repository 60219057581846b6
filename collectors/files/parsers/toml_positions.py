"""Source lines of a TOML document, found by a second pass over text ``tomllib`` has accepted: the line of
each table header (``[a.b]``), each array-of-tables element (``[[x]]`` -> ``/x/0``, ``/x/1`` …, nested ones
under the current element), each key (dotted keys record every level at its first mention), each key of
an inline table and each array item. Iterative (an explicit stack) and linear: every step consumes text.
"""

from __future__ import annotations

import re
import tomllib

from anops_policy.collectors.files.parsers.model import (
    MAX_DEPTH,
    MAX_POSITIONS,
    LineScanner,
    ParseFailure,
    ScanStopped,
    line_column,
    token,
)

_BLANK = re.compile(r"(?:[ \t\r\n]|#[^\n]*)*")  # whitespace, newlines and comments
_SPACE = re.compile(r"[ \t]*")
_KEY = re.compile(r"""[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*'""")
_DOT = re.compile(r"[ \t]*\.[ \t]*")
_SCALAR = re.compile(
    r'"""(?:[^"\\]|\\[\s\S]|"(?!""))*"""(?:"{1,2})?'
    r"|'''(?:[^']|'(?!''))*'''(?:'{1,2})?"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'[^'\n]*'"
    r"|\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})?)?"
    r"|[^\s,\]}#]+"
)


class _Scanner(LineScanner):
    def expect(self, literal: str) -> None:
        if not self.text.startswith(literal, self.pos):
            raise ScanStopped
        self.pos += len(literal)

    def keys(self) -> list[str]:
        out: list[str] = []
        while True:
            match = _KEY.match(self.text, self.pos)
            if match is None:
                raise ScanStopped
            raw = match.group()
            if raw[0] == "'":
                out.append(raw[1:-1])
            elif raw[0] == '"':
                out.append(raw[1:-1] if "\\" not in raw else str(tomllib.loads(f"k = {raw}")["k"]))
            else:
                out.append(raw)
            self.pos = match.end()
            dot = _DOT.match(self.text, self.pos)
            if dot is None:
                return out
            self.pos = dot.end()

    def scan(self) -> dict[str, int]:
        table = ""
        arrays: dict[str, int] = {}  # array of tables -> elements so far
        try:
            while True:
                self.skip(_BLANK)
                if self.pos >= len(self.text):
                    break
                line = self.line()
                if self.text.startswith("[", self.pos):
                    array = self.text.startswith("[[", self.pos)
                    self.pos += 2 if array else 1
                    self.skip(_SPACE)
                    names = self.keys()
                    self.skip(_SPACE)
                    self.expect("]]" if array else "]")
                    table = self.header(names, array, arrays, line)
                else:
                    where = self.dotted(table, line)
                    self.skip(_SPACE)
                    self.expect("=")
                    self.value(where)
        except ScanStopped:
            pass
        return self.lines

    def header(self, names: list[str], array: bool, arrays: dict[str, int], line: int) -> str:
        where = ""
        for number, name in enumerate(names):
            where += "/" + token(name)
            last = number == len(names) - 1
            if last and array:
                count = arrays.get(where, 0)
                arrays[where] = count + 1
                self.record(where, line, first=True)
                where += f"/{count}"
                self.record(where, line)
            else:
                self.record(where, line, first=not last)
                if not last and where in arrays:
                    where += f"/{arrays[where] - 1}"
        return where

    def dotted(self, base: str, line: int) -> str:
        names = self.keys()
        where = base
        for number, name in enumerate(names):
            where += "/" + token(name)
            self.record(where, line, first=number < len(names) - 1)
        return where

    def value(self, where: str) -> None:
        """Skip one value starting at ``self.pos`` (after blanks), recording array items and inline-table keys."""
        stack: list[list[str | int]] = []  # [pointer, next index] of an array, [pointer] of an inline table
        self.skip(_SPACE)
        while True:
            char = self.text[self.pos : self.pos + 1]
            if char in ("[", "{"):
                if len(stack) >= MAX_DEPTH:
                    line, column = line_column(self.text, self.pos)
                    raise ParseFailure(f"nesting deeper than {MAX_DEPTH} levels", line, column)
                self.pos += 1
                stack.append([where, 0] if char == "[" else [where])
            else:
                match = _SCALAR.match(self.text, self.pos)
                if match is None:
                    raise ScanStopped
                self.pos = match.end()
            while True:  # after a value: the next item, key or closing bracket
                if not stack:
                    return
                self.skip(_BLANK)
                char = self.text[self.pos : self.pos + 1]
                if char == ",":
                    self.pos += 1
                elif char in ("]", "}"):
                    self.pos += 1
                    stack.pop()
                elif not char:
                    raise ScanStopped
                else:
                    frame = stack[-1]
                    if len(frame) == 2:  # an array item
                        index = int(frame[1])
                        frame[1] = index + 1
                        where = f"{frame[0]}/{index}"
                        self.record(where, self.line())
                    else:  # an inline table's key
                        where = self.dotted(str(frame[0]), self.line())
                        self.skip(_SPACE)
                        self.expect("=")
                        self.skip(_SPACE)
                    break


def toml_lines(text: str, cap: int = MAX_POSITIONS) -> dict[str, int]:
    """JSON pointer -> 1-based line; ``""`` is line 1. Raises ParseFailure only for over-deep nesting."""
    lines = _Scanner(text, cap).scan()
    return {"": 1, **lines}
