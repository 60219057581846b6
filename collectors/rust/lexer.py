"""A lexical scanner for Rust source: just enough of the language's lexical grammar that comments and
literals never produce matches.

Handled: line and doc comments, *nested* block comments, strings with escapes (including a backslash
before a newline), byte and C strings, raw strings with any number of hashes (``r#"…"#``, ``br##"…"##``,
``cr"…"``), char and byte literals versus lifetimes and loop labels (``'a'`` / ``'\\n'`` / ``'a``),
raw identifiers (``r#match``), a leading shebang line, and numbers. Comments are dropped; every other
token keeps the line it starts on. Unterminated comments or literals run to the end of the file and are
reported in ``Lexed.problems`` rather than raised: a scanner over a whole repository must not stop at one
broken file.

Plain code (identifiers, numbers, punctuation) between comments and literals is tokenised by one
``findall``; at each comment, literal or quote one compiled regular expression recognises the token;
only block comments are finished by hand. ``tests/collectors/test_rust_lexer_rustc.py`` checks the
tokens against rustc's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

IDENT = "ident"
PUNCT = "punct"
STR = "str"  # string-like literal; ``text`` holds the decoded value
CHAR = "char"
LIFETIME = "lifetime"
NUM = "num"

# Every token alternative, in priority order, matched where ``_SPECIAL`` finds a comment, literal or quote.
# Strings, raw strings (any number of hashes, via a back-reference) and char literals are whole tokens;
# a block comment is finished by hand because it nests.
_TOKEN = re.compile(
    r"""
    (?P<nl>\n)
  | (?P<line_comment>//[^\n]*)
  | (?P<block_comment>/\*)
  | (?P<raw_string>(?P<rprefix>br|cr|r)(?P<hashes>\#*)"(?P<raw_body>.*?)"(?P=hashes))
  | (?P<raw_open>(?:br|cr|r)\#*")
  | (?P<string>(?P<sprefix>b|c)?"(?P<body>(?:[^"\\]|\\.)*)")
  | (?P<char>(?P<cprefix>b)?'(?P<cbody>\\(?:u\{[0-9A-Fa-f_]*\}|x[0-9A-Fa-f]{2}|[^\n])|[^\\\n'])')
  | (?P<lifetime>'(?P<lname>[^\W\d]\w*))
  | (?P<raw_ident>r\#(?P<raw_name>[^\W\d]\w*))
  | (?P<ident>[^\W\d]\w*)
  | (?P<number>\d(?:\w|\.(?=\d))*)
  | (?P<punct>::|->|=>|\.\.|[^\s])
    """,
    re.VERBOSE | re.DOTALL,
)
# Where the next comment, literal or quote may start; everything before it is plain code, tokenised by
# ``_PLAIN`` in one ``findall`` (the same ident/number/punct alternatives as ``_TOKEN``). A literal prefix
# counts only at a token start, i.e. not right after a word character.
_SPECIAL = re.compile(r"""//[^\n]*|/\*|["']|(?<!\w)(?:(?:br|cr|[bcr])\#*"|b'|r\#)""")
_PLAIN = re.compile(r"[^\W\d]\w*|\d(?:\w|\.(?=\d))*|::|->|=>|\.\.|\n|[^\s]")
_IDENT_START = re.compile(r"[^\W\d]")
_DIGIT = re.compile(r"\d")
_COMMENT_EDGE = re.compile(r"/\*|\*/")
_ESCAPE = re.compile(r"\\(?:u\{([0-9A-Fa-f_]{1,8})\}|x([0-9A-Fa-f]{2})|\r?\n\s*|(.))", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", "0": "\0", "'": "'", '"': '"'}
_KEYED = frozenset((IDENT, PUNCT))  # the kinds ``token_keys`` keeps the text of
_UNTERMINATED = {'"': "unterminated string literal", "'": "unterminated char literal"}


class Token(NamedTuple):
    kind: str
    text: str
    line: int
    prefix: str = ""  # literal prefix: "", "b", "c", "r", "br", "cr"

    def is_punct(self, text: str) -> bool:
        return self.kind == PUNCT and self.text == text

    def is_ident(self, text: str | None = None) -> bool:
        return self.kind == IDENT and (text is None or self.text == text)


def token_keys(toks: list[Token]) -> list[str | None]:
    """Per token, its text if it is an identifier or punctuation, else None: ``keys[i] == "fn"`` is
    ``toks[i].is_ident("fn")`` (no punctuation is a word) and ``keys[i] == "{"`` is ``toks[i].is_punct("{")``,
    at the cost of a list lookup, and ``positions`` finds every occurrence of one in C."""
    return [t.text if t.kind in _KEYED else None for t in toks]


def positions(keys: list[str | None], key: str) -> list[int]:
    """The indexes ``i`` with ``keys[i] == key``, in order."""
    out: list[int] = []
    find = keys.index
    i = -1
    try:
        while True:
            i = find(key, i + 1)
            out.append(i)
    except ValueError:
        return out


def positions_of(keys: list[str | None], names: frozenset[str]) -> list[int]:
    """The indexes ``i`` with ``keys[i]`` in ``names``, in order."""
    present = names.intersection(keys)
    if len(present) <= 1:
        return positions(keys, next(iter(present))) if present else []
    return sorted(i for name in present for i in positions(keys, name))


@dataclass
class Lexed:
    tokens: list[Token]
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, message)


class _Kinds(dict[str, str]):
    """A plain token's kind from its first character (the alternative of ``_PLAIN`` it matched)."""

    def __missing__(self, first: str) -> str:
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


def lex(src: str) -> Lexed:
    """Tokens of ``src`` (comments dropped), plus problems found (unterminated comments or literals)."""
    tokens: list[Token] = []
    problems: list[tuple[int, str]] = []
    append = tokens.append
    n = len(src)
    pos = 0
    line = 1
    if src.startswith("#!") and not src.startswith("#!["):
        end = src.find("\n")
        pos = n if end < 0 else end
    kinds = _KIND
    new = tuple.__new__
    while pos < n:
        special = _SPECIAL.search(src, pos)
        stop = special.start() if special is not None else n
        # plain code up to the next comment, literal or quote: identifiers, numbers and punctuation only
        for text in _PLAIN.findall(src, pos, stop):
            if text == "\n":
                line += 1
            else:
                append(new(Token, (kinds[text[0]], text, line, "")))
        if special is None:
            break
        if src.startswith("//", stop):  # a line comment (all of it matched): dropped, its newline is plain
            pos = special.end()
            continue
        m = _TOKEN.match(src, stop)
        if m is None:  # unreachable: the last alternative matches any non-space character
            break
        pos = m.end()
        kind = m.lastgroup
        if kind == "punct":
            text = m.group()
            if text in _UNTERMINATED:  # a quote no literal alternative could close
                problems.append((line, _UNTERMINATED[text]))
                if text == '"':
                    append(Token(STR, src[m.end() :], line))
                    break
            append(Token(PUNCT, text, line))
        elif kind == "string":
            append(Token(STR, unescape(m.group("body")), line, m.group("sprefix") or ""))
            line += m.group().count("\n")
        elif kind == "raw_string":
            append(Token(STR, m.group("raw_body"), line, m.group("rprefix")))
            line += m.group().count("\n")
        elif kind == "char":
            append(Token(CHAR, unescape(m.group("cbody")), line, m.group("cprefix") or ""))
        elif kind == "lifetime":
            append(Token(LIFETIME, m.group("lname"), line))
        elif kind == "raw_ident":
            append(Token(IDENT, m.group("raw_name"), line))
        elif kind == "ident":  # a prefix letter that starts no literal after all (`b'ab'`, `r#1`)
            append(Token(IDENT, m.group(), line))
        elif kind == "raw_open":  # a raw string that never closes: the rest of the file is its body
            problems.append((line, "unterminated raw string literal"))
            append(Token(STR, src[m.end() :], line, m.group().rstrip('#"')))
            break
        elif kind == "block_comment":
            pos = _skip_block_comment(src, m.end(), line, problems)
            line += src.count("\n", m.start(), pos)
    return Lexed(tokens, problems)


def _skip_block_comment(src: str, pos: int, line: int, problems: list[tuple[int, str]]) -> int:
    """``pos`` is just after ``/*``; the index after the matching ``*/`` (comments nest)."""
    depth = 1
    for edge in _COMMENT_EDGE.finditer(src, pos):
        depth += 1 if edge.group() == "/*" else -1
        if depth == 0:
            return edge.end()
    problems.append((line, "unterminated block comment"))
    return len(src)
