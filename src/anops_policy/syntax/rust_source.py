"""Rust source as the rust collector reads it: the file's tokens (identifiers, punctuation, numbers,
lifetimes, and string and char literals with their decoded values), each with the line it starts on,
comments dropped, read off the file's tree-sitter tree (``trees``: one parse per file per run, shared with
the patterns collector).

tree-sitter decides what is a comment, a literal or code: nested block comments, raw strings with any
number of hashes, byte and C strings, char literals against lifetimes and loop labels, doc comments, a
shebang. ast-grep finds those nodes natively in one traversal and only their spans cross into Python; the
code between them holds nothing but identifiers, numbers, punctuation and lifetimes, split by one regular
expression. (Reading the tree's ~3 million leaves one by one across pyo3 costs more than the parse itself
on the benchmark tree, measured: benchmarks/README.md, "Issue 21: the Rust collector on tree-sitter".)

A file tree-sitter could not parse is still read: a comment or literal it found unterminated (an ERROR
node holding a lone ``"``, ``/*`` or raw-string opener, a block comment running to the end of the file)
is reported in ``Lexed.problems`` and runs to the end of the file, as rustc's lexer would have it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from ast_grep_py import Rule, SgNode

from anops_policy.syntax.languages import LANGUAGES
from anops_policy.syntax.trees import Tree, parse_source

RUST = LANGUAGES["rust"]

IDENT = "ident"
PUNCT = "punct"
STR = "str"  # string-like literal; ``text`` holds the decoded value
CHAR = "char"
LIFETIME = "lifetime"
NUM = "num"

# every node whose text is not code, found by ast-grep in one traversal of the tree
_NOT_CODE = ("line_comment", "block_comment", "string_literal", "raw_string_literal", "char_literal", "shebang")
_LEXICAL: list[Rule] = [{"kind": k} for k in _NOT_CODE]
# plain code between comments and literals: a lifetime or label, a raw identifier, an identifier, a number,
# a two-character operator the collector reads as one token, a newline, any other character
_PLAIN = re.compile(r"'[^\W\d]\w*|r\#[^\W\d]\w*|[^\W\d]\w*|\d(?:\w|\.(?=\d))*|::|->|=>|\.\.|\n|[^\s]")
_IDENT_START = re.compile(r"[^\W\d]")
_DIGIT = re.compile(r"\d")
_ESCAPE = re.compile(r"\\(?:u\{([0-9A-Fa-f_]{1,8})\}|x([0-9A-Fa-f]{2})|\r?\n\s*|(.))", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", "0": "\0", "'": "'", '"': '"'}
_RAW_OPENER = re.compile(r'(?:br|cr|r)#*"')


class Token(NamedTuple):
    kind: str
    text: str
    line: int
    prefix: str = ""  # literal prefix: "", "b", "c", "r", "br", "cr"

    def is_punct(self, text: str) -> bool:
        return self.kind == PUNCT and self.text == text

    def is_ident(self, text: str | None = None) -> bool:
        return self.kind == IDENT and (text is None or self.text == text)


@dataclass
class Lexed:
    tokens: list[Token]
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, message)


class _Kinds(dict[str, str]):
    """A plain token's kind from its first character (the alternative of ``_PLAIN`` it matched)."""

    def __missing__(self, first: str) -> str:
        if first == "'":
            kind = LIFETIME
        else:
            kind = IDENT if _IDENT_START.match(first) else NUM if _DIGIT.match(first) else PUNCT
        self[first] = kind
        return kind


_KIND = _Kinds()


def _unescape_one(m: re.Match[str]) -> str:
    if m.group(1) is not None:
        try:
            return chr(int(m.group(1).replace("_", ""), 16))
        except (ValueError, OverflowError):
            return ""
    if m.group(2) is not None:
        return chr(int(m.group(2), 16))
    other = m.group(3)
    if other is None:  # backslash-newline: the newline and the next line's leading whitespace vanish
        return ""
    return _SIMPLE_ESCAPES.get(other, other)


def unescape(body: str) -> str:
    return _ESCAPE.sub(_unescape_one, body) if "\\" in body else body


def _literal(text: str, line: int) -> Token | None:
    """The token of a string, raw string or char literal node's text (None for a comment or shebang)."""
    if text[0] in "/#":
        return None
    quote = text.find('"')
    apostrophe = text.find("'")
    if quote < 0 or (0 <= apostrophe < quote):  # a char literal: 'x', b'x'
        prefix = text[:apostrophe]
        return Token(CHAR, unescape(text[apostrophe + 1 : -1]), line, prefix)
    head = text[:quote]
    prefix = head.rstrip("#")
    if "r" in prefix:  # a raw string: no escapes, closed by a quote and as many hashes as it opened with
        hashes = len(head) - len(prefix)
        return Token(STR, text[quote + 1 : len(text) - 1 - hashes], line, prefix)
    return Token(STR, unescape(text[quote + 1 : -1]), line, prefix)


class _Cut(NamedTuple):
    """Where an unterminated comment or literal starts; a string's body runs from ``body`` to the end."""

    start: int
    line: int
    message: str
    body: int | None = None  # None for a comment
    prefix: str = ""


def _unterminated(root: SgNode, src: str) -> _Cut | None:
    """The first comment or literal tree-sitter found unterminated: an ERROR node whose text opens a raw
    string, or whose first quote or ``/*`` leaf opens nothing tree-sitter could close."""
    found: list[_Cut] = []
    for error in root.find_all(kind="ERROR"):
        start = error.range().start
        opener = _RAW_OPENER.match(src, start.index)
        if opener is not None:
            prefix = opener.group().rstrip('#"')
            found.append(_Cut(start.index, start.line + 1, "unterminated raw string literal", opener.end(), prefix))
            continue
        for leaf in _leaves(error):
            kind = leaf.kind()
            if kind in ('"', "/*"):
                at = leaf.range().start
                if kind == '"':
                    found.append(_Cut(at.index, at.line + 1, "unterminated string literal", at.index + 1))
                else:
                    found.append(_Cut(at.index, at.line + 1, "unterminated block comment"))
                break
    return min(found) if found else None


def _leaves(node: SgNode) -> list[SgNode]:
    """The leaves of ``node`` in order, a comment or literal counting as one (its quotes are no openers)."""
    out: list[SgNode] = []
    stack = [node]
    while stack:
        current = stack.pop()
        children = current.children() if current.kind() not in _NOT_CODE else []
        if children:
            stack.extend(reversed(children))
        else:
            out.append(current)
    return out


def rust_tokens(src: str, tree: Tree | None = None) -> Lexed:
    """The tokens of ``src`` (comments dropped), from its tree (parsed here when not given), plus the
    comments and literals left unterminated."""
    if tree is None:
        tree = parse_source(src, RUST)
    root = tree.root
    tokens: list[Token] = []
    problems: list[tuple[int, str]] = []
    append = tokens.append
    kinds = _KIND
    new = tuple.__new__
    findall = _PLAIN.findall
    n = len(src)
    cut = _unterminated(root, src) if tree.error is not None else None
    stop_at = cut.start if cut is not None else n
    spans: list[tuple[int, int, int, int]] = []
    for node in root.find_all(any=_LEXICAL):
        r = node.range()
        begin, finish = r.start, r.end
        if begin.index >= stop_at:
            break
        spans.append((begin.index, finish.index, begin.line, finish.line))
    spans.append((stop_at, stop_at, -1, -1))
    pos = 0
    line = 1
    for start, end, first_line, last_line in spans:
        for plain in findall(src, pos, start):
            if plain == "\n":
                line += 1
                continue
            kind = kinds[plain[0]]
            if kind is IDENT and plain[1:2] == "#" and plain[0] == "r":
                plain = plain[2:]  # noqa: PLW2901 - a raw identifier is the word after r#
            elif kind is LIFETIME:
                if len(plain) == 1:  # a quote no literal could close
                    problems.append((line, "unterminated char literal"))
                    kind = PUNCT
                else:
                    plain = plain[1:]  # noqa: PLW2901 - a lifetime's token holds its name
            append(new(Token, (kind, plain, line, "")))
        if first_line < 0:
            break
        if src[end - 2 : end] != "*/" and src.startswith("/*", start):
            problems.append((first_line + 1, "unterminated block comment"))
        token = _literal(src[start:end], first_line + 1)
        if token is not None:
            append(token)
        pos = end
        line = last_line + 1
    if cut is not None:
        problems.append((cut.line, cut.message))
        if cut.body is not None:
            append(Token(STR, src[cut.body :], cut.line, cut.prefix))
    problems.sort(key=lambda p: p[0])
    return Lexed(tokens, problems)
