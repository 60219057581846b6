"""A small Rust lexer of its own for draw.py's Rust pre-filters (never our collectors' lexer: the draw must
not ask the code under test): tokens with their lines, comments and string contents skipped, and the
token ranges of test code (an item under ``#[test]``, ``#[cfg(test)]``, ``#[tokio::test]``...)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SKIP_PARTS = frozenset({"tests", "benches", "examples", "test", "fuzz", "target", "debian"})
PANIC_MACROS = frozenset({"panic", "unreachable", "todo", "unimplemented"})
ASSERT_MACROS = frozenset({"assert", "assert_eq", "assert_ne"})
PRINT_MACROS = frozenset({"println", "print", "eprintln", "eprint", "dbg"})
WRITE_MACROS = frozenset({"writeln", "write"})


@dataclass(frozen=True)
class Tok:
    kind: str  # ident | punct | str | num | char | lifetime
    text: str
    line: int


def _skip_string(text: str, i: int, line: int) -> tuple[int, int]:
    """From the opening quote at ``i``: the index after the closing quote, and the line then."""
    i += 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            if text[i + 1 : i + 2] == "\n":
                line += 1
            i += 2
            continue
        if c == "\n":
            line += 1
        elif c == '"':
            return i + 1, line
        i += 1
    return i, line


def _raw_string(text: str, i: int) -> int | None:
    """``r"…"``, ``r#"…"#``, ``br#"…"#`` starting at ``i``: the index of its opening ``"``'s hashes' end,
    or None when this is no raw string."""
    j = i + (2 if text.startswith("br", i) else 1)
    k = j
    while k < len(text) and text[k] == "#":
        k += 1
    return k if k < len(text) and text[k] == '"' else None


def tokens(text: str) -> list[Tok]:
    out: list[Tok] = []
    i, line, n = 0, 1, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    line += text[i] == "\n"
                    i += 1
        elif (
            c in "rb"
            and (text.startswith('r"', i) or text.startswith("r#", i) or text.startswith("br", i))
            and (quote := _raw_string(text, i)) is not None
        ):
            hashes = quote - (i + (2 if text.startswith("br", i) else 1))
            end = text.find('"' + "#" * hashes, quote + 1)
            end = n if end < 0 else end + 1 + hashes
            out.append(Tok("str", text[quote + 1 : max(quote + 1, end - 1 - hashes)], line))
            line += text.count("\n", i, end)
            i = end
        elif c == '"' or (c == "b" and text.startswith('b"', i)):
            start = i + (c == "b")
            end, new_line = _skip_string(text, start, line)
            out.append(Tok("str", text[start + 1 : end - 1], line))
            line, i = new_line, end
        elif c == "'":
            if text[i + 1 : i + 2] == "\\":
                end = text.find("'", i + 3)
                i = n if end < 0 else end + 1
                out.append(Tok("char", "", line))
            elif text[i + 2 : i + 3] == "'":
                out.append(Tok("char", text[i + 1], line))
                i += 3
            else:
                j = i + 1
                while j < n and (text[j].isalnum() or text[j] == "_"):
                    j += 1
                out.append(Tok("lifetime", text[i:j], line))
                i = j
        elif c.isalpha() or c == "_":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            out.append(Tok("ident", text[i:j], line))
            i = j
        elif c.isdigit():
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            out.append(Tok("num", text[i:j], line))
            i = j
        else:
            out.append(Tok("punct", c, line))
            i += 1
    return out


def _matching(toks: list[Tok], open_index: int) -> int:
    depth = 0
    for k in range(open_index, len(toks)):
        t = toks[k]
        if t.kind == "punct" and t.text in "{[(":
            depth += 1
        elif t.kind == "punct" and t.text in "}])":
            depth -= 1
            if depth == 0:
                return k
    return len(toks) - 1


def test_ranges(toks: list[Tok]) -> list[tuple[int, int]]:
    """Token index ranges of the items under a test attribute (``#[test]``, ``#[cfg(test)]``,
    ``#[tokio::test]``, ``#[cfg(all(test, …))]``): from the attribute to the item's closing brace."""
    ranges: list[tuple[int, int]] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.kind == "punct" and t.text == "#" and i + 1 < len(toks) and toks[i + 1].text == "[":
            close = _matching(toks, i + 1)
            inner = {x.text for x in toks[i + 2 : close] if x.kind == "ident"}
            if "test" in inner and "not" not in inner:
                k = close + 1
                while k < len(toks) and not (toks[k].kind == "punct" and toks[k].text in "{;"):
                    k += 1
                end = _matching(toks, k) if k < len(toks) and toks[k].text == "{" else k
                ranges.append((i, end))
                i = end + 1
                continue
            i = close + 1
            continue
        i += 1
    return ranges


def _in_ranges(index: int, ranges: list[tuple[int, int]]) -> bool:
    return any(a <= index <= b for a, b in ranges)


def _test_module_files(relative: str, toks: list[Tok]) -> set[str]:
    """The files of the modules a file declares under a test attribute (``#[cfg(test)] mod tests;``)."""
    folder, _, name = relative.rpartition("/")
    stem = name[: -len(".rs")]
    base = folder if stem in ("lib", "main", "mod") else (f"{folder}/{stem}" if folder else stem)
    found: set[str] = set()
    for a, b in test_ranges(toks):
        inner = toks[a : b + 1]
        for k, t in enumerate(inner[:-2]):
            if t.text == "mod" and inner[k + 1].kind == "ident" and inner[k + 2].text == ";":
                mod = inner[k + 1].text
                prefix = f"{base}/" if base else ""
                found.update({f"{prefix}{mod}.rs", f"{prefix}{mod}/mod.rs"})
    return found


def source_files(root: Path) -> Iterator[tuple[str, str]]:
    """Non-test ``.rs`` files of a crate: no tests/, benches/, examples/, build.rs, nor a module file
    declared under a test attribute."""
    texts: dict[str, str] = {}
    for file in sorted(root.rglob("*.rs")):
        relative = file.relative_to(root).as_posix()
        if SKIP_PARTS & set(relative.split("/")[:-1]) or relative == "build.rs":
            continue
        try:
            texts[relative] = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    test_only: set[str] = set()
    for relative, text in texts.items():
        test_only |= _test_module_files(relative, tokens(text))
    for relative, text in texts.items():
        if relative not in test_only:
            yield relative, text


def panic_sites(toks: list[Tok]) -> Iterator[tuple[int, str]]:
    """(line, what) of each call that can panic outside test code: ``.unwrap()``, ``.expect(…)``, the
    panicking macros and the ``assert`` macros."""
    skip = test_ranges(toks)
    for i, t in enumerate(toks):
        if t.kind != "ident" or _in_ranges(i, skip):
            continue
        prev = toks[i - 1] if i else None
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if t.text in ("unwrap", "expect") and prev and prev.text == "." and nxt and nxt.text == "(":
            yield t.line, t.text
        elif t.text in PANIC_MACROS | ASSERT_MACROS and nxt and nxt.text == "!":
            yield t.line, t.text + "!"


def console_sites(toks: list[Tok]) -> Iterator[tuple[int, str]]:
    """(line, what) of each statement that writes to the console outside test code: the printing macros,
    and ``write!``/``writeln!`` whose destination names the console (``stdout``, ``stderr``, a lock or
    handle of one)."""
    skip = test_ranges(toks)
    for i, t in enumerate(toks):
        if t.kind != "ident" or _in_ranges(i, skip) or i + 2 >= len(toks) or toks[i + 1].text != "!":
            continue
        if t.text in PRINT_MACROS:
            yield t.line, t.text + "!"
        elif t.text in WRITE_MACROS and toks[i + 2].text == "(":
            k, depth = i + 3, 0
            dest: list[str] = []
            while k < len(toks) and not (depth == 0 and toks[k].text == ","):
                depth += toks[k].text in "([{"
                depth -= toks[k].text in ")]}"
                if depth < 0:
                    break
                dest.append(toks[k].text)
                k += 1
            if any(word in ("stdout", "stderr") for word in dest):
                yield t.line, t.text + "!"


BUILDER_PATHS = {("Exec", "cmd"), ("Exec", "shell"), ("Popen", "create")}
EDIT_CALLS = frozenset({"edit", "edit_file", "edit_bytes", "edit_with_builder"})


def spawn_sites(toks: list[Tok]) -> Iterator[tuple[int, str]]:
    """(line, what) of each place outside test code that builds a command line to run: ``Command::new``
    (whatever crate's ``Command`` it is: clap's builds a parser, which the labels tell apart), duct's and
    xshell's ``cmd!``/``cmd(…)``, the subprocess crate's ``Exec::cmd``/``Exec::shell``/``Popen::create``,
    the ``edit`` crate's ``edit::edit…``."""
    skip = test_ranges(toks)
    for i, t in enumerate(toks[:-3]):
        if t.kind != "ident" or _in_ranges(i, skip):
            continue
        path_next = toks[i + 1].text == ":" and toks[i + 2].text == ":" and toks[i + 3].kind == "ident"
        after = toks[i + 3].text if path_next else ""
        if t.text == "Command" and after == "new":
            yield t.line, "Command::new"
        elif t.text == "cmd" and toks[i + 1].text in ("!", "(") and (i == 0 or toks[i - 1].text != "."):
            yield t.line, "cmd" + ("!" if toks[i + 1].text == "!" else "(")
        elif (t.text, after) in BUILDER_PATHS or (t.text == "edit" and after in EDIT_CALLS):
            yield t.line, f"{t.text}::{after}"
