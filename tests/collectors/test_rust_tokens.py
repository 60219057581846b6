"""The rust collector's tokens, read off the tree-sitter tree: literal prefixes count only at a token start,
comments of either kind end where they should, quotes nothing closes are reported, and the per-token keys
the scans search stand for ``Token.is_ident``/``is_punct``. Expected tokens are those of the hand-written
lexer the collector had before tree-sitter, but where a comment says otherwise."""

from __future__ import annotations

import pytest
from anops_policy.collectors.rust.tokens import positions, positions_of, rust_tokens, token_keys

CASES = [
    (
        'let s = br"x" + b\'a\' + r#match;',
        [
            ("ident", "let", 1, ""),
            ("ident", "s", 1, ""),
            ("punct", "=", 1, ""),
            ("str", "x", 1, "br"),
            ("punct", "+", 1, ""),
            ("char", "a", 1, "b"),
            ("punct", "+", 1, ""),
            ("ident", "match", 1, ""),
            ("punct", ";", 1, ""),
        ],
        [],
    ),
    (  # a prefix letter right after a word character is part of that word; after a number, tree-sitter
        # reads a raw string (rustc: the number's suffix `r`, which it rejects: no compiling code has one)
        'attr"x" 1r"x" 1.5r"y"',
        [
            ("ident", "attr", 1, ""),
            ("str", "x", 1, ""),
            ("num", "1", 1, ""),
            ("str", "x", 1, "r"),
            ("num", "1.5", 1, ""),
            ("str", "y", 1, "r"),
        ],
        [],
    ),
    (  # prefixes that start no literal after all
        "b'ab' r#1 c\"z\"",
        [
            ("ident", "b", 1, ""),
            ("lifetime", "ab", 1, ""),
            ("punct", "'", 1, ""),
            ("ident", "r", 1, ""),
            ("punct", "#", 1, ""),
            ("num", "1", 1, ""),
            ("str", "z", 1, "c"),
        ],
        [(1, "unterminated char literal")],
    ),
    (
        "a //* not a block\nb /* x /* y */ z */ c",
        [("ident", "a", 1, ""), ("ident", "b", 2, ""), ("ident", "c", 2, "")],
        [],
    ),
    (
        "#!/usr/bin/env run\nfn main() {}",
        [
            ("ident", "fn", 2, ""),
            ("ident", "main", 2, ""),
            ("punct", "(", 2, ""),
            ("punct", ")", 2, ""),
            ("punct", "{", 2, ""),
            ("punct", "}", 2, ""),
        ],
        [],
    ),
    (
        "x.0.1 ..= 'a' 'lt",
        [
            ("ident", "x", 1, ""),
            ("punct", ".", 1, ""),
            ("num", "0.1", 1, ""),
            ("punct", "..", 1, ""),
            ("punct", "=", 1, ""),
            ("char", "a", 1, ""),
            ("lifetime", "lt", 1, ""),
        ],
        [],
    ),
    ('"open', [("str", "open", 1, "")], [(1, "unterminated string literal")]),
    (  # a file cut off inside a string: tree-sitter closes it with a quote it supplies, rustc reads to the end
        'm!(a, "x");\nm!(b, "(?U)a+',
        [
            ("ident", "m", 1, ""),
            ("punct", "!", 1, ""),
            ("punct", "(", 1, ""),
            ("ident", "a", 1, ""),
            ("punct", ",", 1, ""),
            ("str", "x", 1, ""),
            ("punct", ")", 1, ""),
            ("punct", ";", 1, ""),
            ("ident", "m", 2, ""),
            ("punct", "!", 2, ""),
            ("punct", "(", 2, ""),
            ("ident", "b", 2, ""),
            ("punct", ",", 2, ""),
            ("str", "(?U)a+", 2, ""),
        ],
        [(2, "unterminated string literal")],
    ),
    (
        'let s = r#"abc\n',
        [("ident", "let", 1, ""), ("ident", "s", 1, ""), ("punct", "=", 1, ""), ("str", "abc\n", 1, "r")],
        [(1, "unterminated raw string literal")],
    ),
    (
        'let s = b"abc',
        [
            ("ident", "let", 1, ""),
            ("ident", "s", 1, ""),
            ("punct", "=", 1, ""),
            ("ident", "b", 1, ""),
            ("str", "abc", 1, ""),
        ],
        [(1, "unterminated string literal")],
    ),
    (
        "fn f() { /* open /* nested */ x }\n",
        [
            ("ident", "fn", 1, ""),
            ("ident", "f", 1, ""),
            ("punct", "(", 1, ""),
            ("punct", ")", 1, ""),
            ("punct", "{", 1, ""),
        ],
        [(1, "unterminated block comment")],
    ),
]


@pytest.mark.parametrize(("src", "tokens", "problems"), CASES)
def test_tokens(src: str, tokens: list[tuple[str, str, int, str]], problems: list[tuple[int, str]]) -> None:
    lexed = rust_tokens(src)
    assert [tuple(t) for t in lexed.tokens] == tokens
    assert lexed.problems == problems


def test_keys_stand_for_is_ident_and_is_punct() -> None:
    toks = rust_tokens('fn f() { let fn_ = "fn"; 1; \'fn }').tokens
    keys = token_keys(toks)
    for text in ("fn", "{", "let", "1", ";"):
        assert positions(keys, text) == [i for i, t in enumerate(toks) if t.is_ident(text) or t.is_punct(text)]
    names = frozenset(("fn", "let", "}"))
    assert positions_of(keys, names) == [i for i, k in enumerate(keys) if k in names]
    assert positions_of(keys, frozenset(("absent",))) == []
