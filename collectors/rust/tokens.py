"""The token stream the rust collector's scans read (``anops_policy.syntax.rust_source``: a file's tokens off
its tree-sitter tree), and the searches over it: per-token keys and the positions of a keyword or operator."""

from __future__ import annotations

from anops_policy.syntax.rust_source import CHAR, IDENT, LIFETIME, NUM, PUNCT, STR, Lexed, Token, rust_tokens

__all__ = [
    "CHAR",
    "IDENT",
    "LIFETIME",
    "NUM",
    "PUNCT",
    "STR",
    "Lexed",
    "Token",
    "positions",
    "positions_of",
    "rust_tokens",
    "token_keys",
]

_KEYED = frozenset((IDENT, PUNCT))  # the kinds ``token_keys`` keeps the text of


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
