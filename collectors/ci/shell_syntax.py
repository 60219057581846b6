"""Shell tokens to a syntax tree: and-or lists, pipelines, groups and subshells, simple commands with
their redirects and command substitutions (compound-command keywords are read through, not modelled)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from anops_policy.collectors.ci.shell_tokens import REDIRECTS, Scanner, Subst, Tok

MAX_NESTING = 8


@dataclass
class Cmd:
    words: list[str]
    line: int
    redirects: list[tuple[str, str]]
    substs: list[Subst]
    chunk: int = 0


@dataclass
class Group:
    body: Script
    line: int
    subshell: bool
    chunk: int = 0
    redirects: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Pipeline:
    items: list[Cmd | Group]
    line: int
    negated: bool = False
    chunk: int = 0


@dataclass
class AndOr:
    pipelines: list[Pipeline]
    ops: list[str]
    line: int
    background: bool = False
    condition: bool = False
    chunk: int = 0


@dataclass
class Script:
    lists: list[AndOr]


_DROP_KEYWORDS = {"fi", "done", "esac", "}"}
_LEAD_KEYWORDS = {"then", "else", "do"}
_COND_KEYWORDS = {"if", "elif", "while", "until"}
_HEADER_KEYWORDS = {"for", "select", "case", "function"}


class _Parser:
    def __init__(self, toks: list[Tok], scanner: Scanner) -> None:
        self.toks = toks
        self.i = 0
        self.sc = scanner

    def peek(self) -> Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _skip_newlines(self) -> None:
        while (t := self.peek()) is not None and t.op and t.value == "\n":
            self.i += 1

    def script(self, closer: str | None = None, depth: int = 0) -> Script:
        lists: list[AndOr] = []
        while (t := self.peek()) is not None:
            if t.op and t.value in ("\n", ";", ";;", ";&", ";;&", "&"):
                self.i += 1
                continue
            if closer is not None and t.value == closer and (t.op or closer == "}"):
                break
            if t.op and t.value == ")":
                self.i += 1  # a case pattern's parenthesis
                continue
            before = self.i
            lst = self.and_or(closer, depth)
            if lst is not None:
                nxt = self.peek()
                if nxt is not None and nxt.op and nxt.value == "&":
                    lst.background = True
                lists.append(lst)
            if self.i == before:
                self.i += 1  # never loop on an unexpected token
        return Script(lists)

    def and_or(self, closer: str | None, depth: int) -> AndOr | None:
        condition = False
        pipes: list[Pipeline] = []
        ops: list[str] = []
        while True:
            pipe, cond = self.pipeline(closer, depth)
            condition = condition or cond
            if pipe is not None:
                pipes.append(pipe)
            t = self.peek()
            if t is not None and t.op and t.value in ("&&", "||") and pipe is not None:
                self.i += 1
                ops.append(t.value)
                self._skip_newlines()
                continue
            break
        if not pipes:
            return None
        ops = ops[: len(pipes) - 1]
        return AndOr(pipes, ops, pipes[0].line, condition=condition, chunk=pipes[0].chunk)

    def pipeline(self, closer: str | None, depth: int) -> tuple[Pipeline | None, bool]:
        items: list[Cmd | Group] = []
        negated = condition = False
        while True:
            item, neg, cond = self.command(closer, depth)
            negated, condition = negated or neg, condition or cond
            if item is not None:
                items.append(item)
            t = self.peek()
            if t is not None and t.op and t.value in ("|", "|&") and item is not None:
                self.i += 1
                self._skip_newlines()
                continue
            break
        if not items:
            return None, condition
        return Pipeline(items, items[0].line, negated, items[0].chunk), condition

    def command(self, closer: str | None, depth: int) -> tuple[Cmd | Group | None, bool, bool]:
        negated = condition = False
        while (t := self.peek()) is not None and not t.op:
            if t.value in _COND_KEYWORDS:
                condition = True
            elif t.value == "!":
                negated = True
            elif t.value not in _LEAD_KEYWORDS and t.value not in _DROP_KEYWORDS - {"}"}:
                break
            self.i += 1
        t = self.peek()
        if t is None:
            return None, negated, condition
        if depth < MAX_NESTING and ((t.op and t.value == "(") or (not t.op and t.value == "{")):
            self.i += 1
            close = ")" if t.op else "}"
            body = self.script(close, depth + 1)
            if (c := self.peek()) is not None and c.value == close:
                self.i += 1
            return Group(body, t.line, close == ")", t.chunk, self._redirects_only()), negated, condition
        if not t.op and t.value in _HEADER_KEYWORDS:
            # `for x in a b; do`, `case $x in`: skip the header up to `in` (case) or the separator
            is_case = t.value == "case"
            while (t2 := self.peek()) is not None and not (t2.op and t2.value in ("\n", ";", "&&", "||")):
                self.i += 1
                if is_case and not t2.op and t2.value == "in":
                    break
            return None, negated, condition
        words: list[str] = []
        redirects: list[tuple[str, str]] = []
        substs: list[Subst] = []
        line, chunk = t.line, t.chunk
        while (t := self.peek()) is not None:
            if t.op:
                if t.value in REDIRECTS:
                    self.i += 1
                    if words and words[-1].isdigit() and len(words[-1]) <= 2:
                        words.pop()
                    target = self.peek()
                    if target is not None and not target.op:
                        redirects.append((t.value, self.sc.restore(target.value)))
                        self.i += 1
                    continue
                break
            if closer == "}" and t.value == "}" and not words:
                break
            substs.extend(self.sc.inner_scripts(t.value))
            words.append(self.sc.restore(t.value))
            self.i += 1
        if words and words[0] in _DROP_KEYWORDS:
            words = words[1:]
        if len(words) >= 1 and (words[0].endswith("()") or (len(words) > 1 and words[1] == "()")):
            return None, negated, condition  # a function definition header
        if not words and not redirects and not substs:
            return None, negated, condition
        return Cmd(words, line, redirects, substs, chunk), negated, condition

    def _redirects_only(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        while (t := self.peek()) is not None and t.op and t.value in REDIRECTS:
            self.i += 1
            if (t2 := self.peek()) is not None and not t2.op:
                out.append((t.value, self.sc.restore(t2.value)))
                self.i += 1
        return out


def parse(chunks: Sequence[tuple[str, int, bool]]) -> tuple[Script, Scanner]:
    """Parse script text (chunks of ``(text, first_line, literal)``) into a syntax tree."""
    scanner = Scanner()
    toks = scanner.tokens(chunks)
    return _Parser(toks, scanner).script(), scanner


def parse_inner(text: str, line: int, scanner: Scanner, chunk: int = 0) -> Script:
    """Parse a command substitution's (or ``sh -c``) text with the same placeholder table."""
    sub = Scanner()
    sub.subs = scanner.subs
    toks = sub.tokens([(text, line, False)], first_chunk=chunk)
    return _Parser(toks, sub).script()
