"""Shell analysis shared by the CI readers: which test commands a script runs, and whether a failing
test command can still leave the script green (failure masking).

The script is split with a real shell tokenizer (``shlex`` with ``punctuation_chars``) after a small
scanner has done what ``shlex`` cannot: logical lines (line continuations, here-document bodies,
comments that start a word), and command substitutions / ``${...}`` / GitHub ``${{ ... }}``
expressions replaced by placeholders so that an ``||`` inside an expression is never read as an
operator. The tokens are parsed into lists, pipelines, groups and simple commands; masking is then
decided the way the shell decides an exit status (errexit and its exemptions, pipefail, ``||``,
``set +e``, a later ``exit 0``), so ``pytest; exit 0`` under ``bash -e`` is not masking but
``pytest && echo ok; echo done`` is (bash ignores a failure before ``&&``).

This module also holds the source-annotated YAML helpers both readers use (``Src``, ``annotate``).
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from anops_policy.yamlsafe import Marks

MAX_SCRIPT_CHARS = 200_000
MAX_NESTING = 8

# ---- source-annotated YAML --------------------------------------------------------------------------


class Src(str):
    """A YAML string that knows the file and line its text starts on, and whether its line breaks are
    the file's (a literal ``|`` block keeps them; plain and folded scalars do not)."""

    path: str
    line: int
    literal: bool

    def __new__(cls, value: str, path: str, line: int, literal: bool = False) -> Src:
        obj = super().__new__(cls, value)
        obj.path, obj.line, obj.literal = path, line, literal
        return obj


_BOOL_KEYS = {True: ("on", "true", "yes", "On", "True", "Yes", "ON", "TRUE", "YES"),
              False: ("off", "false", "no", "Off", "False", "No", "OFF", "FALSE", "NO")}


def _key_text(key: Any, path: tuple[str | int, ...], marks: Marks) -> str:
    """The key as written. PyYAML reads GitHub's ``on:`` as the boolean True; the marks keep the text."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        for cand in _BOOL_KEYS[key]:
            if (*path, cand) in marks.keys:
                return cand
    return "null" if key is None else str(key)


def mark_line(marks: Marks, path: tuple[str | int, ...], *, key: bool = False) -> int:
    """1-based line of the value (or key) at ``path``, or of its nearest recorded parent (0 if none)."""
    if key and path in marks.keys:
        return marks.keys[path][0]
    probe = path
    while True:
        if probe in marks.values:
            return marks.values[probe][0]
        if not probe:
            return 0
        probe = probe[:-1]


_MERGE_TAG = "tag:yaml.org,2002:merge"


def merged_positions(text: str) -> dict[tuple[str | int, ...], tuple[int, int]]:
    """Positions of values that reach a mapping through merge keys (``<<: *defaults``), which the loader's
    marks do not record. Explicit keys win over merged ones, and an earlier merge over a later one, as
    in PyYAML. Only called for text already accepted by ``load_yaml`` (its alias and size limits hold)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    out: dict[tuple[str | int, ...], tuple[int, int]] = {}

    def walk(node: yaml.Node, path: tuple[str | int, ...], depth: int) -> None:
        if depth > 64:
            return
        out.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            own = [(k, v) for k, v in node.value if k.tag != _MERGE_TAG]
            merged: list[tuple[yaml.Node, yaml.Node]] = []
            for k, v in node.value:
                if k.tag == _MERGE_TAG:
                    for sub in v.value if isinstance(v, yaml.SequenceNode) else [v]:
                        if isinstance(sub, yaml.MappingNode):
                            merged.extend((mk, mv) for mk, mv in sub.value if mk.tag != _MERGE_TAG)
            seen: set[str] = set()
            for k, v in [*own, *merged]:
                key = str(k.value)
                if key not in seen:
                    seen.add(key)
                    walk(v, (*path, key), depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i), depth + 1)

    if root is not None:
        walk(root, (), 0)
    return out


def annotate(data: Any, marks: Marks, text: str, file: str) -> Any:
    """Copy of ``data`` with every string a ``Src`` and every mapping key a string as written."""
    lines = text.splitlines()
    extra = merged_positions(text) if "<<" in text else {}

    def walk(value: Any, path: tuple[str | int, ...]) -> Any:
        if isinstance(value, str):
            line, col = marks.values.get(path) or extra.get(path) or (mark_line(marks, path), 0)
            literal = False
            if 0 < line <= len(lines) and col > 0 and lines[line - 1][col - 1:col] in ("|", ">"):
                literal = lines[line - 1][col - 1] == "|"
                line += 1  # a block scalar's text starts on the line after its indicator
            return Src(value, file, line, literal)
        if isinstance(value, dict):
            out = value.__class__()  # keeps a dict subclass such as GitLab's Reference marker
            for k, v in value.items():
                ks = _key_text(k, path, marks)
                out[ks] = walk(v, (*path, ks))
            return out
        if isinstance(value, list):
            return [walk(v, (*path, i)) for i, v in enumerate(value)]
        return value

    return walk(data, ())


# ---- secrets -----------------------------------------------------------------------------------------

_SECRET_ASSIGN = re.compile(
    r"(?i)\b([A-Z0-9_.-]*(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key)[A-Z0-9_]*)"
    r"(\s*[=:]\s*|\s+)(['\"]?)(?!\$|<redacted>)([^\s'\"]{4,})"
)
_URL_CREDS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s:@]+):([^/\s@]+)@")
_TOKEN_SHAPES = re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|glpat-[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}"
                           r"|xox[abpr]-[A-Za-z0-9-]{10,})")


def redact(text: str) -> str:
    """Replace secret-looking literals (assigned to a *token/secret/password/key* name, credentials in
    URLs, well-known token shapes) with ``<redacted>``; references such as ``$TOKEN`` or
    ``${{ secrets.X }}`` are kept since they are not values."""
    text = _URL_CREDS.sub(lambda m: f"{m.group(1)}{m.group(2)}:<redacted>@", text)
    text = _TOKEN_SHAPES.sub("<redacted>", text)
    return _SECRET_ASSIGN.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}<redacted>", text)


# ---- tokens ------------------------------------------------------------------------------------------

_OPERATORS = ("&>>", "<<<", ";;&", "<<-", "&&", "||", ";;", ";&", ">>", ">&", "<&", "&>", ">|", "|&", "<<", "<>",
              ";", "&", "|", "(", ")", "<", ">", "\n")
_REDIRECTS = {">", ">>", "<", ">&", "<&", "&>", "&>>", ">|", "<<", "<<-", "<<<", "<>"}
_PUNCT = ";&|()<>"
_NL_MARK = "\x01"  # a line break inside one logical line (continuation, or inside quotes / $( ))
_PLACEHOLDER = re.compile(r"\x02(\d+)\x03")


@dataclass(frozen=True)
class Tok:
    op: bool
    value: str
    line: int
    chunk: int = 0


@dataclass
class _Subst:
    original: str
    inner: str | None  # the command text of $( ) or backticks; None for ${ } and $(( ))
    line: int


class _Scanner:
    """Split a script into logical lines and tokens, keeping each token's line."""

    def __init__(self) -> None:
        self.subs: list[_Subst] = []

    def tokens(self, chunks: Sequence[tuple[str, int, bool]], first_chunk: int = 0) -> list[Tok]:
        toks: list[Tok] = []
        for index, (text, base, literal) in enumerate(chunks):
            ci = first_chunk + index
            for offset, logical in self._logical_lines(text[:MAX_SCRIPT_CHARS]):
                toks.extend(self._split(logical, base, offset, literal, ci))
                toks.append(Tok(True, "\n", base + (offset if literal else 0), ci))
        return toks

    # -- pass 1: characters -> logical lines with placeholders
    def _logical_lines(self, text: str) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        cur: list[str] = []
        line = start = 0
        heredocs: list[tuple[str, bool]] = []
        i, n = 0, len(text)
        word_start = True
        while i < n:
            c = text[i]
            if c == "\\" and i + 1 < n:
                if text[i + 1] == "\n":
                    cur.append(f" {_NL_MARK} ")
                    line += 1
                else:
                    cur.append(text[i:i + 2])
                i += 2
                word_start = False
                continue
            if c == "'":
                j = text.find("'", i + 1)
                j = n - 1 if j < 0 else j
                seg = text[i:j + 1]
                cur.append(seg)
                line += seg.count("\n")
                i, word_start = j + 1, False
                continue
            if c == '"':
                i, seg, line = self._double(text, i, line)
                cur.append(seg)
                word_start = False
                continue
            if c == "`" or (c == "$" and text[i + 1:i + 2] in ("(", "{")):
                i, seg, line = self._subst(text, i, line)
                cur.append(seg)
                word_start = False
                continue
            if c == "#" and word_start:
                j = text.find("\n", i)
                i = n if j < 0 else j
                continue
            if c == "<" and text.startswith("<<", i) and not text.startswith("<<<", i):
                m = re.match(r"<<(-?)\s*(['\"]?)\\?([A-Za-z0-9_.-]+)\2", text[i:])
                if m:
                    heredocs.append((m.group(3), m.group(1) == "-"))
            if c == "\n":
                out.append((start, "".join(cur)))
                cur = []
                line += 1
                i += 1
                for delim, _tabs in heredocs:  # skip here-document bodies, keeping the line count
                    while i < n:
                        j = text.find("\n", i)
                        body_line = text[i:] if j < 0 else text[i:j]
                        i = n if j < 0 else j + 1
                        line += 1
                        if body_line.strip() == delim:
                            break
                heredocs = []
                start = line
                word_start = True
                continue
            cur.append(c)
            word_start = c in " \t;&|()"
            i += 1
        if cur:
            out.append((start, "".join(cur)))
        return out

    def _double(self, text: str, i: int, line: int) -> tuple[int, str, int]:
        out = ['"']
        i += 1
        n = len(text)
        while i < n:
            c = text[i]
            if c == "\\" and i + 1 < n:
                if text[i + 1] == "\n":
                    out.append(_NL_MARK)
                    line += 1
                else:
                    out.append(text[i:i + 2])
                i += 2
                continue
            if c == "`" or (c == "$" and text[i + 1:i + 2] in ("(", "{")):
                i, seg, line = self._subst(text, i, line)
                out.append(seg)
                continue
            if c == "\n":
                out.append(_NL_MARK)
                line += 1
                i += 1
                continue
            out.append(c)
            i += 1
            if c == '"':
                break
        else:
            out.append('"')  # unterminated: close it so shlex does not fail
        return i, "".join(out), line

    def _subst(self, text: str, i: int, line: int) -> tuple[int, str, int]:
        """Replace ``$( )``, ``$(( ))``, ``${ }`` or a backtick span by a placeholder."""
        n = len(text)
        if text[i] == "`":
            j = i + 1
            while j < n and text[j] != "`":
                j += 2 if text[j] == "\\" else 1
            end = min(j, n - 1)
            inner: str | None = text[i + 1:end]
        else:
            opener, closer = text[i + 1], ")" if text[i + 1] == "(" else "}"
            depth, j = 0, i + 1
            while j < n:
                ch = text[j]
                if ch == "\\":
                    j += 2
                    continue
                if ch in "'\"" and closer == ")":
                    k = text.find(ch, j + 1)
                    j = n if k < 0 else k + 1
                    continue
                if ch == opener:
                    depth += 1
                elif ch == closer:
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            end = min(j, n - 1)
            inner = text[i + 2:end] if closer == ")" and not text.startswith("$((", i) else None
        original = text[i:end + 1]
        self.subs.append(_Subst(original, inner, line))
        newlines = original.count("\n")
        return end + 1, f"\x02{len(self.subs) - 1}\x03" + _NL_MARK * newlines, line + newlines

    # -- pass 2: one logical line -> tokens
    def _split(self, logical: str, base: int, offset: int, literal: bool, ci: int) -> list[Tok]:
        lex = shlex.shlex(logical, posix=True, punctuation_chars=_PUNCT)
        lex.whitespace_split = True
        lex.commenters = ""
        try:
            raw = list(lex)
        except ValueError:  # an unbalanced quote the scanner did not see: fall back to whitespace
            raw = logical.split()
        out: list[Tok] = []
        line = offset
        for tok in raw:
            if tok and all(ch in _PUNCT for ch in tok):
                for op in _split_ops(tok):
                    out.append(Tok(True, op, base + (line if literal else 0), ci))
                continue
            here = line
            line += tok.count(_NL_MARK) + tok.count("\n")
            value = tok.replace(_NL_MARK, "")
            if not value:
                continue
            out.append(Tok(False, value, base + (here if literal else 0), ci))
        return out

    def restore(self, word: str) -> str:
        return _PLACEHOLDER.sub(lambda m: self.subs[int(m.group(1))].original, word)

    def inner_scripts(self, word: str) -> list[_Subst]:
        return [self.subs[int(m.group(1))] for m in _PLACEHOLDER.finditer(word) if self.subs[int(m.group(1))].inner]


def _split_ops(run: str) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(run):
        for op in _OPERATORS:
            if run.startswith(op, i):
                out.append(op)
                i += len(op)
                break
        else:
            i += 1
    return out


# ---- syntax tree -------------------------------------------------------------------------------------


@dataclass
class Cmd:
    words: list[str]
    line: int
    redirects: list[tuple[str, str]]
    substs: list[_Subst]
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
    def __init__(self, toks: list[Tok], scanner: _Scanner) -> None:
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
        substs: list[_Subst] = []
        line, chunk = t.line, t.chunk
        while (t := self.peek()) is not None:
            if t.op:
                if t.value in _REDIRECTS:
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
        while (t := self.peek()) is not None and t.op and t.value in _REDIRECTS:
            self.i += 1
            if (t2 := self.peek()) is not None and not t2.op:
                out.append((t.value, self.sc.restore(t2.value)))
                self.i += 1
        return out


def parse(chunks: Sequence[tuple[str, int, bool]]) -> tuple[Script, _Scanner]:
    """Parse script text (chunks of ``(text, first_line, literal)``) into a syntax tree."""
    scanner = _Scanner()
    toks = scanner.tokens(chunks)
    return _Parser(toks, scanner).script(), scanner


def parse_inner(text: str, line: int, scanner: _Scanner, chunk: int = 0) -> Script:
    """Parse a command substitution's (or ``sh -c``) text with the same placeholder table."""
    sub = _Scanner()
    sub.subs = scanner.subs
    toks = sub.tokens([(text, line, False)], first_chunk=chunk)
    return _Parser(toks, sub).script()


# ---- test-command detection --------------------------------------------------------------------------

_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SIMPLE_WRAPPERS = {"sudo", "env", "time", "command", "exec", "nice", "nohup", "stdbuf", "unbuffer",
                    "dbus-run-session", "catchsegv", "xvfb-run", "timeout", "retry", "dotenv", "chronic"}
_VALUE_FLAGS_WRAPPERS = {"-u", "--user", "-g", "-n", "-s", "--server-args", "-k", "--kill-after", "-e", "-o",
                         "-i", "-t", "--signal", "-C", "--chdir"}
_RUNNERS = {("uv", "run"), ("poetry", "run"), ("pipenv", "run"), ("pdm", "run"), ("hatch", "run"),
            ("rye", "run"), ("conda", "run"), ("micromamba", "run"), ("mamba", "run"), ("bundle", "exec"),
            ("pnpm", "exec"), ("pnpm", "dlx"), ("pipx", "run"), ("yarn", "dlx")}
_RUNNER_VALUE_FLAGS = {"--with", "--group", "--extra", "-p", "--python", "--directory", "--project", "-n", "--name",
                       "-e", "--env", "--package", "--from", "--env-file", "--prefix"}
_PYTHONS = re.compile(r"^(python|python3|python3\.\d+|py|pypy3?)$")
_SHELLS = {"bash", "sh", "zsh", "dash", "ksh"}
PYTEST_VALUE_FLAGS = {"-k", "-m", "-c", "-p", "-o", "-n", "-W", "-r", "--rootdir", "--confcutdir", "--basetemp",
                      "--junitxml", "--junit-xml", "--cov", "--cov-report", "--cov-config", "--maxfail", "--tb",
                      "--durations", "--log-level", "--ignore", "--ignore-glob", "--deselect", "--import-mode",
                      "--dist", "--numprocesses", "--reruns", "--timeout", "--override-ini", "--capture",
                      "--color", "--html", "--json-report-file", "--alluredir", "--cov-fail-under", "--lf-ff"}
TEST_SCRIPT = re.compile(r"(?i)^(test|tests|e2e|integration|cypress|playwright|spec|unit|acceptance|smoke)([:_.-].*)?$"
                         r"|[:_.-](test|tests|e2e|integration|spec)$")
MAKE_TEST_TARGET = re.compile(r"(?i)^(test|tests|check|e2e|integration|unit|it|acceptance|smoke)([-_:.].*)?$"
                              r"|[-_:.](test|tests|e2e|integration|check)$")
_NPM_BUILTINS = {"install", "i", "ci", "add", "remove", "rm", "uninstall", "update", "upgrade", "audit", "exec",
                 "publish", "pack", "link", "version", "config", "cache", "init", "create", "dlx", "why", "list",
                 "ls", "outdated", "login", "logout", "set", "info", "workspace", "workspaces", "prune", "dedupe",
                 "rebuild", "build", "start", "setup", "import", "store", "env", "fetch", "patch", "plugin"}
_E2E = re.compile(r"(?i)(?<![a-z])(e2e|end[-_ ]?to[-_ ]?end|playwright|cypress|selenium|acceptance|system[-_]tests?)"
                  r"(?![a-z])")
_INTEGRATION = re.compile(r"(?i)(?<![a-z])(integration|integ|itests?|integration[-_]tests?)(?![a-z])")
_UNIT = re.compile(r"(?i)(?<![a-z])(unit|unittests?|unit[-_]tests?)(?![a-z])")
KIND_ORDER = ("e2e", "integration", "unit")


@dataclass(frozen=True)
class Detection:
    """A test command recognised in one simple command's words."""

    tool: str
    argv: tuple[str, ...]
    kinds: tuple[str, ...]
    kind_source: str  # args | path | tool | job | default (ci.py adds: config)
    targets: tuple[str, ...]  # raw target arguments (paths relative to the command's directory)
    chdir: str | None = None  # a directory the tool itself switches to (make -C, npm --prefix, ...)
    report_path: str | None = None
    report_format: str | None = None


@dataclass(frozen=True)
class Invocation:
    """A command whose own commands can be read from the repository (a script, make target, npm script)."""

    kind: str  # script | make | npm
    name: str  # script path, make targets joined by space, or npm script name
    chdir: str | None
    makefile: str | None = None


def _strip_wrappers(words: list[str]) -> list[str]:
    w = list(words)
    for _ in range(12):
        while w and _ASSIGN.match(w[0]):
            w = w[1:]
        if not w:
            return w
        head = w[0].rsplit("/", 1)[-1]
        if head in _SIMPLE_WRAPPERS:
            w = w[1:]
            while w and (w[0].startswith("-") or _ASSIGN.match(w[0]) or (head == "timeout" and re.match(r"^\d", w[0]))):
                flag = w[0]
                w = w[1:]
                if flag in _VALUE_FLAGS_WRAPPERS and w:
                    w = w[1:]
            if head == "dotenv" and w[:1] == ["--"]:
                w = w[1:]
            continue
        if len(w) > 1 and (head, w[1]) in _RUNNERS:
            w = w[2:]
            while w and w[0].startswith("-"):
                flag = w[0]
                w = w[1:]
                if flag in _RUNNER_VALUE_FLAGS and w:
                    w = w[1:]
            if w[:1] == ["--"]:
                w = w[1:]
            continue
        if head in ("npx", "bunx", "uvx"):
            w = w[1:]
            while w and w[0].startswith("-"):
                w = w[1:]
            continue
        if _PYTHONS.match(head):
            rest = w[1:]
            while rest and rest[0] in ("-u", "-B", "-X", "-W", "-O", "-I", "-E", "-s"):
                rest = rest[2:] if rest[0] in ("-X", "-W") else rest[1:]
            if len(rest) > 1 and rest[0] == "-m":
                w = [rest[1], *rest[2:]]
                continue
            return w
        if head == "coverage" and len(w) > 1 and w[1] == "run":
            rest = w[2:]
            while rest and rest[0].startswith("-") and rest[0] != "-m":
                rest = rest[1:]
            if rest[:1] == ["-m"]:
                rest = rest[1:]
            w = rest
            continue
        return w
    return w


def _positional(args: Sequence[str], value_flags: set[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a == "--":
            continue
        if a.startswith("-"):
            if a in value_flags:
                skip = True
            continue
        out.append(a)
    return out


def _flag_value(args: Sequence[str], *names: str) -> str | None:
    for i, a in enumerate(args):
        for name in names:
            if a == name and i + 1 < len(args):
                return args[i + 1]
            if a.startswith(name + "=") and len(name) > 2:  # --flag=value, Go's -flag=value
                return a[len(name) + 1:]
            if not name.startswith("--") and len(name) == 2 and a.startswith(name) and len(a) > 2:
                return a[2:]
    return None


def _kinds_from_text(texts: Iterable[str]) -> tuple[str, ...]:
    joined = " ".join(texts)
    found = [k for k, rx in (("e2e", _E2E), ("integration", _INTEGRATION), ("unit", _UNIT)) if rx.search(joined)]
    return tuple(found)


_OUTPUT_FLAG = re.compile(r"(?i)^--?[\w.-]*(junit|report|output|log|cov|html|xml|result|alluredir|basetemp)[\w.-]*")


def _hint_args(args: Sequence[str], targets: Sequence[str]) -> list[str]:
    """Arguments that may name a kind: not targets, and not where results go (`--junitxml=unit.xml`)."""
    out: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if _OUTPUT_FLAG.match(a):
            skip = "=" not in a
            continue
        if a not in targets:
            out.append(a)
    return out


def _classify(
    tool: str, args: Sequence[str], targets: Sequence[str], hints: Sequence[str], *,
    arg_kinds: tuple[str, ...] = (), tool_kinds: tuple[str, ...] = (), default: tuple[str, ...] = ("unit",),
) -> tuple[tuple[str, ...], str]:
    if arg_kinds:
        return arg_kinds, "args"
    from_targets = _kinds_from_text(targets)
    if from_targets:
        return from_targets, "path"
    from_args = _kinds_from_text(_hint_args(args, targets))
    if from_args:
        return from_args, "args"
    if tool_kinds:
        return tool_kinds, "tool"
    from_hints = _kinds_from_text(hints)
    if from_hints:
        return from_hints, "job"
    return default, "default"


def _sorted_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    return tuple(k for k in KIND_ORDER if k in set(kinds))


def detect_test(words: Sequence[str], hints: Sequence[str] = ()) -> Detection | None:
    """The test command in ``words`` (one simple command, already unquoted), if any."""
    w = _strip_wrappers(list(words))
    if not w:
        return None
    head = w[0].rsplit("/", 1)[-1]
    args = w[1:]

    def make(tool: str, targets: Sequence[str], **kw: Any) -> Detection:
        kinds, source = _classify(tool, args, targets, hints, **kw)
        return Detection(tool, tuple(w), _sorted_kinds(kinds), source, tuple(targets))

    if head in ("pytest", "py.test"):
        if any(a in ("--version", "--help", "-h", "--co", "--collect-only", "--fixtures") for a in args):
            return None
        targets = [t.split("::", 1)[0] for t in _positional(args, PYTEST_VALUE_FLAGS)]
        marker = _flag_value(args, "-m") or ""
        marker_kinds = _kinds_from_text([marker]) if "not" not in marker else ()
        det = make("pytest", targets, arg_kinds=marker_kinds)
        junit = _flag_value(args, "--junitxml", "--junit-xml")
        return replace(det, report_path=junit, report_format="junit" if junit else None)
    if head == "unittest" or (head == "manage.py" and args[:1] == ["test"]):
        return make("unittest" if head == "unittest" else "django", _positional(args, {"-k", "-p", "-s", "-t"}))
    if head in ("tox", "nox"):
        if any(a in ("--version", "-l", "--list", "--listenvs", "--help", "-h", "--list-sessions") for a in args):
            return None
        envs = (_flag_value(args, "-e", "-s", "--sessions", "--session") or "").split(",")
        return make(head, [], arg_kinds=_kinds_from_text(envs))
    if head in ("cargo", "cross"):
        return _detect_cargo(head, args, hints)
    if head == "go" and args[:1] == ["test"]:
        return _detect_go(args[1:], hints, w)
    if head == "gotestsum":
        inner = args[args.index("--") + 1:] if "--" in args else []
        det = _detect_go(inner, hints, w)
        junit = _flag_value(args, "--junitfile")
        return replace(det, tool="gotestsum", report_path=junit, report_format="junit" if junit else None)
    if head in ("npm", "yarn", "pnpm", "bun"):
        return _detect_node_pm(head, args, hints, w)
    if head in ("jest", "vitest", "mocha", "ava", "karma", "node", "deno", "tap"):
        if head == "vitest" and args[:1] in (["bench"], ["--version"]):
            return None
        if head == "node" and "--test" not in args:
            return None
        if head == "deno" and args[:1] != ["test"]:
            return None
        rest = args[1:] if head == "vitest" and args[:1] in (["run"], ["watch"], ["dev"], ["related"]) else args
        det = make(head, _positional(rest, {"--config", "-c", "--reporter", "--reporters", "--outputFile", "-t"}))
        rep = " ".join(a for a in args if "reporter" in a or "junit" in a)
        if "junit" in rep:
            out = _flag_value(args, "--outputFile", "--outputFile.junit")
            return replace(det, report_path=out, report_format="junit")
        return det
    if head in ("playwright", "cypress", "wdio", "testcafe", "codeceptjs"):
        if head == "playwright" and args[:1] != ["test"]:
            return None
        if head == "cypress" and args[:1] != ["run"]:
            return None
        return make(head, _positional(args[1:] if head in ("playwright", "cypress") else args,
                                       {"--config", "-c", "--project", "--reporter", "--spec", "-s", "--browser"}),
                    tool_kinds=("e2e",))
    if head in ("make", "gmake", "just", "task"):
        chdir = _flag_value(args, "-C", "--directory") if head != "task" else _flag_value(args, "-d", "--dir")
        goals = [a for a in _positional(args, {"-C", "--directory", "-f", "--file", "-j", "--jobs", "-d", "--dir",
                                               "-o", "-W", "-l", "-I"}) if not _ASSIGN.match(a)]
        tests = [g for g in goals if MAKE_TEST_TARGET.search(g)]
        if not tests:
            return None
        return replace(make(head if head != "gmake" else "make", [], arg_kinds=_kinds_from_text(tests)), chdir=chdir)
    if head in ("mvn", "mvnw", "gradle", "gradlew"):
        tasks = [a.rsplit(":", 1)[-1] for a in args if not a.startswith("-")]
        wanted = {"test", "verify", "integration-test", "check", "integrationTest", "connectedCheck", "e2e",
                  "functionalTest", "install"} if head.startswith("mvn") else None
        hits = [t for t in tasks if (t in wanted if wanted else re.search(r"(?i)test|check|e2e", t))]
        if not hits or any(a.startswith(("-DskipTests", "-Dmaven.test.skip=true")) for a in args):
            return None
        return make("maven" if head.startswith("mvn") else "gradle", [], arg_kinds=_kinds_from_text(hits))
    if head in ("ctest", "rspec", "phpunit", "bats", "busted", "prove"):
        return make(head, _positional(args, {"-C", "--test-dir", "-R", "-L", "-j", "--format", "-c",
                                             "--configuration", "--filter", "--group"}))
    if (head, args[:1]) in (("dotnet", ["test"]), ("swift", ["test"]), ("mix", ["test"]), ("sbt", ["test"]),
                            ("meson", ["test"]), ("bazel", ["test"]), ("bazelisk", ["test"]), ("rake", ["test"]),
                            ("rake", ["spec"]), ("flutter", ["test"]), ("dart", ["test"]), ("stack", ["test"]),
                            ("cabal", ["test"]), ("zig", ["build", "test"][:1])):
        if head == "zig" and args[:2] != ["build", "test"]:
            return None
        return make(head, _positional(args[1:], {"-c", "--configuration", "--filter", "--logger", "-C"}))
    return None


def _detect_cargo(head: str, args: list[str], hints: Sequence[str]) -> Detection | None:
    a = list(args)
    while a and a[0].startswith("+"):
        a = a[1:]
    opts_before: list[str] = []
    while a and a[0].startswith("-"):
        opts_before.append(a[0])
        a = a[1:]
    if not a:
        return None
    sub, rest = a[0], a[1:]
    tool = "cargo test"
    if sub in ("test", "t"):
        pass
    elif sub == "nextest" and rest[:1] == ["run"]:
        tool, rest = "cargo nextest", rest[1:]
    elif sub == "llvm-cov":
        if rest[:1] and rest[0] in ("report", "clean", "show-env"):
            return None
        tool = "cargo llvm-cov"
        if rest[:1] in (["nextest"], ["test"]):
            rest = rest[1:]
    elif sub == "tarpaulin":
        tool = "cargo tarpaulin"
    else:
        return None
    sep = rest.index("--") if "--" in rest else len(rest)
    cargo_args, harness = rest[:sep], rest[sep + 1:]
    manifest = _flag_value(cargo_args, "--manifest-path")
    chdir = posixpath.dirname(manifest) if manifest else None
    arg_kinds: list[str] = []
    named_tests = [cargo_args[i + 1] for i, x in enumerate(cargo_args[:-1]) if x == "--test"]
    named_tests += [x.split("=", 1)[1] for x in cargo_args if x.startswith("--test=")]
    if named_tests:
        arg_kinds.extend(_kinds_from_text(named_tests) or ("integration",))
    if "--tests" in cargo_args or "--all-targets" in cargo_args:
        arg_kinds.extend(("unit", "integration"))
    if any(x in cargo_args for x in ("--lib", "--bins", "--doc", "--bin", "--examples")):
        arg_kinds.append("unit")
    filters = list(_positional(cargo_args, {"-p", "--package", "--manifest-path", "--features", "-F",
                                                     "--target", "--profile", "-j", "--jobs", "--test", "--bin",
                                                     "--bench", "--example", "--exclude", "--target-dir",
                                                     "--color", "--message-format", "-E", "--filterset",
                                                     "--config", "-Z"}))
    filter_kinds = _kinds_from_text([*filters, *harness])
    if arg_kinds:
        kinds, source = tuple(arg_kinds), "args"
    elif filter_kinds:
        kinds, source = filter_kinds, "args"
    else:
        # a bare `cargo test` builds and runs the library/binary unit tests and every tests/*.rs target
        kinds, source = ("unit", "integration"), "default"
        hinted = _kinds_from_text(hints)
        if "e2e" in hinted:
            kinds, source = ("e2e", *kinds), "job"
    det = Detection(tool, (head, *args), _sorted_kinds(kinds), source, (), chdir)
    if tool == "cargo nextest" and _flag_value(cargo_args, "--profile"):
        det = replace(det, report_format="junit")  # nextest writes JUnit when the profile configures it
    return det


def _detect_go(args: list[str], hints: Sequence[str], argv: list[str]) -> Detection:
    tags = _flag_value(args, "-tags", "--tags") or ""
    run = _flag_value(args, "-run", "--run") or ""
    pkgs = [p for p in _positional(args, {"-tags", "-run", "-timeout", "-p", "-count", "-coverprofile", "-covermode",
                                          "-coverpkg", "-parallel", "-bench", "-benchtime", "-cpu", "-o", "-exec",
                                          "-skip", "-shuffle", "-json", "-vet", "-ldflags", "-gcflags", "-mod",
                                          "-args"})
            if not p.startswith("-")]
    targets = []
    for p in pkgs:
        if p.startswith((".", "/")):
            targets.append(p.removesuffix("/...").removesuffix("...") or ".")
    kinds, source = _classify("go test", args, targets, hints,
                              arg_kinds=_kinds_from_text([tags.replace(",", " "), run]))
    return Detection("go test", tuple(argv), _sorted_kinds(kinds), source, tuple(targets))


def _detect_node_pm(head: str, args: list[str], hints: Sequence[str], argv: list[str]) -> Detection | None:
    chdir = _flag_value(args, "--prefix", "--cwd", "--dir", "-C")
    rest = _positional(args, {"--prefix", "--cwd", "--dir", "-C", "--filter", "-F", "-w", "--workspace"})
    if not rest:
        return None
    if rest[0] in ("test", "t", "tst"):
        script = "test"
    elif rest[0] in ("run", "run-script") and len(rest) > 1:
        script = rest[1]
    elif head in ("yarn", "pnpm", "bun") and rest[0] not in _NPM_BUILTINS:
        script = rest[0]
    else:
        return None
    if head == "bun" and rest[0] == "test":
        return Detection("bun test", tuple(argv), ("unit",), "default", ())
    if not TEST_SCRIPT.search(script):
        return None
    kinds, source = _classify(head, args, [], hints, arg_kinds=_kinds_from_text([script.replace(":", " ")]))
    return Detection(f"{head} {script}" if script != "test" else f"{head} test", tuple(argv), _sorted_kinds(kinds),
                     source, (), chdir)


def detect_invocation(words: Sequence[str]) -> Invocation | None:
    """A command whose body is in the repository: a local script, a make target or an npm script."""
    w = _strip_wrappers(list(words))
    if not w:
        return None
    head = w[0]
    base = head.rsplit("/", 1)[-1]
    args = w[1:]
    if base in ("make", "gmake"):
        chdir = _flag_value(args, "-C", "--directory")
        makefile = _flag_value(args, "-f", "--file", "--makefile")
        goals = [a for a in _positional(args, {"-C", "--directory", "-f", "--file", "--makefile", "-j", "--jobs",
                                               "-o", "-W", "-l", "-I"}) if not _ASSIGN.match(a)]
        return Invocation("make", " ".join(goals), chdir, makefile)
    if base in ("npm", "yarn", "pnpm"):
        chdir = _flag_value(args, "--prefix", "--cwd", "--dir", "-C")
        rest = _positional(args, {"--prefix", "--cwd", "--dir", "-C", "--filter", "-F", "-w", "--workspace"})
        if rest[:1] in (["test"], ["t"], ["tst"]):
            return Invocation("npm", "test", chdir)
        if rest[:1] in (["run"], ["run-script"]) and len(rest) > 1:
            return Invocation("npm", rest[1], chdir)
        if base != "npm" and rest and rest[0] not in _NPM_BUILTINS:
            return Invocation("npm", rest[0], chdir)
        return None
    if base in _SHELLS and args and not args[0].startswith("-"):
        return Invocation("script", args[0], None)
    if base in ("source", ".") and args:
        return Invocation("script", args[0], None)
    if "/" in head and not head.startswith(("/", "$", "~")) and not base.startswith(("gradlew", "mvnw")):
        return Invocation("script", head, None)
    return None


# ---- masking analysis --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mode:
    """How the shell treats a failing command: ``errexit`` (stop at the first failure outside the
    shell's exemptions) and ``pipefail`` (a pipeline fails when any part fails). ``label`` names it."""

    errexit: bool
    pipefail: bool
    label: str


@dataclass(frozen=True)
class Reason:
    text: str
    line: int
    chunk: int = 0
    path: str | None = None  # set for reasons outside the script (continue-on-error, allow_failure)


@dataclass(frozen=True)
class Found:
    """One test command (or invocation) found in a script, with the reasons its failure would be hidden."""

    line: int
    text: str
    detection: Detection | None
    invocation: Invocation | None
    cwd: str  # repository-relative directory it runs in ("." for the root)
    reasons: tuple[Reason, ...]
    report_path: str | None = None
    report_format: str | None = None
    chunk: int = 0


@dataclass
class ScriptReport:
    found: list[Found] = field(default_factory=list)
    summary_lines: list[int] = field(default_factory=list)  # lines that write $GITHUB_STEP_SUMMARY
    commands: int = 0


@dataclass
class _State:
    errexit: bool
    pipefail: bool
    errexit_reason: Reason | None
    cwd: str
    dirs: list[str]


_REPORT_CONVERTERS = {"go-junit-report", "cargo2junit", "tap-junit", "tap-xunit", "junit-report"}
_WORKSPACE_PREFIX = re.compile(r"^(\$\{\{\s*github\.workspace\s*\}\}|\$\{?GITHUB_WORKSPACE\}?|\$\{?CI_PROJECT_DIR\}?"
                               r"|\$\{?CIRCLE_WORKING_DIRECTORY\}?|\$\{?BUILD_SOURCESDIRECTORY\}?|\$\{?WORKSPACE\}?"
                               r"|\$\(\s*pwd\s*\)|\$PWD|\$\{PWD\})(/|$)")


def join_path(cwd: str, target: str) -> str | None:
    """``target`` (as written in a script running in ``cwd``) as a repository-relative path, or None when
    it is not a literal path inside the repository."""
    t = _WORKSPACE_PREFIX.sub("/", target.strip()) if _WORKSPACE_PREFIX.match(target.strip()) else target.strip()
    if _WORKSPACE_PREFIX.match(target.strip()):
        t = t.lstrip("/") or "."
        cwd = "."
    if not t or "$" in t or t.startswith(("/", "~")) or "`" in t:
        return None
    joined = posixpath.normpath(posixpath.join(cwd or ".", t))
    if joined == ".." or joined.startswith("../"):
        return None
    return joined


def _fails(pipe: Pipeline) -> bool:
    """A pipeline that makes the script fail: ``exit N`` (N != 0), ``exit`` alone, ``false``, ``return N``."""
    for item in pipe.items:
        if isinstance(item, Group):
            if any(_fails(p) for lst in item.body.lists for p in lst.pipelines):
                return True
            continue
        w = item.words
        if not w:
            continue
        if w[0] in ("exit", "return") and (len(w) == 1 or w[1] not in ("0",)):
            return True
        if w[0] == "false":
            return True
    return False


def _text(node: Pipeline | AndOr | Cmd | Group, limit: int = 120) -> str:
    if isinstance(node, Cmd):
        out = " ".join(node.words)
    elif isinstance(node, Group):
        inner = "; ".join(_text(lst) for lst in node.body.lists)
        out = f"( {inner} )" if node.subshell else f"{{ {inner}; }}"
    elif isinstance(node, Pipeline):
        out = ("! " if node.negated else "") + " | ".join(_text(i) for i in node.items)
    else:
        parts = [_text(node.pipelines[0])]
        for op, p in zip(node.ops, node.pipelines[1:], strict=False):
            parts.append(f"{op} {_text(p)}")
        out = " ".join(parts)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _mentions_status(lst: AndOr) -> bool:
    for p in lst.pipelines:
        for item in p.items:
            text = _text(item, 10_000)
            if "$?" in text or "PIPESTATUS" in text or "${?}" in text:
                # Only printing the status to the log (`echo "tests exited $?"`) does not act on it: the script
                # then ends with echo's 0. Keeping it (`rc=$?`, `echo $? > rc`, `| tee`) or testing it does.
                if isinstance(item, Cmd) and item.words[:1] in (["echo"], ["printf"]) and not item.redirects \
                        and len(p.items) == 1:
                    continue
                return True
    return False


def _first_exit0(lists: Sequence[AndOr]) -> AndOr | None:
    for lst in lists:
        for p in lst.pipelines:
            for item in p.items:
                if isinstance(item, Cmd) and item.words[:2] == ["exit", "0"]:
                    return lst
    return None


class Analyzer:
    """Walk one script's syntax tree, tracking ``cd``/``set`` state, and collect test commands with the
    reasons their failure would not fail the script."""

    def __init__(self, mode: Mode, cwd: str, hints: Sequence[str] = ()) -> None:
        self.mode = mode
        self.hints = tuple(hints)
        self.cwd0 = cwd or "."
        self.report = ScriptReport()
        self.scanner: _Scanner | None = None

    def run(self, chunks: Sequence[tuple[str, int, bool]], outer: Sequence[Reason] = ()) -> ScriptReport:
        script, self.scanner = parse(chunks)
        reason = None if self.mode.errexit else Reason(f"{self.mode.label} does not stop at a failing command",
                                                       chunks[0][1] if chunks else 0)
        state = _State(self.mode.errexit, self.mode.pipefail, reason, self.cwd0, [])
        self._walk(script, state, list(outer), 0)
        return self.report

    def _walk(self, script: Script, state: _State, outer: list[Reason], depth: int) -> None:
        for k, lst in enumerate(script.lists):
            for p_idx, pipe in enumerate(lst.pipelines):
                for c_idx, item in enumerate(pipe.items):
                    reasons = outer + self._level(script, k, p_idx, c_idx, state)
                    if isinstance(item, Group):
                        if any(op in (">", ">>", ">|", "&>", "&>>") and "GITHUB_STEP_SUMMARY" in target
                               for op, target in item.redirects):
                            self.report.summary_lines.append(item.line)
                        if depth >= MAX_NESTING:
                            continue
                        if item.subshell:
                            inner = _State(state.errexit, state.pipefail, state.errexit_reason, state.cwd,
                                           list(state.dirs))
                            self._walk(item.body, inner, reasons, depth + 1)
                        else:
                            self._walk(item.body, state, reasons, depth + 1)
                    else:
                        self._command(item, pipe, c_idx, state, reasons, depth)

    def _level(self, script: Script, k: int, p_idx: int, c_idx: int, state: _State) -> list[Reason]:
        lst = script.lists[k]
        pipe = lst.pipelines[p_idx]
        out: list[Reason] = []
        if c_idx < len(pipe.items) - 1 and not state.pipefail:
            last = pipe.items[-1]
            name = last.words[0] if isinstance(last, Cmd) and last.words else "another command"
            out.append(Reason(f"piped into {name} without pipefail (the pipeline's status is {name}'s)", pipe.line,
                              pipe.chunk))
        if pipe.negated and not lst.condition:
            out.append(Reason("negated with !", pipe.line, pipe.chunk))
        if lst.background:
            out.append(Reason("run in the background (&)", lst.line, lst.chunk))
        for j in range(p_idx, len(lst.ops)):
            if lst.ops[j] == "||":
                rhs = lst.pipelines[j + 1:]
                if not any(_fails(p) for p in rhs):
                    text = " ".join(f"{op} {_text(p)}" for op, p in zip(lst.ops[j:], rhs, strict=False))
                    out.append(Reason(text, rhs[0].line, rhs[0].chunk))
                return out
        exempt = p_idx < len(lst.pipelines) - 1
        later = script.lists[k + 1:]
        if lst.condition:
            if not any(_fails(p) for lst2 in later for p in lst2.pipelines):
                out.append(Reason("used as an if/while condition and no later command fails the script", lst.line,
                                  lst.chunk))
            return out
        if state.errexit and not exempt and not lst.background and not pipe.negated:
            return out
        if not later or _mentions_status(later[0]):
            return out
        if exempt and state.errexit:
            out.append(Reason(f"followed by `{lst.ops[p_idx]} ...` (errexit ignores a failure there) and the "
                              "script goes on", lst.line, lst.chunk))
        elif not state.errexit and state.errexit_reason is not None:
            out.append(state.errexit_reason)
        exit0 = _first_exit0(later)
        if exit0 is not None:
            out.append(Reason("exit 0 after the test command", exit0.line, exit0.chunk))
        elif exempt or not state.errexit:
            out.append(Reason("later commands decide the script's exit status", later[-1].line, later[-1].chunk))
        return out

    def _command(self, cmd: Cmd, pipe: Pipeline, c_idx: int, state: _State, reasons: list[Reason],
                 depth: int) -> None:
        self.report.commands += 1
        w = cmd.words
        for op, target in cmd.redirects:
            if op in (">", ">>", ">|", "&>", "&>>") and "GITHUB_STEP_SUMMARY" in target:
                self.report.summary_lines.append(cmd.line)
        if w and w[0] == "tee" and any("GITHUB_STEP_SUMMARY" in a for a in w[1:]):
            self.report.summary_lines.append(cmd.line)
        if not w:
            self._substitutions(cmd, state, reasons, depth)
            return
        head = w[0]
        if head in ("cd", "pushd", "popd"):
            self._chdir(w, state)
            return
        if head == "set":
            self._set(w[1:], state, cmd.line, cmd.chunk)
            return
        if head in _SHELLS and "-c" in w:
            idx = w.index("-c")
            if idx + 1 < len(w) and self.scanner is not None and depth < MAX_NESTING:
                inner = _State(state.errexit and "-e" in w, "pipefail" in w, state.errexit_reason, state.cwd, [])
                if not inner.errexit:
                    inner.errexit_reason = Reason(f"{head} -c does not stop at a failing command", cmd.line, cmd.chunk)
                self._walk(parse_inner(w[idx + 1], cmd.line, self.scanner, cmd.chunk), inner, reasons, depth + 1)
            return
        self._substitutions(cmd, state, reasons, depth)
        det = detect_test(w, self.hints)
        inv = detect_invocation(w)
        if det is None and inv is None:
            return
        report_path, report_format = (det.report_path, det.report_format) if det else (None, None)
        for later in pipe.items[c_idx + 1:]:
            if isinstance(later, Cmd) and later.words:
                name = later.words[0].rsplit("/", 1)[-1]
                dest = next((t for op, t in later.redirects if op in (">", ">>")), None)
                if name in _REPORT_CONVERTERS:
                    report_path = dest or _flag_value(later.words, "-out", "--out") or report_path
                    report_format = "junit"
                elif name == "tee" and len(later.words) > 1 and report_path is None:
                    files = [a for a in later.words[1:] if not a.startswith("-")]
                    if files and "GITHUB_STEP_SUMMARY" not in files[0]:
                        report_path, report_format = files[0], "text"
        if report_path is None and det is not None:
            dest = next((t for op, t in cmd.redirects if op in (">", ">>", "&>", "&>>")), None)
            if dest and "/dev/null" not in dest and "GITHUB_STEP_SUMMARY" not in dest:
                report_path, report_format = dest, det.report_format or "text"
        resolved_report = join_path(state.cwd, report_path) if report_path else None
        self.report.found.append(Found(cmd.line, " ".join(w), det, inv, state.cwd, tuple(reasons),
                                       resolved_report or report_path, report_format, cmd.chunk))

    def _substitutions(self, cmd: Cmd, state: _State, reasons: list[Reason], depth: int) -> None:
        if not cmd.substs or self.scanner is None or depth >= MAX_NESTING:
            return
        pure_assignment = all(_ASSIGN.match(x) for x in cmd.words)
        for sub in cmd.substs:
            if sub.inner is None:
                continue
            extra = [] if pure_assignment else [Reason("inside a command substitution", cmd.line, cmd.chunk)]
            inner = _State(False, state.pipefail, Reason("command substitution", cmd.line, cmd.chunk), state.cwd, [])
            self._walk(parse_inner(sub.inner, cmd.line, self.scanner, cmd.chunk), inner, reasons + extra, depth + 1)

    @staticmethod
    def _chdir(w: list[str], state: _State) -> None:
        if w[0] == "popd":
            state.cwd = state.dirs.pop() if state.dirs else state.cwd
            return
        args = [a for a in w[1:] if not a.startswith("-")]
        if w[0] == "pushd":
            state.dirs.append(state.cwd)
        if not args:
            return
        target = join_path(state.cwd, args[0])
        state.cwd = target if target is not None else state.cwd

    @staticmethod
    def _set(args: list[str], state: _State, line: int, chunk: int) -> None:
        i = 0
        while i < len(args):
            a = args[i]
            if a[:1] in ("-", "+") and len(a) > 1 and a not in ("--", "-"):
                on = a[0] == "-"
                letters = a[1:]
                if "e" in letters:
                    state.errexit = on
                    state.errexit_reason = None if on else Reason(f"set {a}", line, chunk)
                if "o" in letters and i + 1 < len(args):
                    i += 1
                    opt = args[i]
                    if opt == "errexit":
                        state.errexit = on
                        state.errexit_reason = None if on else Reason(f"set {a} errexit", line, chunk)
                    elif opt == "pipefail":
                        state.pipefail = on
            i += 1


def analyze(
    chunks: Sequence[tuple[str, int, bool]], mode: Mode, *, cwd: str = ".", hints: Sequence[str] = (),
    outer: Sequence[Reason] = (),
) -> ScriptReport:
    """Test commands, invocations and step-summary writes of one script.

    ``chunks`` are ``(text, first_line, literal)``: lines inside a chunk are numbered from
    ``first_line`` when ``literal`` (otherwise every command gets ``first_line``). ``outer`` are
    reasons that already mask every command (``continue-on-error``, ``allow_failure``).
    """
    return Analyzer(mode, cwd, hints).run(chunks, outer)


# ---- shells of the CI systems ------------------------------------------------------------------------


def mode_for_shell(shell: str | None, *, default: Mode) -> Mode | None:
    """The failure mode of a named shell (GitHub ``shell:``/CircleCI ``shell:``), None when the step is
    not a shell script (``python``)."""
    if not shell:
        return default
    s = shell.strip()
    name = s.split()[0].rsplit("/", 1)[-1] if s else ""
    flags = s.split()[1:]
    if name == "python":
        return None
    if s == "bash":
        return Mode(True, True, "bash -eo pipefail")
    if s == "sh":
        return Mode(True, False, "sh -e")
    if name in ("pwsh", "powershell"):
        return Mode(False, False, name)
    if name == "cmd":
        return Mode(False, False, "cmd")
    if name in _SHELLS:
        errexit = any(f.startswith("-") and "e" in f[1:] and not f.startswith("--") for f in flags)
        pipefail = "pipefail" in flags
        return Mode(errexit, pipefail, s.replace("{0}", "").strip())
    return Mode(False, False, s)


def mode_from_shebang(text: str) -> Mode:
    first = text.split("\n", 1)[0]
    if first.startswith("#!"):
        parts = first[2:].split()
        if parts and parts[0].endswith("/env"):
            parts = parts[1:]
        flags = [p for p in parts[1:] if p.startswith("-")]
        errexit = any("e" in f[1:] for f in flags if not f.startswith("--"))
        name = parts[0].rsplit("/", 1)[-1] if parts else "sh"
        return Mode(errexit, False, f"{name} script" + (" -e" if errexit else ""))
    return Mode(False, False, "sh script")


# ---- Makefiles and package.json ----------------------------------------------------------------------

_MAKE_RULE = re.compile(r"^([^\s:#=][^:#=]*?)\s*(::?)(?![=])\s*([^=;#]*?)\s*(?:;\s*(.*))?$")
_MAKE_VAR = re.compile(r"^(?:export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(:{0,3}=|\?=|\+=|!=)\s*(.*)$")


@dataclass
class MakeRule:
    line: int
    prereqs: list[str]
    recipe: list[tuple[int, str]]  # (line, text); continuation lines already joined with "\\\n"


def parse_makefile(text: str) -> tuple[dict[str, MakeRule], dict[str, str], str | None]:
    """Rules, simple variables and the default goal of a Makefile (the subset CI test targets use)."""
    rules: dict[str, MakeRule] = {}
    variables: dict[str, str] = {}
    default: str | None = None
    current: list[MakeRule] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i]
        lineno = i + 1
        i += 1
        if raw.startswith("\t") and current:
            body = raw[1:]
            while body.endswith("\\") and i < len(lines):
                body = body + "\n" + lines[i].lstrip("\t")
                i += 1
            for rule in current:
                rule.recipe.append((lineno, body))
            continue
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        while stripped.endswith("\\") and i < len(lines):
            stripped = stripped[:-1] + " " + lines[i].strip()
            i += 1
        var = _MAKE_VAR.match(stripped)
        if var and ":" not in stripped.split("=", 1)[0].rstrip(":?+!"):
            name, op, value = var.groups()
            variables[name] = (variables.get(name, "") + " " + value).strip() if op == "+=" else value
            current = []
            continue
        rule_m = _MAKE_RULE.match(stripped)
        if rule_m and not stripped.startswith((".PHONY", ".SUFFIXES", ".DEFAULT", ".SILENT", "include", "-include")):
            targets = rule_m.group(1).split()
            prereqs = [p for p in rule_m.group(3).split() if p != "|"]
            current = []
            for t in targets:
                rule = rules.setdefault(t, MakeRule(lineno, [], []))
                rule.prereqs.extend(p for p in prereqs if p not in rule.prereqs)
                if rule_m.group(4):
                    rule.recipe.append((lineno, rule_m.group(4)))
                current.append(rule)
                if default is None and not t.startswith(".") and "%" not in t:
                    default = t
            continue
        current = []
    return rules, variables, default


def expand_make_vars(text: str, variables: dict[str, str]) -> str:
    out = text
    for _ in range(5):
        new = re.sub(r"\$[({]([A-Za-z_][A-Za-z0-9_.-]*)[)}]",
                     lambda m: variables.get(m.group(1), m.group(0)) if m.group(1) != "MAKE" else "make", out)
        if new == out:
            break
        out = new
    return out.replace("$$", "$")


def package_scripts(text: str) -> dict[str, tuple[int, str]]:
    """``scripts`` of a package.json with the line each is defined on."""
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    scripts = data.get("scripts") if isinstance(data, dict) else None
    if not isinstance(scripts, dict):
        return {}
    lines = text.splitlines()
    out: dict[str, tuple[int, str]] = {}
    for name, cmd in scripts.items():
        if not isinstance(cmd, str):
            continue
        needle = json.dumps(name) + ":"
        line = next((i + 1 for i, ln in enumerate(lines) if needle in ln.replace('": ', '":')), 0)
        out[name] = (line, cmd)
    return out


# ---- what a CI reader hands to the collector ---------------------------------------------------------


@dataclass
class RunSite:
    """One shell script of one job (a GitHub ``run`` step, a GitLab script section, ...) and its analysis."""

    path: str
    system: str
    job: str | None
    job_key: str | None
    step: str | None  # the step's label: its name, or `#<index>`, or the GitLab section
    step_index: int | None
    step_line: int
    report: ScriptReport
    hints: tuple[str, ...] = ()
    masks: tuple[Reason, ...] = ()  # step/job level reasons (continue-on-error, allow_failure, after_script)
    chunk_paths: tuple[str, ...] = ()  # file of each analysed chunk when they differ from ``path``
    source: tuple[tuple[tuple[str, int, bool], ...], Mode, str] | None = None  # to re-analyse at a call site


@dataclass
class LocalCall:
    """A step that runs a local composite action (``uses: ./path``): its commands run in the calling job."""

    path: str
    job: str | None
    job_key: str | None
    step: str | None
    step_index: int | None
    step_line: int
    target: str  # the action's directory, repository-relative
    masks: tuple[Reason, ...] = ()
    hints: tuple[str, ...] = ()


@dataclass
class FileResult:
    """Everything one CI file contributes: its ``by_path`` entry, jobs, local actions, scripts to expand,
    report-publishing steps and per-file errors."""

    entry: dict[str, Any]
    jobs: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    runs: list[RunSite] = field(default_factory=list)
    calls: list[LocalCall] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def error_entry(path: str, line: int | None, message: str) -> dict[str, Any]:
    return {"path": path, "line": line or None, "message": message}


def as_text(value: Any) -> str | None:
    """A scalar as text (YAML numbers and booleans as YAML would print them), None for missing."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(as_text(v)) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {as_text(v)}" for k, v in value.items())
    return str(value)


def text_list(value: Any) -> list[str]:
    """A scalar or list as a list of strings."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(as_text(v)) for v in value if v is not None]
    return [str(as_text(value))]


def mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is a mapping, else an empty one (CI files are often half-written)."""
    return value if isinstance(value, dict) else {}


def sequence(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def chunk(value: Any, fallback_line: int) -> tuple[str, int, bool]:
    """A script value as an analysis chunk ``(text, first_line, literal)``."""
    if isinstance(value, Src):
        return str(value), value.line or fallback_line, value.literal
    return str(as_text(value) or ""), fallback_line, False


def truncate(text: str, limit: int = 4000) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
