"""Shell script text to tokens: logical lines (continuations, here-documents, comments) and words, with
command substitutions / ``${...}`` / GitHub ``${{ ... }}`` expressions replaced by placeholders so that
an ``||`` inside an expression is never read as an operator; the split itself is ``shlex``'s.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

MAX_SCRIPT_CHARS = 200_000

_OPERATORS = ("&>>", "<<<", ";;&", "<<-", "&&", "||", ";;", ";&", ">>", ">&", "<&", "&>", ">|", "|&", "<<", "<>",
              ";", "&", "|", "(", ")", "<", ">", "\n")
REDIRECTS = {">", ">>", "<", ">&", "<&", "&>", "&>>", ">|", "<<", "<<-", "<<<", "<>"}
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
class Subst:
    original: str
    inner: str | None  # the command text of $( ) or backticks; None for ${ } and $(( ))
    line: int


class Scanner:
    """Split a script into logical lines and tokens, keeping each token's line."""

    def __init__(self) -> None:
        self.subs: list[Subst] = []

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
        self.subs.append(Subst(original, inner, line))
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

    def inner_scripts(self, word: str) -> list[Subst]:
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
