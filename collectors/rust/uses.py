"""Rust ``use`` declarations and path expressions: the alias each ``use`` brings into scope, and every path
expression of a file expanded through those aliases."""

from __future__ import annotations

from collections.abc import Iterator

from anops_policy.collectors.rust.tokens import IDENT, PUNCT, Token, positions, token_keys


def use_aliases(toks: list[Token], keys: list[str | None] | None = None) -> dict[str, str]:
    """``use`` aliases: the name in scope → the full path (``keys``: ``token_keys(toks)``, if at hand).

    ``use a::b::{c, d as e}`` gives c → a::b::c and e → a::b::d."""
    if keys is None:
        keys = token_keys(toks)
    out: dict[str, str] = {}
    n = len(keys)
    i = 0  # the declarations before ``i`` are done
    for u in positions(keys, "use"):
        if u < i or (u > 0 and keys[u - 1] == "::"):
            continue
        try:
            end = keys.index(";", u + 1)
        except ValueError:
            end = n
        _use_tree(toks[u + 1 : end], [], out)
        i = end + 1
    return out


_MAX_USE_DEPTH = 16  # nested `use a::{b::{…}}` groups followed; deeper ones (never seen in real code) are ignored


def _use_tree(toks: list[Token], prefix: list[str], out: dict[str, str], depth: int = 0) -> None:
    if depth > _MAX_USE_DEPTH:
        return
    parts = list(prefix)
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.kind == IDENT and t.text != "as":
            parts.append(t.text)
        elif t.is_punct("{"):
            level, start = 0, i + 1
            for j in range(i, len(toks)):
                if toks[j].is_punct("{"):
                    level += 1
                elif toks[j].is_punct("}"):
                    level -= 1
                    if level == 0:
                        _use_group(toks[start:j], parts, out, depth + 1)
                        return
            return
        elif t.is_ident("as") and i + 1 < len(toks):
            out[toks[i + 1].text] = "::".join(p for p in parts if p not in ("crate", "self", "super"))
            return
        i += 1
    clean = [p for p in parts if p not in ("crate", "self", "super")]
    if clean:
        out[clean[-1]] = "::".join(clean)


def _use_group(toks: list[Token], prefix: list[str], out: dict[str, str], depth: int) -> None:
    level, start = 0, 0
    for j, t in enumerate([*toks, Token(PUNCT, ",", 0)]):
        if t.is_punct("{"):
            level += 1
        elif t.is_punct("}"):
            level -= 1
        elif t.is_punct(",") and level == 0:
            if j > start:
                _use_tree(toks[start:j], prefix, out, depth)
            start = j + 1


def paths(toks: list[Token], aliases: dict[str, str]) -> Iterator[tuple[int, str]]:
    """Every path expression outside ``use`` declarations: (token index of its start, expanded path).
    The first segment is expanded through the file's ``use`` aliases (``aliases``, from ``use_aliases``)."""
    i = 0
    n = len(toks)
    while i < n:
        t = toks[i]
        if t.is_ident("use"):
            while i < n and not toks[i].is_punct(";"):
                i += 1
            continue
        if t.kind == IDENT and not (i > 0 and toks[i - 1].is_punct("::")):
            segs = [t.text]
            j = i + 1
            while j + 1 < n and toks[j].is_punct("::") and toks[j + 1].kind == IDENT:
                segs.append(toks[j + 1].text)
                j += 2
            while segs and segs[0] in ("crate", "self", "super") and len(segs) > 1:
                segs = segs[1:]
            head = aliases.get(segs[0])
            if head is not None:
                segs = [*head.split("::"), *segs[1:]]
            yield i, "::".join(segs)
            i = j
            continue
        i += 1
