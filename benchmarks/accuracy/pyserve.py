"""Python test modules that run something live, for draw.py's end-to-end pre-filters (plain text and
syntax, never our collectors).

A module is "live" when its text names a way to run a process, server, thread or container
(``LIVE_WORDS``). From those modules:

- ``e2e_teardown``: each call that may start something (``START_CALLS``: ``Popen``, ``start``,
  ``serve_forever``, ``make_server`` …), one case per line, in test modules and ``conftest.py``; half from
  process starters (``PROCESS_CALLS``), half from the rest;
- ``e2e_negative_paths``: each test function (as pytest collects them) of the live test modules; half
  from functions whose text carries a word of failure (``NEGATIVE_WORDS``), half from the rest."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

SKIP_PARTS = frozenset({"docs", "doc", "examples", "example", "benchmarks", "docs_src", "build", ".tox", "scripts"})
LIVE_WORDS = re.compile(
    r"Popen|subprocess|multiprocessing|Thread\(|serve_forever|make_server|start_server|create_server|run_app"
    r"|docker|compose|live_server|TestServer|xprocess|\.start\(\)"
)
START_CALLS = frozenset(
    {
        "Popen",
        "create_subprocess_exec",
        "create_subprocess_shell",
        "spawn",
        "start",
        "serve_forever",
        "start_server",
        "create_server",
        "make_server",
        "run_in_thread",
        "start_new_thread",
    }
)
PROCESS_CALLS = frozenset({"Popen", "create_subprocess_exec", "create_subprocess_shell", "spawn"})
NEGATIVE_WORDS = re.compile(
    r"raises|assertRaises|\b[45]\d\d\b|Error|error|invalid|Invalid|refused|unavailable|Unavailable|timeout"
    r"|Timeout|abort|terminate|kill|\.stop\(|malformed|bad_request|BadRequest|NotFound|not_found"
)
Row = tuple[bool, str, int, str, str, str]  # hit, path, line, name, stratum, source


def _modules(root: Path, conftest: bool) -> Iterator[tuple[str, str, ast.Module]]:
    for file in sorted(root.rglob("*.py")):
        relative = file.relative_to(root).as_posix()
        name = relative.rsplit("/", 1)[-1]
        test = name.startswith("test_") or name.endswith("_test.py") or (conftest and name == "conftest.py")
        if not test or SKIP_PARTS & set(relative.split("/")[:-1]):
            continue
        try:
            text = file.read_text(encoding="utf-8")
            tree = ast.parse(text)
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue
        if LIVE_WORDS.search(text):
            yield relative, text, tree


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def start_rows(root: Path) -> Iterator[Row]:
    for path, text, tree in _modules(root, conftest=True):
        lines = text.splitlines()
        seen: set[int] = set()
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _call_name(n) in START_CALLS]
        for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset)):
            if call.lineno in seen:
                continue
            seen.add(call.lineno)
            name = _call_name(call)
            hit = name in PROCESS_CALLS
            context = "\n".join(lines[max(0, call.lineno - 4) : call.lineno + 3])
            yield hit, path, call.lineno, name, "process" if hit else "server_thread", context


def test_functions(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name.startswith("test"):
            yield stmt.name, stmt
        elif isinstance(stmt, ast.ClassDef):
            bases = [ast.unparse(b) for b in stmt.bases]
            if stmt.name.startswith("Test") or stmt.name.endswith("Test") or any(b.endswith("TestCase") for b in bases):
                for item in stmt.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith("test"):
                        yield f"{stmt.name}.{item.name}", item


def test_rows(root: Path) -> Iterator[Row]:
    for path, text, tree in _modules(root, conftest=False):
        lines = text.splitlines(keepends=True)
        for name, node in test_functions(tree):
            body = "".join(lines[node.lineno - 1 : node.end_lineno or node.lineno])
            hit = bool(NEGATIVE_WORDS.search(body))
            yield hit, path, node.lineno, name, "failure_word" if hit else "other", body
