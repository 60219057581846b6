"""The rust collector's tokens (read off the tree-sitter tree) against rustc's own lexer.

Each source file is wrapped in a macro invocation (``m! { … }``) and given to
``rustc -Zunpretty=ast-tree``, which prints the macro's token stream with a span per token: comments
are gone, literals are single tokens. Identifiers, lifetimes and string/char literals, with their lines,
must be exactly what ``rust_tokens`` produces. Nothing is compiled, so crates' dependencies are not
needed; ``RUSTC_BOOTSTRAP=1`` unlocks the ``-Z`` flag on stable rustc."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from anops_policy.collectors.rust.tokens import CHAR, IDENT, LIFETIME, STR, rust_tokens

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
RUSTC = shutil.which("rustc")
pytestmark = pytest.mark.skipif(RUSTC is None, reason="rustc is not on PATH: cannot compare with rustc's lexer")

FILES = sorted(
    p
    for base in (
        HERE / "rust" / "cases" / "workspace",
        HERE / "rust" / "cases" / "standalone-cli",
        ROOT / "examples" / "anops",
    )
    for p in base.rglob("*.rs")
)
_SPAN = re.compile(r"span: .*?:(\d+):\d+: \d+:\d+")
_LIT_KIND = {
    "Str": STR,
    "StrRaw": STR,
    "ByteStr": STR,
    "ByteStrRaw": STR,
    "CStr": STR,
    "CStrRaw": STR,
    "Char": CHAR,
    "Byte": CHAR,
}


def rustc_tokens(src: str, tmp: Path) -> list[tuple[int, str, str]]:
    """(line, kind, text) of rustc's identifiers, lifetimes and string/char literals (text only for
    identifiers and lifetimes)."""
    assert RUSTC is not None
    wrapped = tmp / "wrapped.rs"
    wrapped.write_text("m! {\n" + src + "\n}\n")
    out = subprocess.run(
        [RUSTC, "--edition", "2021", "-Zunpretty=ast-tree", str(wrapped)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "RUSTC_BOOTSTRAP": "1"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    found: list[tuple[int, str, str]] = []
    for n, line in enumerate(lines):
        stripped = line.strip()
        kind: str | None = None
        text = ""
        if stripped in ("kind: Ident(", "kind: Lifetime(") and n + 1 < len(lines):
            kind = IDENT if "Ident" in stripped else LIFETIME
            text = lines[n + 1].strip().rstrip(",").strip('"').removeprefix("'")
        elif stripped == "kind: Literal(":
            lit = next((lines[k].strip() for k in range(n + 1, n + 4) if lines[k].strip().startswith("kind: ")), "")
            kind = _LIT_KIND.get(lit.removeprefix("kind: ").rstrip("(,"))
        if kind is None:
            continue
        span = next((m for k in range(n + 1, min(n + 12, len(lines))) if (m := _SPAN.search(lines[k]))), None)
        assert span is not None, f"no span after line {n} of rustc's output"
        found.append((int(span.group(1)) - 1, kind, text if kind in (IDENT, LIFETIME) else ""))
    return found


def ours(src: str) -> list[tuple[int, str, str]]:
    return [
        (t.line, t.kind, t.text if t.kind in (IDENT, LIFETIME) else "")
        for t in rust_tokens(src).tokens
        if t.kind in (IDENT, LIFETIME, STR, CHAR)
    ]


@pytest.mark.parametrize("path", FILES, ids=[p.relative_to(ROOT).as_posix() for p in FILES])
def test_tokens_match_rustc(path: Path, tmp_path: Path) -> None:
    src = path.read_text()
    expected = rustc_tokens(src, tmp_path)
    assert expected, "rustc produced no tokens: the comparison would be empty"
    assert ours(src) == expected


TRAPS = r"""
let a = "a \" .unwrap() \\"; let b = r#"println!("x")"#; let c = r###"## "# "## .expect( "###;
let d = '"'; let e = '\\'; let f = '\''; let g = '\u{1F600}'; let h = b'"'; let i = br#"dbg!()"#;
let j = c"panic!()"; let k = "line \
    continued .unwrap()"; let r#match = 1; fn l<'a>(x: &'a str) -> &'a str { 'outer: loop { break 'outer; } }
/* 1 /* 2 .unwrap() */ 1 panic!() */ let m = x.unwrap(); // .unwrap()
/// doc .unwrap()
let n = "*/"; let o = "/*"; let p = '/'; let q = "'"; let s = b"\x00\"";
""".lstrip("\n")


def test_trap_snippet_matches_rustc(tmp_path: Path) -> None:
    expected = rustc_tokens(TRAPS, tmp_path)
    assert ours(TRAPS) == expected
    unwraps = [(line, text) for line, kind, text in expected if text == "unwrap"]
    assert unwraps == [(5, "unwrap")], "only the call after the nested comment is code"
