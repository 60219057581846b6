"""Part d of the python summaries benchmark: the facts both readers produce (functions, calls, imports,
environment reads), and the reader over Python's ``ast``."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from anops_policy.syntax.python_ast import Imports, call_arg, walk_nodes

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
_AS_WRITTEN = Imports()  # no imports: a dotted name as the source writes it (resolved later, by ``resolve``)


def ast_dotted(node: ast.AST) -> str | None:
    return _AS_WRITTEN.dotted(node)


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
            key = _ast_str(call_arg(call, 0, "key"))
            default = call_arg(call, 1, "default")
            has_default = default is not None and not (isinstance(default, ast.Constant) and default.value is None)
            reads.append((call.lineno, key or "<dynamic>", how, has_default and key is not None))
    return Facts(functions, calls, imports, reads)
