"""What the ``python`` collector keeps of each module once its syntax tree is dropped: a source module's
entry points, environment reads, servicers and findings, and the strings by which a test module can name
a service folder as a path. A tree takes ~50x its source in memory; these take a small fraction of it."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from anops_policy.collectors.python.services import EntryPoint, ServicerClass, entry_points, servicer_classes

from anops_policy.syntax.python_ast import EnvRead, ParsedModule, env_reads, exception_findings, print_lines

PATH_FUNCS = frozenset({"Path", "PurePath", "join", "joinpath"})


def _div_parts(node: ast.AST) -> list[str]:
    """String constants of a ``a / "b" / "c"`` chain (pathlib joins), each split on "/"."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return [*_div_parts(node.left), *_div_parts(node.right)]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [p for p in node.value.split("/") if p]
    return ["?"]


@dataclass(frozen=True)
class SourceSummary:
    """What the section needs of one non-test, non-generated module once its syntax tree is dropped."""

    entries: list[EntryPoint]
    env: list[EnvRead]
    dynamic_env: int
    servicers: list[ServicerClass]
    findings: dict[str, Any]  # the module's by_path entry

    @classmethod
    def of(cls, module: ParsedModule) -> SourceSummary:
        path = module.path
        reads, dynamic = env_reads(module)
        bare, swallowed = exception_findings(module)
        findings = {
            "bare_excepts": [{"path": path, "line": line} for line in bare],
            "swallowed_exceptions": [
                {"path": path, "line": h.line, "kind": h.kind, "caught": h.caught} for h in swallowed
            ],
            "prints": [{"path": path, "line": line} for line in print_lines(module)],
        }
        return cls(entry_points(module), reads, dynamic, servicer_classes(module), findings)


@dataclass(frozen=True)
class PathRefs:
    """The strings of a test module that can name a service folder as a path: each ``a / "b" / "c"``
    chain joined (``/?/b/c/``), string constants with a ``/``, and the literal arguments of
    ``Path(...)``/``os.path.join(...)``/``cwd=``. Service folders are known only after every module."""

    joined: frozenset[str]
    strings: frozenset[str]
    literals: frozenset[str]

    @classmethod
    def of(cls, nodes: Iterable[ast.AST]) -> PathRefs:
        joined: set[str] = set()
        strings: set[str] = set()
        literals: set[str] = set()
        for node in nodes:
            values: list[ast.AST] = []
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
                joined.add("/" + "/".join(_div_parts(node)) + "/")
            elif isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in PATH_FUNCS:
                    values = list(node.args)
                values += [k.value for k in node.keywords if k.arg == "cwd"]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "/" in node.value:
                strings.add(node.value)
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    literals.add(value.value.strip("/"))
        return cls(frozenset(joined), frozenset(strings), frozenset(literals))

    def folders(self, wanted: set[str]) -> list[str]:
        found = {f for f in wanted if any("/" + f + "/" in j for j in self.joined)}
        found.update(f for f in wanted if any(f + "/" in s for s in self.strings))
        found.update(self.literals & wanted)
        return sorted(found)
