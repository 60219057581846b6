"""``glob(path, pattern)`` in CEL: bracket classes are tokenised before ``*``/``?``/``**``, ``[!...]`` and
``[^...]`` negate and never match ``/``; checked against ``fnmatch``/``PurePosixPath.match`` where those
define the same thing (one segment, or as many segments as the pattern, no ``**`` and no ``[^``)."""

from __future__ import annotations

import fnmatch
import re
from pathlib import PurePosixPath

import pytest

from anops_policy.cel import evaluator as cel
from anops_policy.cel.values import to_cel

# (path, pattern, matches)
CASES: list[tuple[str, str, bool]] = [
    # a class's contents are literal: `[*]` is a star, `[?]` a question mark (was: `*` split the class)
    ("a*b", "a[*]b", True),
    ("axb", "a[*]b", False),
    ("a?b", "a[?]b", True),
    ("axb", "a[?]b", False),
    ("x/[id].py", "x/[[]id].py", True),
    # negation, both spellings; a class never matches "/" (was: `[!x]` matched it)
    ("ayb", "a[!x]b", True),
    ("axb", "a[!x]b", False),
    ("a/b", "a[!x]b", False),
    ("ayb", "a[^x]b", True),
    ("axb", "a[^x]b", False),
    ("a/b", "a[^x]b", False),
    ("a/b", "a[/]b", False),
    # `]` first is a member, `-` first or last is literal, ranges, an empty range matches nothing
    ("a]b", "a[]]b", True),
    ("a]b", "a[!]]b", False),
    ("axb", "a[!]]b", True),
    ("a-b", "a[a-]b", True),
    ("a-b", "a[-a]b", True),
    ("a5b", "a[0-9]b", True),
    ("axb", "a[0-9]b", False),
    ("ab", "a[z-a]b", False),
    ("docs/b.md", "docs/[a-c]*.md", True),
    ("docs/d.md", "docs/[a-c]*.md", False),
    ("docs/d.md", "docs/[!a-c]*.md", True),
    ("docs/b.md", "docs/[!a-c]*.md", False),
    # an unclosed `[` is literal
    ("a[b", "a[b", True),
    ("a[!b", "a[!b", True),
    # `*` and `?` stay in a segment, `**` spans them (also zero of them)
    ("a.py", "*.py", True),
    ("d/a.py", "*.py", False),
    ("a/b.py", "a/?.py", True),
    ("a/bc.py", "a/?.py", False),
    ("a/b/c.py", "a/?/c.py", True),
    ("a//c.py", "a/?/c.py", False),
    ("src/x/y.py", "src/**/*.py", True),
    ("src/y.py", "src/**/*.py", True),
    ("y.py", "**/*.py", True),
    ("src/x/y.py", "src/**", True),
    # regex metacharacters and backslashes are literal, matching is case-sensitive
    ("a.b", "a.b", True),
    ("axb", "a.b", False),
    ("a+b(c)", "a+b(c)", True),
    ("a\\b", "a\\b", True),
    ("A.PY", "*.py", False),
]


def glob(path: str, pattern: str) -> bool:
    compiled = cel.compile_expr("glob(p, q)")
    return bool(cel.evaluate(compiled.tree, {"p": to_cel(path), "q": to_cel(pattern)}))


def _oracles(path: str, pattern: str) -> list[tuple[str, bool]]:
    """What fnmatch and PurePosixPath.match say, where they mean the same as ``glob``."""
    if "**" in pattern or "[^" in pattern or re.search(r"\[[^]]*/", pattern):
        return []
    out = []
    if "/" not in path and "/" not in pattern:
        out.append(("fnmatch", fnmatch.fnmatchcase(path, pattern)))
    if path.count("/") == pattern.count("/") and "//" not in path:
        out.append(("PurePosixPath.match", PurePosixPath(path).match(pattern)))
    return out


@pytest.mark.parametrize(("path", "pattern", "expected"), CASES, ids=[f"{c[0]}~{c[1]}" for c in CASES])
def test_glob(path: str, pattern: str, expected: bool) -> None:
    assert glob(path, pattern) is expected
    for oracle, verdict in _oracles(path, pattern):
        assert verdict is expected, f"{oracle} disagrees"


def test_the_oracles_were_consulted() -> None:
    assert sum(1 for c in CASES if _oracles(c[0], c[1])) >= 20


def test_method_form_agrees() -> None:
    compiled = cel.compile_expr('"a*b".glob("a[*]b") && !"a/b".glob("a[!x]b")')
    assert bool(cel.evaluate(compiled.tree, {})) is True
