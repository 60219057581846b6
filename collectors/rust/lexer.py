"""A lexical scanner for Rust source: just enough of the language's lexical grammar that comments and
literals never produce matches.

Handled: line and doc comments, *nested* block comments, strings with escapes (including a backslash
before a newline), byte and C strings, raw strings with any number of hashes (``r#"…"#``, ``br##"…"##``,
``cr"…"``), char and byte literals versus lifetimes and loop labels (``'a'`` / ``'\\n'`` / ``'a``),
raw identifiers (``r#match``), a leading shebang line, and numbers. Comments are dropped; every other
token keeps the line it starts on. Unterminated comments or literals run to the end of the file and are
reported in ``Lexed.problems`` rather than raised: a scanner over a whole repository must not stop at one
broken file.

One compiled regular expression recognises the next token; only block comments, literals and quotes
are finished by hand. ``tests/collectors/test_rust_lexer_rustc.py`` checks the tokens against rustc's.
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

# Every token alternative, in priority order. Whitespace is not an alternative: ``finditer`` skips it.
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
_COMMENT_EDGE = re.compile(r"/\*|\*/")
_ESCAPE = re.compile(r"\\(?:u\{([0-9A-Fa-f_]{1,8})\}|x([0-9A-Fa-f]{2})|\r?\n\s*|(.))", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", "0": "\0", "'": "'", '"': '"'}
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


@dataclass
class Lexed:
    tokens: list[Token]
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, message)


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
    while pos < n:
        restart = n
        for m in _TOKEN.finditer(src, pos):
            kind = m.lastgroup
            if kind == "nl":
                line += 1
            elif kind in {"ident", "number"}:
                append(Token(IDENT if kind == "ident" else NUM, m.group(), line))
            elif kind == "punct":
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
            elif kind == "raw_open":  # a raw string that never closes: the rest of the file is its body
                problems.append((line, "unterminated raw string literal"))
                append(Token(STR, src[m.end() :], line, m.group().rstrip('#"')))
                break
            elif kind == "block_comment":
                restart = _skip_block_comment(src, m.end(), line, problems)
                line += src.count("\n", m.start(), restart)
                break
            # line_comment: dropped
        pos = restart
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
