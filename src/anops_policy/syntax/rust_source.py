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

A file tree-sitter could not parse is still read: a comment or literal left unterminated (a quote or
``/*`` tree-sitter recovered from as code, a block comment or string it closed at the end of the file) is
reported in ``Lexed.problems`` and runs to the end of the file, as rustc's lexer would have it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from ast_grep_py import Rule

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
_LEXICAL_OR_ERROR: list[Rule] = [*_LEXICAL, {"kind": "ERROR"}]  # one walk finds both
# plain code between comments and literals: a lifetime or label, a raw identifier, an identifier, a number,
# a two-character operator the collector reads as one token, a newline, any other character
_PLAIN = re.compile(r"'[^\W\d]\w*|r\#[^\W\d]\w*|[^\W\d]\w*|\d(?:\w|\.(?=\d))*|::|->|=>|\.\.|\n|[^\s]")
_IDENT_START = re.compile(r"[^\W\d]")
_DIGIT = re.compile(r"\d")
_ESCAPE = re.compile(r"\\(?:u\{([0-9A-Fa-f_]{1,8})\}|x([0-9A-Fa-f]{2})|\r?\n\s*|(.))", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", "0": "\0", "'": "'", '"': '"'}
_RAW_OPENER = re.compile(r'(?:br|cr|r)#*"')
_CLOSED_STRING = re.compile(r'[bc]?"(?:[^"\\]|\\.)*"', re.DOTALL)
_CLOSED_RAW = re.compile(r'(?:br|cr|r)(#*)".*?"\1', re.DOTALL)
_RAW_BEFORE = re.compile(r"(?<!\w)(?:br|cr|r)\#*\Z")  # a raw string's opener right before its quote


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


def _closed(text: str) -> bool:
    """Whether a literal node's text ends with its closing quote (tree-sitter supplies a missing one)."""
    quote = text.find('"')
    if quote < 0 or "'" in text[:quote]:  # a char literal: read as it is
        return True
    if _RAW_OPENER.match(text):
        return _CLOSED_RAW.fullmatch(text) is not None
    return _CLOSED_STRING.fullmatch(text) is not None


def _unclosed(rest: str, line: int) -> tuple[list[Token], tuple[int, str]]:
    """A string literal that never closes, ``rest`` running from its start to the end of the file: its tokens
    and problem as rustc's lexer reads it (a prefix letter before a quote that opens nothing is an
    identifier; the body is the rest of the file)."""
    opener = _RAW_OPENER.match(rest)
    if opener is not None:
        prefix = opener.group().rstrip('#"')
        return [Token(STR, rest[opener.end() :], line, prefix)], (line, "unterminated raw string literal")
    quote = rest.find('"')
    tokens = [Token(IDENT, rest[:quote], line)] if quote else []
    return [*tokens, Token(STR, rest[quote + 1 :], line)], (line, "unterminated string literal")


def _code(src: str, pos: int, stop: int, line: int, tokens: list[Token], problems: list[tuple[int, str]]) -> int:
    """Append the tokens of the code in ``src[pos:stop]``; the line at ``stop``."""
    append = tokens.append
    kinds = _KIND
    new = tuple.__new__
    for plain in _PLAIN.findall(src, pos, stop):
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
    return line


def _opener(src: str, pos: int, stop: int) -> int:
    """Where ``src[pos:stop]``, code to tree-sitter, opens a string or block comment (-1 if nowhere)."""
    found = [i for i in (src.find('"', pos, stop), src.find("/*", pos, stop)) if i >= 0]
    return min(found) if found else -1


def _open_to_end(src: str, pos: int, at: int, line: int, tokens: list[Token], problems: list[tuple[int, str]]) -> None:
    """The code from ``pos``, then what opens at ``at`` and runs to the end of the file: a block comment,
    a raw string (its ``r#…`` opener just before), or a string."""
    if src.startswith("/*", at):
        line = _code(src, pos, at, line, tokens, problems)
        problems.append((line, "unterminated block comment"))
        return
    raw = _RAW_BEFORE.search(src, pos, at)
    line = _code(src, pos, raw.start() if raw is not None else at, line, tokens, problems)
    if raw is not None:
        problems.append((line, "unterminated raw string literal"))
        tokens.append(Token(STR, src[at + 1 :], line, raw.group().rstrip("#")))
    else:
        problems.append((line, "unterminated string literal"))
        tokens.append(Token(STR, src[at + 1 :], line))


def rust_tokens(src: str, tree: Tree | None = None) -> Lexed:
    """The tokens of ``src`` (comments dropped), from its tree (parsed here when not given), plus the
    comments and literals left unterminated."""
    if tree is None:
        tree = parse_source(src, RUST)
    tokens: list[Token] = []
    problems: list[tuple[int, str]] = []
    append = tokens.append
    kinds = _KIND
    new = tuple.__new__
    findall = _PLAIN.findall
    n = len(src)
    spans: list[tuple[int, int, int, int]] = []
    broken = False  # whether tree-sitter recovered from a syntax error anywhere (an ERROR node)
    for node in tree.root.find_all(any=_LEXICAL_OR_ERROR):
        if node.kind() == "ERROR":
            broken = True
            continue
        r = node.range()
        begin, finish = r.start, r.end
        spans.append((begin.index, finish.index, begin.line, finish.line))
    spans.append((n, n, -1, -1))  # the code after the last comment or literal
    pos = 0
    line = 1
    for start, end, first_line, last_line in spans:
        # tree-sitter leaves a quote or `/*` as code only where it recovered from an error: what opens there
        # never closes (else tree-sitter had made it a literal or comment), and runs to the end of the file
        at = _opener(src, pos, start) if broken else -1
        if at >= 0:
            _open_to_end(src, pos, at, line, tokens, problems)
            break
        if src.find("'", pos, start) >= 0 or src.find("r#", pos, start) >= 0:
            line = _code(src, pos, start, line, tokens, problems)  # lifetimes, raw identifiers, stray quotes
        else:
            for plain in findall(src, pos, start):
                if plain == "\n":
                    line += 1
                else:
                    append(new(Token, (kinds[plain[0]], plain, line, "")))
        if first_line < 0:
            break
        suspect = broken or end == n or end - start < 2 or src[end - 1] not in "\"'#"
        if suspect and src[start] not in "/#" and not _closed(src[start:end]):
            found, problem = _unclosed(src[start:], first_line + 1)  # tree-sitter closed it where it ends
            tokens.extend(found)
            problems.append(problem)
            break
        if src[end - 2 : end] != "*/" and src.startswith("/*", start):
            problems.append((first_line + 1, "unterminated block comment"))
        token = _literal(src[start:end], first_line + 1)
        if token is not None:
            append(token)
        pos = end
        line = last_line + 1
    return Lexed(tokens, problems)
