"""A lexical scanner for Rust source: just enough of the language's lexical grammar that comments and
literals never produce matches.

Handled: line and doc comments, *nested* block comments, strings with escapes (including a backslash
before a newline), byte and C strings, raw strings with any number of hashes (``r#"…"#``, ``br##"…"##``,
``cr"…"``), char and byte literals versus lifetimes and loop labels (``'a'`` / ``'\\n'`` / ``'a``),
raw identifiers (``r#match``), a leading shebang line, and numbers. Comments are dropped; every other
token keeps the line it starts on. Unterminated comments or literals run to the end of the file and are
reported in ``Lexed.problems`` rather than raised: a scanner over a whole repository must not stop at one
broken file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

IDENT = "ident"
PUNCT = "punct"
STR = "str"  # string-like literal; ``text`` holds the decoded value
CHAR = "char"
LIFETIME = "lifetime"
NUM = "num"

# Multi-character punctuation that matters for matching paths and signatures; everything else is one char.
_PUNCT2 = ("::", "->", "=>", "..")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", "0": "\0", "'": "'", '"': '"'}


@dataclass(frozen=True, slots=True)
class Token:
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
    problems: list[str] = field(default_factory=list)


def _is_ident_start(ch: str) -> bool:
    return ch == "_" or ch.isalpha()


def _is_ident_char(ch: str) -> bool:
    return ch == "_" or ch.isalnum()


class _Lexer:
    def __init__(self, src: str) -> None:
        self.s = src
        self.n = len(src)
        self.i = 0
        self.line = 1
        self.tokens: list[Token] = []
        self.problems: list[str] = []

    def _advance_to(self, j: int) -> None:
        self.line += self.s.count("\n", self.i, j)
        self.i = j

    def run(self) -> Lexed:
        s, n = self.s, self.n
        if s.startswith("#!") and not s.startswith("#!["):
            end = s.find("\n")
            self._advance_to(n if end < 0 else end)
        while self.i < n:
            ch = s[self.i]
            if ch == "\n":
                self.line += 1
                self.i += 1
            elif ch in " \t\r\f\v":
                self.i += 1
            elif ch == "/" and s.startswith("//", self.i):
                end = s.find("\n", self.i)
                self.i = n if end < 0 else end
            elif ch == "/" and s.startswith("/*", self.i):
                self._block_comment()
            elif ch == '"':
                self._string(self.i + 1, "")
            elif ch == "'":
                self._quote("")
            elif ch.isdigit():
                self._number()
            elif _is_ident_start(ch):
                self._ident_or_prefixed_literal()
            elif ch.isspace():
                self.i += 1
            else:
                two = s[self.i : self.i + 2]
                if two in _PUNCT2:
                    self.tokens.append(Token(PUNCT, two, self.line))
                    self.i += 2
                else:
                    self.tokens.append(Token(PUNCT, ch, self.line))
                    self.i += 1
        return Lexed(self.tokens, self.problems)

    def _block_comment(self) -> None:
        s, n = self.s, self.n
        start_line = self.line
        depth = 0
        j = self.i
        while j < n:
            if s.startswith("/*", j):
                depth += 1
                j += 2
            elif s.startswith("*/", j):
                depth -= 1
                j += 2
                if depth == 0:
                    self._advance_to(j)
                    return
            else:
                j += 1
        self.problems.append(f"unterminated block comment starting at line {start_line}")
        self._advance_to(n)

    def _string(self, body: int, prefix: str) -> None:
        """A (byte/C) string whose body starts at ``body`` (just after the opening quote)."""
        s, n = self.s, self.n
        line = self.line
        out: list[str] = []
        j = body
        while j < n:
            ch = s[j]
            if ch == '"':
                self.tokens.append(Token(STR, "".join(out), line, prefix))
                self._advance_to(j + 1)
                return
            if ch == "\\" and j + 1 < n:
                text, j = self._escape(j)
                out.append(text)
                continue
            out.append(ch)
            j += 1
        self.problems.append(f"unterminated string literal starting at line {line}")
        self.tokens.append(Token(STR, "".join(out), line, prefix))
        self._advance_to(n)

    def _escape(self, j: int) -> tuple[str, int]:
        """Decode the escape at ``s[j] == '\\'``; returns the text and the index after it."""
        s = self.s
        nxt = s[j + 1]
        if nxt in _ESCAPES:
            return _ESCAPES[nxt], j + 2
        if nxt == "\n" or (nxt == "\r" and s.startswith("\r\n", j + 1)):
            # line continuation: the newline and the next line's leading whitespace are skipped
            k = j + 1
            while k < self.n and s[k] in " \t\r\n":
                k += 1
            return "", k
        if nxt == "x":
            try:
                return chr(int(s[j + 2 : j + 4], 16)), j + 4
            except ValueError:
                return "\\x", j + 2
        if nxt == "u" and s.startswith("{", j + 2):
            close = s.find("}", j + 3)
            if close > 0:
                try:
                    return chr(int(s[j + 3 : close].replace("_", ""), 16)), close + 1
                except (ValueError, OverflowError):
                    return "", close + 1
        return nxt, j + 2

    def _raw_string(self, hashes_at: int, prefix: str) -> None:
        """A raw string: ``s[hashes_at:]`` is ``#…#"`` (zero or more hashes, then the quote)."""
        s, n = self.s, self.n
        line = self.line
        k = hashes_at
        while k < n and s[k] == "#":
            k += 1
        closing = '"' + "#" * (k - hashes_at)
        end = s.find(closing, k + 1)
        if end < 0:
            self.problems.append(f"unterminated raw string literal starting at line {line}")
            self.tokens.append(Token(STR, s[k + 1 :], line, prefix))
            self._advance_to(n)
            return
        self.tokens.append(Token(STR, s[k + 1 : end], line, prefix))
        self._advance_to(end + len(closing))

    def _quote(self, prefix: str) -> None:
        """At a ``'``: a char/byte literal, or (without a prefix) a lifetime or loop label."""
        s, n = self.s, self.n
        i = self.i
        if i + 1 < n and s[i + 1] == "\\":
            text, j = self._escape(i + 1)
            close = s.find("'", j)
            if close < 0 or "\n" in s[j:close]:
                self.problems.append(f"unterminated char literal at line {self.line}")
                self.tokens.append(Token(PUNCT, "'", self.line))
                self.i += 1
                return
            self.tokens.append(Token(CHAR, text, self.line, prefix))
            self.i = close + 1
            return
        if i + 2 < n and s[i + 2] == "'" and s[i + 1] != "\n":
            self.tokens.append(Token(CHAR, s[i + 1], self.line, prefix))
            self.i = i + 3
            return
        if not prefix and i + 1 < n and _is_ident_start(s[i + 1]):
            j = i + 1
            while j < n and _is_ident_char(s[j]):
                j += 1
            self.tokens.append(Token(LIFETIME, s[i + 1 : j], self.line))
            self.i = j
            return
        self.tokens.append(Token(PUNCT, "'", self.line))
        self.i += 1

    def _number(self) -> None:
        s, n = self.s, self.n
        j = self.i
        while j < n and (_is_ident_char(s[j]) or (s[j] == "." and j + 1 < n and s[j + 1].isdigit())):
            j += 1
        self.tokens.append(Token(NUM, s[self.i : j], self.line))
        self.i = j

    def _ident_or_prefixed_literal(self) -> None:
        s, n = self.s, self.n
        i = self.i
        # literal prefixes: b"…", b'…', c"…", r"…", r#"…"#, br…, cr…, and raw identifiers r#name
        for prefix in ("br", "cr", "b", "c", "r"):
            if not s.startswith(prefix, i):
                continue
            k = i + len(prefix)
            nxt = s[k] if k < n else ""
            if prefix.endswith("r"):
                if nxt == '"' or (nxt == "#" and self._raw_opens(k)):
                    self.i = k
                    self._raw_string(k, prefix)
                    return
                if prefix == "r" and nxt == "#" and k + 1 < n and _is_ident_start(s[k + 1]):
                    j = k + 1
                    while j < n and _is_ident_char(s[j]):
                        j += 1
                    self.tokens.append(Token(IDENT, s[k + 1 : j], self.line))
                    self.i = j
                    return
            else:
                if nxt == '"':
                    self.i = k
                    self._string(k + 1, prefix)
                    return
                if nxt == "'" and prefix == "b":
                    self.i = k
                    self._quote("b")
                    return
        j = i
        while j < n and _is_ident_char(s[j]):
            j += 1
        self.tokens.append(Token(IDENT, s[i:j], self.line))
        self.i = j

    def _raw_opens(self, k: int) -> bool:
        """``s[k:]`` is one or more ``#`` followed by ``"``."""
        j = k
        while j < self.n and self.s[j] == "#":
            j += 1
        return j < self.n and self.s[j] == '"'


def lex(src: str) -> Lexed:
    """Tokens of ``src`` (comments dropped), plus problems found (unterminated comments or literals)."""
    return _Lexer(src).run()
