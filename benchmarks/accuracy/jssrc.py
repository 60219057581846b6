"""JavaScript/TypeScript sources for draw.py's pre-filters: the package's own non-test source files and
each line of code (comments and strings skipped) that reads the environment through ``process.env``.

Plain text, never our collectors: a small lexer of its own that blanks comments and string literals
(template literals too, ``${…}`` included) so that only code is searched. Packages often ship the same
module twice (a CommonJS and an ES-module build): a line whose file name and code are those of a line
already seen in the package is left out, so one statement is one case."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

SUFFIXES = (".js", ".cjs", ".mjs", ".jsx", ".ts", ".cts", ".mts", ".tsx")
SKIP_DIRS = frozenset(
    {
        "node_modules",
        "test",
        "tests",
        "__tests__",
        "__mocks__",
        "spec",
        "fixtures",
        "examples",
        "example",
        "docs",
        "doc",
        "benchmark",
        "benchmarks",
        "templates",
        "types",
        "typings",
    }
)
TEST_NAME = re.compile(r"\.(test|spec|e2e)\.[cm]?[jt]sx?$")
ENV_READ = re.compile(r"\bprocess\.env\b(\s*\.\s*[A-Za-z_$][\w$]*|\s*\[[^\]\n]*\])?")
LOG_WORD = re.compile(r"log|level|debug|verbos|quiet|silent|trace", re.I)
# a named read stored as it is: the right side of `=` or `:` (a variable, a field, an option), with
# nothing after it on the line that gives a default or tests it
STORED_RAW = re.compile(r"[=:]\s*process\.env(\.[A-Za-z_$][\w$]*|\[[^\]\n]*\])\s*(as\s+\w+\s*)?!?\s*[;,})]?\s*$")


def source_files(root: Path) -> Iterator[tuple[str, str]]:
    for file in sorted(root.rglob("*")):
        name = file.name
        if not name.endswith(SUFFIXES) or name.endswith((".d.ts", ".d.mts", ".d.cts", ".min.js")):
            continue
        relative = file.relative_to(root).as_posix()
        if SKIP_DIRS & set(relative.split("/")[:-1]) or TEST_NAME.search(name) or not file.is_file():
            continue
        try:
            yield relative, file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue


def blank(text: str) -> str:
    """The text with comments and string literals replaced by spaces (newlines kept, so lines and
    columns stay where they were)."""
    out = list(text)
    i, n = 0, len(text)

    def wipe(start: int, end: int) -> None:
        for k in range(start, min(end, n)):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        ch = text[i]
        if ch == "/" and text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            wipe(i, end)
            i = end
        elif ch == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            wipe(i, end)
            i = end
        elif ch in "'\"`":
            j = i + 1
            while j < n and text[j] != ch:
                if text[j] == "\\":
                    j += 1
                elif text[j] == "\n" and ch != "`":
                    break
                j += 1
            wipe(i + 1, j)
            i = j + 1
        else:
            i += 1
    return "".join(out)


def env_reads(text: str) -> Iterator[tuple[int, str, str]]:
    """(line, what is read, the line's code) of each line of code that names ``process.env``; the first
    read on a line names it."""
    code = blank(text)
    lines = text.splitlines()
    seen: set[int] = set()
    for match in ENV_READ.finditer(code):
        line = code.count("\n", 0, match.start()) + 1
        if line in seen:
            continue
        seen.add(line)
        # the member or index as the source spells it (the blanked code lost the string inside [...])
        what = text[match.start() : match.end()].replace(" ", "")
        yield line, what, lines[line - 1] if line <= len(lines) else ""


def env_sites(root: Path) -> Iterator[tuple[str, int, str, str]]:
    """(path, line, what, line text) of each environment read in the package's own source, a build's
    duplicate left out."""
    seen: set[tuple[str, str]] = set()
    for path, text in source_files(root):
        base = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        for line, what, source in env_reads(text):
            key = (base, " ".join(source.split()))
            if key in seen:
                continue
            seen.add(key)
            yield path, line, what, source


# Go: os.Getenv/os.LookupEnv reads in a module's non-test sources (the same lexer: Go's comments and its
# "…", `…` and '…' literals are blanked like JavaScript's)
GO_SKIP_DIRS = frozenset({"testdata", "vendor", "examples", "example", "_examples", "docs", "doc", "test", "tests"})
GO_ENV_READ = re.compile(r"\bos\s*\.\s*(Getenv|LookupEnv)\s*\(")
# a read stored as it is: `v := os.Getenv("X")`, `v = os.Getenv("X")`, `Field: os.Getenv("X"),`
GO_STORED_RAW = re.compile(r"(:=|=|:)\s*os\.Getenv\(\s*\"[^\"]*\"\s*\)\s*,?\s*$")


def go_env_sites(root: Path) -> Iterator[tuple[str, int, str, str]]:
    """(path, line, what, line text) of each environment read in a Go module's non-test sources."""
    for file in sorted(root.rglob("*.go")):
        relative = file.relative_to(root).as_posix()
        if relative.endswith("_test.go") or GO_SKIP_DIRS & set(relative.split("/")[:-1]) or not file.is_file():
            continue
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        code, lines = blank(text), text.splitlines()
        seen: set[int] = set()
        for match in GO_ENV_READ.finditer(code):
            line = code.count("\n", 0, match.start()) + 1
            if line in seen:
                continue
            seen.add(line)
            source = lines[line - 1] if line <= len(lines) else ""
            close = text.find(")", match.end())
            yield relative, line, text[match.start() : close + 1 if close >= 0 else match.end()][:80], source
