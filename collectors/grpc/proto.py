"""Parsing ``.proto`` files: syntax, package, imports, services and their rpcs (types, streaming flags),
messages (nested ones by dotted name) and enums, each with its line; comments and strings never match."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MAX_NESTING = 64  # nested message levels followed (protoc itself stops at 100)

_PROTO_TOKEN = re.compile(
    r"""(?P<nl>\n)|(?P<comment>//[^\n]*|/\*.*?\*/)|(?P<open_comment>/\*)
      |(?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
      |(?P<ident>\.?[A-Za-z_][\w.]*)|(?P<num>[-+]?\d[\w.+-]*)|(?P<punct>[^\s])""",
    re.VERBOSE | re.DOTALL,
)


def _proto_tokens(text: str) -> tuple[list[tuple[str, str, int]], list[tuple[int, str]]]:
    """(kind, text, line) tokens without comments, and problems (an unterminated block comment ends
    the file, as it does for protoc)."""
    out: list[tuple[str, str, int]] = []
    problems: list[tuple[int, str]] = []
    line = 1
    for m in _PROTO_TOKEN.finditer(text):
        kind = m.lastgroup or "punct"
        value = m.group()
        if kind == "open_comment":
            problems.append((line, "unterminated block comment"))
            break
        if kind not in {"nl", "comment"}:
            out.append((kind, value[1:-1] if kind == "str" else value, line))
        line += value.count("\n")
    return out, problems


@dataclass
class Proto:
    path: str
    syntax: str | None = None
    package: str | None = None
    package_line: int | None = None
    imports: list[str] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    enums: list[dict[str, Any]] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)


def parse_proto(path: str, text: str) -> Proto:
    toks, problems = _proto_tokens(text)
    proto = Proto(path, problems=problems)
    n = len(toks)

    def block_end(start: int) -> int:
        """Index of the ``}`` closing the ``{`` at ``start``."""
        depth = 0
        for j in range(start, n):
            if toks[j][1] == "{" and toks[j][0] == "punct":
                depth += 1
            elif toks[j][1] == "}" and toks[j][0] == "punct":
                depth -= 1
                if depth == 0:
                    return j
        return n - 1

    def body(start: int, end: int, scope: str, depth: int = 0) -> None:
        if depth > MAX_NESTING:
            proto.problems.append((toks[start][2] if start < n else 0, f"messages nested deeper than {MAX_NESTING}"))
            return
        j = start
        while j < end:
            kind, value, line = toks[j]
            nxt = toks[j + 1] if j + 1 < end else ("", "", 0)
            if kind == "ident" and value in ("message", "enum", "service") and nxt[0] == "ident":
                k = j + 2
                while k < end and toks[k][1] != "{":
                    k += 1
                close = block_end(k)
                full = f"{scope}.{nxt[1]}" if scope else nxt[1]
                if value == "message":
                    proto.messages.append({"name": full, "line": line})
                    body(k + 1, close, full, depth + 1)
                elif value == "enum":
                    proto.enums.append({"name": full, "line": line})
                else:
                    proto.services.append({"name": nxt[1], "line": line, "rpcs": _rpcs(toks, k + 1, close)})
                j = close + 1
                continue
            if kind == "ident" and value in ("oneof", "extend") and nxt[0] == "ident":
                k = j + 2
                while k < end and toks[k][1] != "{":
                    k += 1
                close = block_end(k)
                if value == "oneof":
                    body(k + 1, close, scope, depth + 1)  # fields of a oneof belong to the message
                j = close + 1
                continue
            if not scope and kind == "ident" and value in ("syntax", "edition") and nxt[1] == "=":
                if j + 2 < end and toks[j + 2][0] == "str":
                    proto.syntax = toks[j + 2][1] if value == "syntax" else f"edition {toks[j + 2][1]}"
            elif not scope and kind == "ident" and value == "package" and nxt[0] == "ident":
                proto.package, proto.package_line = nxt[1], line
            elif not scope and kind == "ident" and value == "import":
                k = j + 1
                if k < end and toks[k][1] in ("public", "weak"):
                    k += 1
                if k < end and toks[k][0] == "str":
                    proto.imports.append(toks[k][1])
            elif kind == "punct" and value == "{":
                j = block_end(j) + 1  # option values and other braces
                continue
            j += 1

    body(0, n, "")
    return proto


def _rpcs(toks: list[tuple[str, str, int]], start: int, end: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    j = start
    while j < end:
        kind, value, line = toks[j]
        if kind == "ident" and value == "rpc" and j + 1 < end:
            name = toks[j + 1][1]
            sig: list[tuple[str, str, int]] = []
            k = j + 2
            while k < end and toks[k][1] not in (";", "{"):
                sig.append(toks[k])
                k += 1
            groups: list[list[str]] = [[]]
            for tk in sig:
                if tk[1] == "(":
                    groups.append([])
                elif tk[0] == "ident" and tk[1] != "returns":
                    groups[-1].append(tk[1])
            request = groups[1] if len(groups) > 1 else []
            response = groups[2] if len(groups) > 2 else []
            out.append(
                {
                    "name": name,
                    "line": line,
                    "request": request[-1].lstrip(".") if request else None,
                    "response": response[-1].lstrip(".") if response else None,
                    "client_streaming": "stream" in request[:-1],
                    "server_streaming": "stream" in response[:-1],
                }
            )
            if k < end and toks[k][1] == "{":  # an options block instead of `;`
                depth = 0
                while k < end:
                    depth += toks[k][1] == "{"
                    depth -= toks[k][1] == "}"
                    k += 1
                    if depth == 0:
                        break
                j = k
                continue
            j = k
        j += 1
    return out
