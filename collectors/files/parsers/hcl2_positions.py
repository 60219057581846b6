"""Source lines of an HCL2 file (Terraform), found by a second pass over text ``python-hcl2`` has accepted.
Granularity: blocks and attributes. A block ``resource "aws_s3_bucket" "logs" {`` (the second ``resource``
block of its body) records ``/resource``, ``/resource/1``, ``/resource/1/aws_s3_bucket`` and
``/resource/1/aws_s3_bucket/logs`` at its header line; an attribute ``bucket = …`` records
``<block>/bucket``. Expressions are skipped whole (strings with ``${…}`` templates, heredocs, comments,
brackets over several lines): keys inside an object value take their attribute's line.
"""

from __future__ import annotations

import json
import re

from anops_policy.collectors.files.parsers.model import MAX_POSITIONS, LineScanner, ScanStopped, token

_BLANK = re.compile(r"(?:[ \t\r\n]|#[^\n]*|//[^\n]*|/\*[\s\S]*?(?:\*/|\Z))*")
_SPACE = re.compile(r"[ \t]*")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_LABEL = re.compile(r'"(?:[^"\\\n]|\\.)*"|[A-Za-z_][A-Za-z0-9_-]*')
_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n")
_PLAIN = re.compile(r'[^"\n#/(){}\[\]<]+')  # expression text with nothing to track
_IN_STRING = re.compile(r'\\.|\$\$\{|%%\{|[$%]\{|"|\n')
_IN_TEMPLATE = re.compile(r'[^"{}]+')


class _Scanner(LineScanner):
    def __init__(self, text: str, cap: int) -> None:
        super().__init__(text, cap, {"": 1})

    def scan(self) -> dict[str, int]:
        bodies: list[tuple[str, dict[str, int]]] = [("", {})]  # block pointer, blocks per type so far
        text = self.text
        try:
            while True:
                self.skip(_BLANK)
                if self.pos >= len(text):
                    break
                if text[self.pos] == "}":
                    if len(bodies) > 1:
                        bodies.pop()
                    self.pos += 1
                    continue
                name = _NAME.match(text, self.pos)
                if name is None:
                    raise ScanStopped
                line = self.line()
                self.pos = name.end()
                self.skip(_SPACE)
                body, counts = bodies[-1]
                if text.startswith("=", self.pos) and not text.startswith("==", self.pos):
                    self.pos += 1
                    self.record(f"{body}/{token(name.group())}", line)
                    self.expression()
                    continue
                labels = self.labels()
                index = counts.get(name.group(), 0)
                counts[name.group()] = index + 1
                where = f"{body}/{token(name.group())}"
                self.record(where, line, first=True)
                where += f"/{index}"
                self.record(where, line)
                for label in labels:
                    where += f"/{token(label)}"
                    self.record(where, line)
                bodies.append((where, {}))
        except ScanStopped:
            pass
        return self.lines

    def labels(self) -> list[str]:
        """A block's labels up to and past its ``{``."""
        out: list[str] = []
        while True:
            self.skip(_SPACE)
            if self.text.startswith("{", self.pos):
                self.pos += 1
                return out
            match = _LABEL.match(self.text, self.pos)
            if match is None:
                raise ScanStopped
            raw = match.group()
            if raw.startswith('"'):
                raw = _unquote(raw)
            out.append(raw)
            self.pos = match.end()

    def expression(self) -> None:
        """Skip an attribute's expression: up to a newline (or the block's ``}``) outside any bracket."""
        text, depth = self.text, 0
        while self.pos < len(text):
            plain = _PLAIN.match(text, self.pos)
            if plain:
                self.pos = plain.end()
                continue
            char = text[self.pos]
            if (char == "\n" and depth == 0) or (char == "}" and depth == 0):
                return
            if char == '"':
                self.pos += 1
                self.string()
                continue
            if char == "<":
                heredoc = _HEREDOC.match(text, self.pos)
                if heredoc:
                    end = re.compile(rf"^[ \t]*{re.escape(heredoc.group(1))}[ \t]*\r?$", re.MULTILINE)
                    closing = end.search(text, heredoc.end())
                    self.pos = closing.end() if closing else len(text)
                    continue
            elif char == "#" or text.startswith("//", self.pos):
                newline = text.find("\n", self.pos)
                self.pos = len(text) if newline < 0 else newline
                continue
            elif text.startswith("/*", self.pos):
                close = text.find("*/", self.pos + 2)
                self.pos = len(text) if close < 0 else close + 2
                continue
            elif char in "([{":
                depth += 1
            elif char in ")]}":
                depth -= 1
            self.pos += 1

    def string(self) -> None:
        """Skip a quoted template after its opening quote; ``${…}`` and ``%{…}`` may hold strings again."""
        modes: list[int] = []  # for each open template: its brace depth; an open string is -1
        modes.append(-1)
        text = self.text
        while modes and self.pos < len(text):
            if modes[-1] == -1:  # inside a string
                match = _IN_STRING.search(text, self.pos)
                if match is None:
                    self.pos = len(text)
                    return
                self.pos = match.end()
                found = match.group()
                if found in ('"', "\n"):
                    modes.pop()
                elif found in ("${", "%{"):
                    modes.append(0)
                continue
            plain = _IN_TEMPLATE.match(text, self.pos)  # inside a template
            if plain:
                self.pos = plain.end()
                continue
            char = text[self.pos]
            self.pos += 1
            if char == '"':
                modes.append(-1)
            elif char == "{":
                modes[-1] += 1
            elif modes[-1] == 0:  # the template's closing brace
                modes.pop()
            else:
                modes[-1] -= 1


def _unquote(raw: str) -> str:
    """A quoted label's text (HCL's escapes are JSON's plus ``\\U``; anything else is kept as written)."""
    if "\\" not in raw:
        return raw[1:-1]
    try:
        return str(json.loads(raw))
    except ValueError:
        return raw[1:-1]


def hcl2_lines(text: str, cap: int = MAX_POSITIONS) -> dict[str, int]:
    """JSON pointer -> 1-based line of each block and attribute; ``""`` is line 1."""
    return _Scanner(text, cap).scan()
