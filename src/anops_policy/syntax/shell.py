"""Shell text (CI ``run:``/``script:`` lines, ``RUN`` instructions) through tree-sitter's bash grammar: the
and-or lists, pipelines, groups and subshells, simple commands with their words (unquoted the way the shell
reads them), redirections and command substitutions that exit-status reasoning needs.

Compound commands are read the way the scanner they replace read them, so that a condition's masking is
decided against everything after it: the condition lists of ``if``/``elif``/``while``/``until`` are marked
``condition`` and followed in the same list by their bodies; ``for``/``case`` bodies, function bodies and
``then``/``else`` branches are read in place.

What the grammar cannot parse is recorded (``ShellScript.errors``, the lines where tree-sitter recovered from
a syntax error) and never dropped silently: the commands it recovered are still read, and callers decide how
a syntax error weighs (the CI collector treats it as "cannot decide"). GitHub ``${{ … }}`` expressions are
not shell: each is replaced by a plain word before parsing and restored in the words."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field

from ast_grep_py import SgNode, SgRoot

MAX_SCRIPT_CHARS = 200_000
MAX_NESTING = 8
# Statements nested deeper than this (``if`` in ``if`` …, recovered ERROR in ERROR) are not read: Python's
# recursion would run out first. What is not read is a syntax error for the caller (never "not masking").
MAX_STATEMENT_DEPTH = 100

_GH_EXPR = re.compile(r"\$\{\{.*?\}\}", re.S)
_GH_MARK = re.compile(r"__anops_gh_(\d+)__((?:\\?\n)*)")  # with the line breaks it kept
_PROTECT = re.compile(r"\x02(\d+)\x03")
_SUBST_KINDS = frozenset({"command_substitution", "process_substitution"})
_PROTECTED_KINDS = _SUBST_KINDS | {"expansion", "arithmetic_expansion", "simple_expansion"}
_REDIRECT_KINDS = frozenset({"file_redirect", "heredoc_redirect", "herestring_redirect"})
_CONDITIONAL = frozenset({"if_statement", "while_statement", "for_statement", "c_style_for_statement",
                          "case_statement", "function_definition"})
_SKIP = frozenset({"comment", "heredoc_body", "heredoc_end", "heredoc_start"})
_LIST_OPS = frozenset({"&&", "||"})
_PIPE_OPS = frozenset({"|", "|&"})


@dataclass
class Subst:
    """A command substitution (``$( )``, backticks, ``<( )``) in a command's words, with its commands."""

    original: str
    script: Script
    line: int


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


@dataclass
class ShellScript:
    script: Script
    errors: list[tuple[int, int]]  # (line, chunk) of each syntax error tree-sitter recovered from


@dataclass
class _Negated:
    item: Cmd | Group | list[object]


class _Builder:
    """One parse of the joined chunks; ``where(row)`` maps a row of the joined text to (line, chunk)."""

    def __init__(self, source: str, rows: list[tuple[int, int, int, bool]], exprs: list[str],
                 fixed: tuple[int, int] | None) -> None:
        self.source = source
        self.rows = rows  # (first row, first line, chunk, literal) per chunk
        self.exprs = exprs
        self.fixed = fixed
        self.errors: list[tuple[int, int]] = []
        self.pending: list[Cmd] = []  # assignments the grammar joined to the next line's command
        self.level = 0

    def where(self, node: SgNode) -> tuple[int, int]:
        if self.fixed is not None:
            return self.fixed
        row = node.range().start.line
        found = self.rows[0]
        for entry in self.rows:
            if entry[0] > row:
                break
            found = entry
        first_row, first_line, chunk, literal = found
        return (first_line + row - first_row if literal else first_line), chunk

    def restore(self, text: str) -> str:
        return _GH_MARK.sub(lambda m: self.exprs[int(m.group(1))], text) if "__anops_gh_" in text else text

    # -- statements ------------------------------------------------------------------------------
    def script(self, container: SgNode, depth: int) -> Script:
        lists: list[AndOr] = []
        children = container.children()
        for index, child in enumerate(children):
            kind = child.kind()
            if kind == "&":
                if lists:
                    lists[-1].background = True
                continue
            if not child.is_named() or kind in _SKIP:
                continue
            if kind in _CONDITIONAL and index + 1 < len(children) and children[index + 1].kind() == "&":
                # `if …; fi &`: the whole compound command runs in the background, as one unit
                lists.append(self._and_or([self._item(child, depth)], child, False))
                continue
            lists.extend(self.statement(child, depth))
        return Script(lists)

    def statement(self, node: SgNode, depth: int, condition: bool = False) -> list[AndOr]:
        if self.level >= MAX_STATEMENT_DEPTH:
            self.errors.append(self.where(node))
            return []
        self.level += 1
        try:
            lists = self._statement(node, depth, condition)
        finally:
            self.level -= 1
        if self.pending:
            before = [AndOr([Pipeline([c], c.line, chunk=c.chunk)], [], c.line, chunk=c.chunk) for c in self.pending]
            self.pending = []
            return [*before, *lists]
        return lists

    def _statement(self, node: SgNode, depth: int, condition: bool) -> list[AndOr]:
        kind = node.kind()
        if kind == "ERROR":
            self.errors.append(self.where(_last_token(node)))
            return self.script(node, depth).lists
        if kind in ("if_statement", "elif_clause"):
            return self._conditional(node, depth, ("then",))
        if kind in ("while_statement", "until_statement"):
            return self._conditional(node, depth, ("do_group",))
        if kind in ("for_statement", "c_style_for_statement", "select_statement", "case_statement",
                    "else_clause", "do_group", "case_item", "function_definition", "compound_statement"):
            if kind == "function_definition":
                # the definition runs nothing (a no-op named for the function), its body is read in place
                name = node.field("name")
                line, chunk = self.where(node)
                header = Cmd([name.text()] if name is not None else [], line, [], [], chunk)
                return [self._and_or([header], node, condition), self._and_or([self._item(node, depth)], node, False)]
            if kind == "compound_statement" and depth < MAX_NESTING:
                return [self._and_or([self._item(node, depth)], node, condition)]
            return self._body(node, depth)
        if kind == "redirected_statement":
            body = node.field("body")
            if body is not None and body.kind() in _CONDITIONAL and not self._continuation(node):
                return self.statement(body, depth, condition)
        return [self._and_or(self._sequence(node, depth), node, condition)]

    def _body(self, node: SgNode, depth: int) -> list[AndOr]:
        out: list[AndOr] = []
        for child in node.children():
            if child.is_named() and child.kind() not in _SKIP and child.kind() not in (
                    "variable_name", "word", "extglob_pattern", "concatenation", "string", "raw_string", "number",
                    "simple_expansion", "expansion", "command_substitution", "binary_expression"):
                out.extend(self.statement(child, depth) if child.kind() != "do_group" else self._body(child, depth))
        return out

    def _conditional(self, node: SgNode, depth: int, body_start: tuple[str, ...]) -> list[AndOr]:
        """``if``/``elif``/``while``: the condition lists (marked), then the bodies in order."""
        out: list[AndOr] = []
        in_condition = True
        for child in node.children():
            kind = child.kind()
            if kind in body_start:
                in_condition = False
                if kind == "do_group":
                    out.extend(self._body(child, depth))
                continue
            if kind == "&" and out:
                out[-1].background = True
            if not child.is_named() or kind in _SKIP:
                continue
            lists = self.statement(child, depth)  # a body statement, or an elif/else clause
            for lst in lists:
                lst.condition = lst.condition or in_condition
            out.extend(lists)
        return out

    def _and_or(self, seq: list[object], node: SgNode, condition: bool) -> AndOr:
        """``seq`` alternates operands (items or negated items) and operators, in source order."""
        line, chunk = self.where(node)
        pipes: list[Pipeline] = []
        ops: list[str] = []
        current: list[Cmd | Group] = []
        negated = False
        for part in seq:
            if isinstance(part, str):
                if part in _LIST_OPS:
                    if current:
                        pipes.append(Pipeline(current, current[0].line, negated, current[0].chunk))
                        ops.append(part)
                    current, negated = [], False
                continue
            if isinstance(part, _Negated):
                negated = negated or not current
                inner = part.item
                current.extend(x for x in (inner if isinstance(inner, list) else [inner])
                               if isinstance(x, (Cmd, Group)))
                continue
            if isinstance(part, (Cmd, Group)):
                current.append(part)
        if current:
            pipes.append(Pipeline(current, current[0].line, negated, current[0].chunk))
        ops = ops[: max(len(pipes) - 1, 0)]
        if not pipes:
            pipes = [Pipeline([Cmd([], line, [], [], chunk)], line, False, chunk)]
        return AndOr(pipes, ops, pipes[0].line, condition=condition, chunk=pipes[0].chunk)

    def _continuation(self, node: SgNode) -> list[SgNode]:
        """A here-document's ``| cmd`` / ``&& cmd`` after its start, which the grammar nests in the redirect."""
        out: list[SgNode] = []
        for redirect in node.children():
            if redirect.kind() == "heredoc_redirect":
                out.extend(c for c in redirect.children() if c.kind() in ("pipeline", "list"))
        return out

    def _sequence(self, node: SgNode, depth: int) -> list[object]:
        kind = node.kind()
        if kind in ("list", "pipeline"):
            # the grammar nests `a && b && c` one level per operator: flattened without recursion
            seq: list[object] = []
            stack = [node]
            while stack:
                current = stack.pop()
                ckind = current.kind()
                if ckind in ("list", "pipeline"):
                    stack.extend(reversed([c for c in current.children() if c.kind() in _LIST_OPS
                                           or c.kind() in _PIPE_OPS or (c.is_named() and c.kind() not in _SKIP)]))
                elif ckind in _LIST_OPS or ckind in _PIPE_OPS:
                    seq.append(ckind)
                else:
                    seq.extend(self._sequence(current, depth))
            return seq
        if kind == "negated_command":
            inner = [c for c in node.children() if c.is_named() and c.kind() not in _SKIP]
            parts = [p for c in inner for p in self._sequence(c, depth)]
            return [_Negated(parts)]
        if kind == "redirected_statement":
            rest = [p for c in self._continuation(node) for p in self._sequence(c, depth)]
            body = node.field("body")
            if body is not None and body.kind() in ("pipeline", "list", "negated_command"):
                # the grammar hangs `a | b > f`'s redirect on the pipeline: it is b's
                seq = self._sequence(body, depth)
                last = [x for x in _items(seq) if isinstance(x, (Cmd, Group))][-1:]
                for item in last:
                    item.redirects.extend(r for c in node.children() if c.kind() in _REDIRECT_KINDS
                                          for r in self._redirect(c))
                return [*seq, *rest]
            return [self._item(node, depth), *rest]
        return [self._item(node, depth)]

    # -- items -----------------------------------------------------------------------------------
    def _item(self, node: SgNode, depth: int) -> Cmd | Group:
        kind = node.kind()
        line, chunk = self.where(node)
        if kind == "redirected_statement":
            redirects = [r for c in node.children() if c.kind() in _REDIRECT_KINDS for r in self._redirect(c)]
            body = node.field("body")
            if body is None:
                return Cmd([], line, redirects, [], chunk)
            item = self._item(body, depth)
            item.redirects.extend(redirects)
            return item
        if kind in ("subshell", "compound_statement", "function_definition") or kind in _CONDITIONAL:
            if depth >= MAX_NESTING:  # the analysis reads no deeper either
                return Group(Script([]), line, kind == "subshell", chunk)
            if kind == "function_definition":
                body = node.field("body")
                node = body if body is not None else node
            lists = self.script(node, depth + 1).lists if kind in ("subshell", "compound_statement") \
                or node.kind() == "compound_statement" else self.statement(node, depth + 1)
            return Group(Script(lists), line, kind == "subshell", chunk)
        if kind == "command":
            return self._command(node, depth, line, chunk)
        if kind == "ERROR":
            self.errors.append(self.where(_last_token(node)))
        words, substs = self._words([node], depth, line, chunk)
        return Cmd(words, line, [], substs, chunk)

    def _command(self, node: SgNode, depth: int, line: int, chunk: int) -> Cmd:
        parts: list[SgNode] = []
        redirects: list[tuple[str, str]] = []
        name = node.field("name")
        children = node.children()
        assigns = [c for c in children if c.kind() == "variable_assignment"]
        if assigns and name is not None:
            gap = self.source[assigns[-1].range().end.index:name.range().start.index]
            if re.search(r"(?<!\\)\n", gap):  # `A=1 B=2` on its own line: the grammar joins the next command
                words, substs = self._words(assigns, depth, line, chunk)
                self.pending.append(Cmd(words, line, [], substs, chunk))
                children = [c for c in children if c.kind() != "variable_assignment"]
                line, chunk = self.where(name)
        for child in children:
            kind = child.kind()
            if kind in _REDIRECT_KINDS:
                redirects.extend(self._redirect(child))
            elif child.is_named() and kind not in _SKIP:
                head = child.child(0) if kind == "command_name" else None
                parts.append(head if head is not None else child)
        words, substs = self._words(parts, depth, line, chunk)
        return Cmd(words, line, redirects, substs, chunk)

    def _words(self, nodes: Sequence[SgNode], depth: int, line: int, chunk: int) -> tuple[list[str], list[Subst]]:
        words: list[str] = []
        substs: list[Subst] = []
        for node in nodes:
            words.extend(self.word_values(node))
            if depth < MAX_NESTING:
                for sub in _outermost(node, _SUBST_KINDS):
                    fixed = (line, chunk)
                    inner = _Builder(self.source, self.rows, self.exprs, fixed)
                    script = inner.script(sub, depth + 1)
                    self.errors.extend(inner.errors)
                    substs.append(Subst(self.restore(sub.text()), script, line))
        return words, substs

    def word_values(self, node: SgNode) -> list[str]:
        """A word as the shell reads it (quotes removed, escapes applied), substitutions kept as written."""
        text = node.text()
        if not any(c in text for c in "'\"\\ \t\n"):
            return [self.restore(text)] if text else []
        protected: list[str] = []
        start = node.range().start.index
        pieces: list[str] = []
        cursor = 0
        for sub in _outermost(node, _PROTECTED_KINDS):
            r = sub.range()
            pieces.append(text[cursor:r.start.index - start])
            pieces.append(f"\x02{len(protected)}\x03")
            protected.append(sub.text())
            cursor = r.end.index - start
        pieces.append(text[cursor:])
        lex = shlex.shlex("".join(pieces), posix=True)
        lex.whitespace_split = True
        lex.commenters = ""
        try:
            values = list(lex)
        except ValueError:  # an unbalanced quote the grammar recovered from
            values = "".join(pieces).split()
        return [self.restore(_PROTECT.sub(lambda m: protected[int(m.group(1))], v)) for v in values]

    def _redirect(self, node: SgNode) -> list[tuple[str, str]]:
        kind = node.kind()
        op = next((c.kind() for c in node.children() if not c.is_named()), "")
        if kind == "heredoc_redirect":
            start = next((c.text() for c in node.children() if c.kind() == "heredoc_start"), "")
            out = [(op, start.strip("'\""))]
            out.extend(r for c in node.children() if c.kind() in _REDIRECT_KINDS for r in self._redirect(c))
            return out
        dest = node.field("destination")
        if dest is None:
            targets = [c for c in node.children() if c.is_named() and c.kind() != "file_descriptor"]
            dest = targets[-1] if targets else None
        values = self.word_values(dest) if dest is not None else []
        return [(op, values[0] if values else "")]


def _outermost(node: SgNode, kinds: frozenset[str]) -> list[SgNode]:
    """The descendants of ``kinds`` not inside another one (``node`` itself when it is one)."""
    out: list[SgNode] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.kind() in kinds:
            out.append(current)
        else:
            stack.extend(reversed(current.children()))
    return out


def parse(chunks: Sequence[tuple[str, int, bool]], *, fixed: tuple[int, int] | None = None,
          first_chunk: int = 0) -> ShellScript:
    """Parse script text given as chunks of ``(text, first_line, literal)``: lines inside a literal chunk are
    numbered from ``first_line``, every command of a non-literal one gets ``first_line``. The chunks are one
    script (GitLab's ``script:`` lines): a compound command may span them."""
    exprs: list[str] = []

    def mark(m: re.Match[str]) -> str:
        exprs.append(m.group(0))
        return f"__anops_gh_{len(exprs) - 1}__" + "\\\n" * m.group(0).count("\n")

    texts: list[str] = []
    rows: list[tuple[int, int, int, bool]] = []
    row = 0
    for index, (text, first_line, literal) in enumerate(chunks):
        body = text[:MAX_SCRIPT_CHARS]
        body = _GH_EXPR.sub(mark, body) if "${{" in body else body
        rows.append((row, first_line, first_chunk + index, literal))
        texts.append(body)
        row += body.count("\n") + 1
    if not rows:
        return ShellScript(Script([]), [])
    source = "\n".join(texts)
    builder = _Builder(source, rows, exprs, fixed)
    root = SgRoot(source, "bash").root()
    script = builder.script(root, 0)
    if not builder.errors:
        builder.errors.extend(builder.where(node.parent() or node) for node in _missing(root))
    return ShellScript(script, sorted(set(builder.errors)))


def _items(seq: list[object]) -> list[object]:
    return [x for part in seq for x in (part.item if isinstance(part, _Negated) and isinstance(part.item, list)
                                        else [part.item] if isinstance(part, _Negated) else [part])]


def _last_token(node: SgNode) -> SgNode:
    """Where tree-sitter gave up: an ERROR node runs from where recovery began (often lines earlier) to the
    token it could not place, its last one."""
    while children := node.children():
        node = children[-1]
    return node


def _missing(root: SgNode) -> list[SgNode]:
    """The tokens tree-sitter inserted to recover (an unclosed ``$(``, quote or ``if``): zero-width leaves."""
    out: list[SgNode] = []
    stack = [root]
    while stack:
        node = stack.pop()
        children = node.children()
        if children:
            stack.extend(children)
        elif not node.is_named():
            r = node.range()
            if r.start.index == r.end.index:
                out.append(node)
    return out


def parse_text(text: str, line: int, chunk: int = 0) -> ShellScript:
    """Shell text given as one word (``sh -c '…'``): every command is attributed to ``line``."""
    return parse([(text, line, False)], fixed=(line, chunk))
