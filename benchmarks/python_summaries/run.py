"""The python collector's per-file summaries: what their walks of ``ast`` cost, and whether tree-sitter
queries (through ast-grep-py) would read the same facts faster. One process, files read beforehand,
``time.process_time`` with the cyclic GC off, interleaved rounds, the lowest round of each row:

    a. ``ast.parse`` alone (``a+walk``: and ``python_ast.walk_nodes``, as ``parse_python`` does)
    b. the collector's per-file function, ``module_products.summarise(ctx, path, text, e2e=...)``, end to
       end (parse, walks, summaries), as ``PythonCollector._collect`` calls it: b - a is the walks
    c. the tree-sitter parse alone, ``SgRoot(text, "python").root()`` (``c+error``: and the search for an
       ERROR node a switched collector needs to know the file is not valid Python)
    d. a representative part of the summaries (top-level functions and methods with their decorators,
       parameters and lines; every call's dotted callee with its line; imports; ``os.environ``/``os.getenv``
       reads), read once from ``ast`` with a plain walk and once from the tree-sitter tree in several ways
       (one ``find_all`` with an ``any`` rule; the same slicing texts by range; one ``find_all`` per kind; a
       Python walk of ``children()``); ``fn-*``: the functions alone. The facts are compared file by file
       (agreement %); ``d-ast-nodes`` reads part d over a ``walk_nodes`` list made beforehand, as the collector's
       scans share one. The "reading part" column is the CPU time of the reading alone, inside the row.

    python benchmarks/generate_tree.py /tmp/b3-tree --files 5000
    python benchmarks/python_summaries/run.py --fetch /tmp/b3-pypi --rounds 5 \\
        bench-tree-5k=/tmp/b3-tree pypi-sdists=/tmp/b3-pypi/src

``--fetch DIR`` downloads the pinned sdists of ``PROJECTS`` from PyPI (``pip download --no-deps
--no-binary :all:``) into ``DIR/sdists`` and unpacks them into ``DIR/src`` (skipped when already there).
Each tree is listed like the collector lists a repository (``Repo``, default excludes); files ``ast`` does
not parse are left out of every row. ``--json`` writes the numbers."""

from __future__ import annotations

import argparse
import ast
import gc
import json
import platform
import re
import subprocess
import sys
import tarfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from anops_policy.collectors.python import DEFAULT_E2E_GLOBS
from anops_policy.collectors.python.module_products import summarise
from ast_grep_py import Config, SgNode, SgRoot

from anops_policy.collection.collector import CollectContext
from anops_policy.collection.repo import Repo
from anops_policy.config import RepoConfig
from anops_policy.syntax.python_ast import walk_nodes

PROJECTS = (
    "requests==2.32.3",
    "flask==3.0.3",
    "click==8.1.7",
    "rich==13.7.1",
    "httpx==0.27.0",
    "attrs==23.2.0",
    "pytest==8.2.2",
    "black==24.4.2",
)
NOW = datetime(2026, 11, 26, tzinfo=UTC)
DOTTED = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")
ENV_CALLS = {"os.getenv": "getenv", "os.environ.get": "environ.get", "os.environ.setdefault": "setdefault"}
ENV_CALL_LAST = frozenset({"getenv", "get", "setdefault"})
STRING_PREFIX = re.compile(r"[A-Za-z]*")


# ---- the facts ----------------------------------------------------------------------------------------
Function = tuple[str, int, int, tuple[str, ...], tuple[str, ...]]  # qualname, line, end line, decorators, params
Call = tuple[int, str]  # line, dotted callee as written
Import = tuple[int, str, str, str]  # line, module (with the leading dots), imported name ("" for import x), alias
EnvRead = tuple[int, str, str, bool]  # line, variable ("<dynamic>": a computed name), how, has a default


@dataclass
class Facts:
    """What part d reads of one module, in the order each reader finds it (compared sorted)."""

    functions: list[Function]
    calls: list[Call]
    imports: list[Import]
    env: list[EnvRead]

    def sorted(self) -> dict[str, list[Any]]:
        return {
            "functions": sorted(self.functions),
            "calls": sorted(self.calls),
            "imports": sorted(self.imports),
            "env": sorted(self.env),
        }


def import_names(imports: Iterable[Import]) -> dict[str, str]:
    """Local name -> qualified dotted name, as ``python_ast.Imports.of`` builds it (in line order)."""
    names: dict[str, str] = {}
    for _line, module, name, alias in sorted(imports):
        if not name:
            if alias:
                names[alias] = module
            else:
                top = module.split(".")[0]
                names.setdefault(top, top)
        elif name != "*":
            qualified = f"{module}.{name}" if module and not module.endswith(".") else module + name
            names[alias or name] = qualified
    return names


def resolve(names: dict[str, str], dotted: str) -> str:
    head, dot, rest = dotted.partition(".")
    return names.get(head, head) + dot + rest


def may_read_env(text: str) -> bool:
    """``env_reads``'s shortcut: every read names os.environ or os.getenv in the source."""
    return not text.isascii() or "environ" in text or "getenv" in text


# ---- from ast: one plain walk -------------------------------------------------------------------------
def ast_dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _ast_decorator(dec: ast.expr) -> str:
    return ast_dotted(dec.func if isinstance(dec, ast.Call) else dec) or "?"


def _ast_function(node: ast.FunctionDef | ast.AsyncFunctionDef, cls: str | None) -> Function:
    args = node.args
    return (
        f"{cls}.{node.name}" if cls else node.name,
        node.lineno,
        node.end_lineno or node.lineno,
        tuple(_ast_decorator(d) for d in node.decorator_list),
        tuple(a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]),
    )


def _ast_arg(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    """``python_ast.call_arg``."""
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        return call.args[index]
    return None


def _ast_str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def ast_functions(tree: ast.Module) -> list[Function]:
    """Part d's top-level functions and methods alone (no walk: ``tree.body`` and class bodies)."""
    out: list[Function] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            out.append(_ast_function(stmt, None))
        elif isinstance(stmt, ast.ClassDef):
            out.extend(
                _ast_function(i, stmt.name) for i in stmt.body if isinstance(i, ast.FunctionDef | ast.AsyncFunctionDef)
            )
    return out


def ast_facts(tree: ast.Module, text: str, nodes: list[ast.AST] | None = None) -> Facts:
    """``nodes``: the tree's ``walk_nodes`` list when the caller made it (``parse_python`` does, once per
    module, for every scan of the collectors)."""
    functions = ast_functions(tree)
    calls: list[Call] = []
    imports: list[Import] = []
    env_calls: list[tuple[ast.Call, str]] = []
    subscripts: list[ast.Subscript] = []
    env = may_read_env(text)
    for node in walk_nodes(tree) if nodes is None else nodes:
        cls = node.__class__
        if cls is ast.Call:
            call = cast(ast.Call, node)
            name = ast_dotted(call.func)
            if name is not None:
                calls.append((call.lineno, name))
                if env and name.rpartition(".")[2] in ENV_CALL_LAST:
                    env_calls.append((call, name))
        elif cls is ast.Subscript:
            sub = cast(ast.Subscript, node)
            if env and sub.ctx.__class__ is ast.Load:
                subscripts.append(sub)
        elif cls is ast.Import:
            stmt = cast(ast.Import, node)
            imports.extend((stmt.lineno, a.name, "", a.asname or "") for a in stmt.names)
        elif cls is ast.ImportFrom:
            frm = cast(ast.ImportFrom, node)
            base = "." * frm.level + (frm.module or "")
            imports.extend((frm.lineno, base, a.name, a.asname or "") for a in frm.names)
    reads: list[EnvRead] = []
    if env_calls or subscripts:
        names = import_names(imports)
        for sub in subscripts:
            value = ast_dotted(sub.value)
            if value is not None and resolve(names, value) == "os.environ":
                reads.append((sub.lineno, _ast_str(sub.slice) or "<dynamic>", "subscript", False))
        for call, name in env_calls:
            how = ENV_CALLS.get(resolve(names, name))
            if how is None:
                continue
            key = _ast_str(_ast_arg(call, 0, "key"))
            default = _ast_arg(call, 1, "default")
            has_default = default is not None and not (isinstance(default, ast.Constant) and default.value is None)
            reads.append((call.lineno, key or "<dynamic>", how, has_default and key is not None))
    return Facts(functions, calls, imports, reads)


# ---- from the tree-sitter tree ------------------------------------------------------------------------
def ts_dotted(node: SgNode, text: str | None = None) -> str | None:
    """The ``a.b.c`` of an identifier/attribute chain (None for anything else). ``text``: the node's
    text when the caller has it (sliced from the source by range)."""
    kind = node.kind()
    if kind == "identifier":
        return node.text() if text is None else text
    if kind != "attribute":
        return None
    if text is None:
        text = node.text()
    if DOTTED.fullmatch(text):
        return text
    # spaces, line breaks, comments or parentheses inside the chain: build it from its parts
    obj = node.field("object")
    attr = node.field("attribute")
    while obj is not None and obj.kind() == "parenthesized_expression":
        inner = [c for c in obj.named_children() if c.kind() != "comment"]
        obj = inner[0] if len(inner) == 1 else None
    head = ts_dotted(obj) if obj is not None else None
    return None if head is None or attr is None else f"{head}.{attr.text()}"


def _ts_end_line(text: str, start: int, end: int, end_line: int) -> int:
    """The last line of the node spanning ``text[start:end]`` (ending on ``end_line``) without trailing
    comment lines: tree-sitter puts them in the block, ast's end_lineno is the last statement's. Read off
    the source text: walking the block's last children across pyo3 cost as much as the rest of the discovery."""
    while end > start:
        line_start = text.rfind("\n", start, end) + 1
        if not text[line_start:end].lstrip().startswith("#") or line_start <= start:
            return end_line
        end = line_start - 1
        while end > start and text[end - 1] in " \t\r\n":  # blank lines above the comment
            end_line -= text[end - 1] == "\n"
            end -= 1
        end_line -= 1
    return end_line


def _ts_decorator(dec: SgNode) -> str:
    expr = next(c for c in dec.named_children() if c.kind() != "comment")
    if expr.kind() == "call":
        func = expr.field("function")
        return (ts_dotted(func) if func is not None else None) or "?"
    return ts_dotted(expr) or "?"


_PARAM_NAMED = frozenset({"default_parameter", "typed_default_parameter"})


def _ts_params(params: SgNode | None) -> tuple[str, ...]:
    out: list[str] = []
    for p in params.named_children() if params is not None else ():
        kind = p.kind()
        if kind == "identifier":
            out.append(p.text())
        elif kind in _PARAM_NAMED:
            name = p.field("name")
            if name is not None:
                out.append(name.text())
        elif kind == "typed_parameter":
            first = p.named_children()[0]
            if first.kind() == "identifier":
                out.append(first.text())
    return tuple(out)


def _ts_function(node: SgNode, cls: str | None, decorators: list[SgNode], text: str) -> Function:
    name = node.field("name")
    qual = name.text() if name is not None else "?"
    span = node.range()
    return (
        f"{cls}.{qual}" if cls else qual,
        span.start.line + 1,
        _ts_end_line(text, span.start.index, span.end.index, span.end.line + 1),
        tuple(_ts_decorator(d) for d in decorators),
        _ts_params(node.field("parameters")),
    )


def _definitions(nodes: Iterable[SgNode]) -> Iterable[tuple[SgNode, list[SgNode]]]:
    """Function and class definitions among ``nodes``, each with its decorators."""
    for node in nodes:
        kind = node.kind()
        if kind == "decorated_definition":
            definition = node.field("definition")
            if definition is not None:
                yield definition, [c for c in node.children() if c.kind() == "decorator"]
        elif kind in ("function_definition", "class_definition"):
            yield node, []


def ts_functions(root: SgNode, text: str) -> list[Function]:
    out: list[Function] = []
    for node, decorators in _definitions(root.children()):
        if node.kind() == "function_definition":
            out.append(_ts_function(node, None, decorators, text))
            continue
        name = node.field("name")
        body = node.field("body")
        if name is None or body is None:
            continue
        cls = name.text()
        out.extend(
            _ts_function(item, cls, decs, text)
            for item, decs in _definitions(body.children())
            if item.kind() == "function_definition"
        )
    return out


def ts_str(node: SgNode | None) -> str | None:
    """A string literal's value, as ``ast.Constant`` has it (f-strings and bytes: None, as in ast)."""
    if node is None or node.kind() not in ("string", "concatenated_string"):
        return None
    text = node.text()
    if node.kind() == "string":
        p = _prefix(text)
        if "f" in p or "b" in p:
            return None
        if "\\" not in text:
            body = text[len(p) :]
            quote = 3 if body[:3] in ('"""', "'''") else 1
            return body[quote:-quote]
    elif any("f" in _prefix(c.text()) for c in node.named_children()):
        return None  # an f-string part makes the whole a JoinedStr
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, str) else None


def _prefix(literal: str) -> str:
    """A string literal's prefix (``rb``, ``f``, ...), lower case."""
    found = STRING_PREFIX.match(literal)
    return found.group().lower() if found is not None else ""


def _ts_args(call: SgNode) -> tuple[list[SgNode], dict[str, SgNode]]:
    args = call.field("arguments")
    positional: list[SgNode] = []
    keywords: dict[str, SgNode] = {}
    if args is None:
        return positional, keywords
    if args.kind() == "generator_expression":
        return [args], keywords
    for a in args.named_children():
        kind = a.kind()
        if kind == "keyword_argument":
            name = a.field("name")
            value = a.field("value")
            if name is not None and value is not None:
                keywords.setdefault(name.text(), value)
        elif kind not in ("comment", "dictionary_splat"):
            positional.append(a)
    return positional, keywords


def _ts_arg(positional: list[SgNode], keywords: dict[str, SgNode], index: int, keyword: str) -> SgNode | None:
    if keyword in keywords:
        return keywords[keyword]
    if len(positional) > index and not any(a.kind() == "list_splat" for a in positional[: index + 1]):
        return positional[index]
    return None


_TARGET_WRAPPERS = frozenset(
    {"pattern_list", "tuple_pattern", "list_pattern", "expression_list", "tuple", "list", "parenthesized_expression"}
)


def _ts_is_load(sub: SgNode) -> bool:
    """Not an assignment, ``del``, ``for`` or ``with ... as`` target (ast's Store/Del context)."""
    node = sub
    parent = node.parent()
    while parent is not None and parent.kind() in _TARGET_WRAPPERS:
        node, parent = parent, parent.parent()
    if parent is None:
        return True
    kind = parent.kind()
    if kind in ("delete_statement", "as_pattern_target"):
        return False
    if kind in ("assignment", "augmented_assignment", "for_statement", "for_in_clause"):
        left = parent.field("left")
        return left is None or left.range().start.index != node.range().start.index
    return True


def _ts_env(names: dict[str, str], env_calls: list[tuple[SgNode, str, int]], subs: list[SgNode]) -> list[EnvRead]:
    reads: list[EnvRead] = []
    for sub in subs:
        value = sub.field("value")
        dotted = ts_dotted(value) if value is not None else None
        if dotted is None or resolve(names, dotted) != "os.environ" or not _ts_is_load(sub):
            continue
        keys = [c for c in sub.field_children("subscript") if c.kind() != "comment"]
        name = ts_str(keys[0]) if len(keys) == 1 else None
        reads.append((sub.range().start.line + 1, name or "<dynamic>", "subscript", False))
    for call, dotted, line in env_calls:
        how = ENV_CALLS.get(resolve(names, dotted))
        if how is None:
            continue
        positional, keywords = _ts_args(call)
        key = ts_str(_ts_arg(positional, keywords, 0, "key"))
        default = _ts_arg(positional, keywords, 1, "default")
        has_default = default is not None and default.kind() != "none"
        reads.append((line, key or "<dynamic>", how, has_default and key is not None))
    return reads


def _ts_import(node: SgNode, kind: str, line: int, imports: list[Import]) -> None:
    if kind == "import_statement":
        module = ""
    elif kind == "future_import_statement":
        module = "__future__"
    else:
        found = node.field("module_name")
        module = "".join(found.text().split()) if found is not None else ""
    for name in node.field_children("name"):
        alias = ""
        if name.kind() == "aliased_import":
            found_alias = name.field("alias")
            alias = found_alias.text() if found_alias is not None else ""
            found_name = name.field("name")
            dotted = "".join(found_name.text().split()) if found_name is not None else ""
        else:
            dotted = "".join(name.text().split())
        imports.append((line, dotted, "", alias) if kind == "import_statement" else (line, module, dotted, alias))
    if kind == "import_from_statement" and node.find(kind="wildcard_import") is not None:
        imports.append((line, module, "*", ""))


_IMPORT_KINDS = ("import_statement", "import_from_statement", "future_import_statement")
# one traversal for every node part d reads beyond the top-level definitions; subscripts only where their
# text names ``environ`` (the regex runs natively)
COMBINED: Config = {
    "rule": {
        "any": [
            {"kind": "call"},
            {"kind": "import_statement"},
            {"kind": "import_from_statement"},
            {"kind": "future_import_statement"},
        ]
    }
}
COMBINED_ENV: Config = {"rule": {"any": [*COMBINED["rule"]["any"], {"kind": "subscript", "regex": "environ"}]}}


def _ts_call(
    node: SgNode, source: str | None, env: bool, calls: list[Call], env_calls: list[tuple[SgNode, str, int]]
) -> None:
    func = node.field("function")
    if func is None:
        return
    if source is None:
        line = node.range().start.line + 1
        dotted = ts_dotted(func)
    else:  # the callee's text sliced from the source by its range (one pyo3 call instead of two)
        span = func.range()
        line = span.start.line + 1
        dotted = ts_dotted(func, source[span.start.index : span.end.index])
    if dotted is None:
        return
    calls.append((line, dotted))
    if env and dotted.rpartition(".")[2] in ENV_CALL_LAST:
        env_calls.append((node, dotted, line))


def ts_facts_combined(root: SgNode, text: str, *, ranges: bool = False) -> Facts:
    """One ``find_all`` with an ``any`` rule, dispatching on each match's kind."""
    calls: list[Call] = []
    imports: list[Import] = []
    env_calls: list[tuple[SgNode, str, int]] = []
    subs: list[SgNode] = []
    env = may_read_env(text)
    source = text if ranges else None
    for node in root.find_all(COMBINED_ENV if env else COMBINED):
        kind = node.kind()
        if kind == "call":
            _ts_call(node, source, env, calls, env_calls)
        elif kind == "subscript":
            subs.append(node)
        else:
            _ts_import(node, kind, node.range().start.line + 1, imports)
    reads = _ts_env(import_names(imports), env_calls, subs) if env_calls or subs else []
    return Facts(ts_functions(root, text), calls, imports, reads)


def ts_facts_separate(root: SgNode, text: str) -> Facts:
    """One ``find_all`` per node kind (a traversal each)."""
    calls: list[Call] = []
    imports: list[Import] = []
    env_calls: list[tuple[SgNode, str, int]] = []
    env = may_read_env(text)
    for node in root.find_all(kind="call"):
        _ts_call(node, None, env, calls, env_calls)
    for kind in _IMPORT_KINDS:
        for node in root.find_all(kind=kind):
            _ts_import(node, kind, node.range().start.line + 1, imports)
    subs = root.find_all(kind="subscript", regex="environ") if env else []
    reads = _ts_env(import_names(imports), env_calls, subs) if env_calls or subs else []
    return Facts(ts_functions(root, text), calls, imports, reads)


def ts_facts_walk(root: SgNode, text: str) -> Facts:
    """A plain walk of the tree in Python (``children()`` of every node), as the ast side does."""
    calls: list[Call] = []
    imports: list[Import] = []
    env_calls: list[tuple[SgNode, str, int]] = []
    subs: list[SgNode] = []
    env = may_read_env(text)
    stack = [root]
    while stack:
        node = stack.pop()
        kind = node.kind()
        if kind == "call":
            _ts_call(node, None, env, calls, env_calls)
        elif kind in _IMPORT_KINDS:
            _ts_import(node, kind, node.range().start.line + 1, imports)
        elif kind == "subscript" and env:
            subs.append(node)
        stack.extend(node.children())
    reads = _ts_env(import_names(imports), env_calls, subs) if env_calls or subs else []
    return Facts(ts_functions(root, text), calls, imports, reads)


TS_READERS: dict[str, Callable[[SgNode, str], Facts]] = {
    "combined": ts_facts_combined,
    "combined+ranges": lambda root, text: ts_facts_combined(root, text, ranges=True),
    "separate": ts_facts_separate,
    "walk": ts_facts_walk,
}


# ---- the corpus ---------------------------------------------------------------------------------------
@dataclass
class Corpus:
    name: str
    root: Path
    files: list[tuple[str, str]]  # (path, text) of the files ast parses
    e2e: set[str]
    rejected: int  # .py files ast does not parse (or not read)
    ctx: CollectContext

    @property
    def mb(self) -> float:
        return sum(len(t.encode()) for _p, t in self.files) / 1e6


def load(name: str, root: Path) -> Corpus:
    ctx = CollectContext(repo=Repo(root, use_git=False), config=RepoConfig(), now=NOW, facts={})
    files: list[tuple[str, str]] = []
    rejected = 0
    for path in ctx.files():
        if not path.endswith(".py"):
            continue
        text = ctx.read_text(path)
        try:
            if text is None:
                raise ValueError(path)
            ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            rejected += 1
            continue
        files.append((path, text))
    e2e = {p for p in ctx.glob(list(DEFAULT_E2E_GLOBS)) if p.endswith(".py")}
    ctx.skips.clear()
    return Corpus(name, root, files, e2e, rejected, ctx)


def fetch(folder: Path) -> Path:
    """Download the pinned sdists (once) and unpack them under ``folder/src``."""
    sdists, src = folder / "sdists", folder / "src"
    sdists.mkdir(parents=True, exist_ok=True)
    src.mkdir(parents=True, exist_ok=True)
    for spec in PROJECTS:
        name, version = spec.split("==")
        pattern = f"{name.replace('-', '_')}-{version}.*"
        if not any(sdists.glob(pattern)) and not any(sdists.glob(f"{name}-{version}.*")):
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "-q",
                    "--no-deps",
                    "--no-binary",
                    ":all:",
                    spec,
                    "-d",
                    str(sdists),
                ],
                check=True,
            )
    for archive in sorted(sdists.glob("*.tar.gz")):
        target = src / archive.name.removesuffix(".tar.gz")
        if not target.exists():
            with tarfile.open(archive) as tar:
                tar.extractall(src, filter="data")
    return src


# ---- timing -------------------------------------------------------------------------------------------
def row_ast_parse(corpus: Corpus) -> float:
    for path, text in corpus.files:
        ast.parse(text, filename=path)
    return 0.0


def row_ast_walk(corpus: Corpus) -> float:
    """What ``parse_python`` does before any summary: the parse and one ``walk_nodes`` list of the nodes."""
    for path, text in corpus.files:
        walk_nodes(ast.parse(text, filename=path))
    return 0.0


def row_summarise(corpus: Corpus) -> float:
    ctx, e2e = corpus.ctx, corpus.e2e
    for path, text in corpus.files:
        summarise(ctx, path, text, e2e=path in e2e)
    return 0.0


def row_ts_parse(corpus: Corpus) -> float:
    for _path, text in corpus.files:
        SgRoot(text, "python").root()
    return 0.0


def reading_row(prepare: Callable[[str, str], Any], read: Callable[[Any, str], object]) -> Callable[[Corpus], float]:
    """A row that runs ``prepare(path, text)`` (a parse) then ``read(prepared, text)`` on every file; the row
    returns the reading's own CPU time (its whole time is measured by ``timed``)."""

    def row(corpus: Corpus) -> float:
        clock = time.process_time
        reading = 0.0
        for path, text in corpus.files:
            prepared = prepare(path, text)
            start = clock()
            read(prepared, text)
            reading += clock() - start
        return reading

    return row


def _ast_tree(path: str, text: str) -> ast.Module:
    return ast.parse(text, filename=path)


def _ast_tree_and_nodes(path: str, text: str) -> tuple[ast.Module, list[ast.AST]]:
    """Parse and walk, as ``parse_python`` does."""
    tree = ast.parse(text, filename=path)
    return tree, walk_nodes(tree)


def _ts_root(_path: str, text: str) -> SgNode:
    return SgRoot(text, "python").root()


# parse and read; the read over the collector's node list; the functions alone; the ERROR search
# (``trees.first_error``'s first step: is this file Python at all?)
row_ast_facts = reading_row(_ast_tree, ast_facts)
row_ast_facts_nodes = reading_row(_ast_tree_and_nodes, lambda tn, text: ast_facts(tn[0], text, tn[1]))
row_ast_functions = reading_row(_ast_tree, lambda tree, _text: ast_functions(tree))
row_ts_error = reading_row(_ts_root, lambda root, _text: root.find(kind="ERROR"))


def ts_row(reader: Callable[[SgNode, str], Facts]) -> Callable[[Corpus], float]:
    return reading_row(_ts_root, reader)


ROWS: dict[str, tuple[str, Callable[[Corpus], float]]] = {
    "a": ("ast.parse", row_ast_parse),
    "a+walk": ("ast.parse + walk_nodes (as parse_python)", row_ast_walk),
    "b": ("collector: module_products.summarise (parse + walks)", row_summarise),
    "c": ("tree-sitter parse (SgRoot(text, 'python').root())", row_ts_parse),
    "c+error": ("tree-sitter parse + find(kind='ERROR')", row_ts_error),
    "fn-ast": ("ast.parse + part d's functions only", row_ast_functions),
    "fn-ts": (
        "tree-sitter parse + part d's functions only",
        ts_row(lambda root, _text: Facts(ts_functions(root, _text), [], [], [])),
    ),
    "d-ast": ("ast.parse + part d by a plain walk", row_ast_facts),
    "d-ast-nodes": ("ast.parse + walk_nodes + part d over that node list", row_ast_facts_nodes),
    **{f"d-ts-{key}": (f"tree-sitter parse + part d, {key}", ts_row(reader)) for key, reader in TS_READERS.items()},
}


def timed(row: Callable[[Corpus], float], corpus: Corpus) -> tuple[float, float]:
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        inner = row(corpus)
        return time.process_time() - start, inner
    finally:
        gc.enable()


def agreement(corpus: Corpus) -> dict[str, dict[str, Any]]:
    """Per reader and fact kind: the files whose facts equal ast's, and the facts in common (multiset)."""
    out: dict[str, dict[str, Any]] = {}
    examples: dict[str, list[str]] = {}
    totals: dict[str, Counter[str]] = {key: Counter() for key in TS_READERS}
    for path, text in corpus.files:
        base = ast_facts(ast.parse(text), text).sorted()
        root = SgRoot(text, "python").root()
        for key, reader in TS_READERS.items():
            got = reader(root, text).sorted()
            count = totals[key]
            for kind, want in base.items():
                have = got[kind]
                count[f"{kind}:files"] += 1
                count[f"{kind}:files_equal"] += want == have
                common = sum((Counter(map(repr, want)) & Counter(map(repr, have))).values())
                count[f"{kind}:facts_ast"] += len(want)
                count[f"{kind}:facts_ts"] += len(have)
                count[f"{kind}:facts_common"] += common
                if want != have and key == "combined" and len(examples.setdefault(kind, [])) < 3:
                    only_ast = sorted(set(map(repr, want)) - set(map(repr, have)))[:2]
                    only_ts = sorted(set(map(repr, have)) - set(map(repr, want)))[:2]
                    examples[kind].append(f"{path}: ast only {only_ast}, tree-sitter only {only_ts}")
    for key, count in totals.items():
        out[key] = {}
        for kind in ("functions", "calls", "imports", "env"):
            union = count[f"{kind}:facts_ast"] + count[f"{kind}:facts_ts"] - count[f"{kind}:facts_common"]
            out[key][kind] = {
                "files_equal_pct": 100.0 * count[f"{kind}:files_equal"] / max(1, count[f"{kind}:files"]),
                "facts_ast": count[f"{kind}:facts_ast"],
                "facts_ts": count[f"{kind}:facts_ts"],
                "facts_agree_pct": 100.0 * count[f"{kind}:facts_common"] / union if union else 100.0,
            }
    out["examples"] = examples
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--fetch", type=Path, help="download and unpack the pinned PyPI sdists under this folder")
    parser.add_argument("--rows", default=",".join(ROWS), help="comma-separated row keys (default: all)")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    parser.add_argument("trees", nargs="+", help="NAME=FOLDER")
    args = parser.parse_args()
    if args.fetch is not None:
        fetch(args.fetch)
    corpora = [load(name, Path(folder)) for name, _, folder in (t.partition("=") for t in args.trees)]
    rows = [r for r in args.rows.split(",") if r]
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, CPython {platform.python_version()}, rounds {args.rounds}")
    results: dict[str, Any] = {}
    for corpus in corpora:
        print(f"\n## {corpus.name}: {len(corpus.files)} .py files, {corpus.mb:.1f} MB ({corpus.rejected} left out)")
        best: dict[str, tuple[float, float]] = {}
        for round_no in range(args.rounds):
            for key in rows:
                total, inner = timed(ROWS[key][1], corpus)
                if key not in best or total < best[key][0]:
                    best[key] = (total, inner)
                print(f"  round {round_no + 1} {key:<22} {total:7.3f} s", file=sys.stderr)
        agree = agreement(corpus)
        mb = corpus.mb
        print("\n| row | what | CPU s | MB/s | reading part s |\n|---|---|---:|---:|---:|")
        for key in rows:
            total, inner = best[key]
            print(
                f"| {key} | {ROWS[key][0]} | {total:.3f} | {mb / total:.1f} | {inner:.3f} |"
                if inner
                else f"| {key} | {ROWS[key][0]} | {total:.3f} | {mb / total:.1f} | |"
            )
        print("\n| reader | functions | calls | imports | env reads |\n|---|---:|---:|---:|---:|")
        for key in TS_READERS:
            cells = [
                f"{a['facts_agree_pct']:.2f}% ({a['files_equal_pct']:.1f}% files)"
                for a in (agree[key][k] for k in ("functions", "calls", "imports", "env"))
            ]
            print(f"| {key} | " + " | ".join(cells) + " |")
        counts = agree["combined"]
        print(
            "facts (ast / tree-sitter combined): "
            + ", ".join(
                f"{k} {counts[k]['facts_ast']}/{counts[k]['facts_ts']}"
                for k in ("functions", "calls", "imports", "env")
            )
        )
        for kind, lines in agree["examples"].items():
            for line in lines:
                print(f"  differs ({kind}): {line}")
        results[corpus.name] = {
            "files": len(corpus.files),
            "mb": mb,
            "left_out": corpus.rejected,
            "rows": {key: {"cpu_s": best[key][0], "reading_s": best[key][1]} for key in rows},
            "agreement": agree,
        }
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
