"""Service discovery for the ``python`` collector: server entry points (gRPC servers, ASGI/WSGI apps,
``http.server``, a ``__main__`` that serves), the folder each one belongs to, and gRPC servicers."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from anops_policy.syntax.python_ast import ParsedModule, is_under, last_name, parent_dir, walk_nodes

# Qualified constructor name → (framework, protocol). Matching is on the import-resolved dotted name,
# so ``from fastapi import FastAPI as F; F()`` and ``import fastapi; fastapi.FastAPI()`` both count.
SERVER_CONSTRUCTORS: dict[str, tuple[str, str]] = {
    "grpc.server": ("grpc", "grpc"),
    "grpc.aio.server": ("grpc", "grpc"),
    "fastapi.FastAPI": ("fastapi", "http"),
    "fastapi.applications.FastAPI": ("fastapi", "http"),
    "flask.Flask": ("flask", "http"),
    "aiohttp.web.Application": ("aiohttp", "http"),
    "aiohttp.web_app.Application": ("aiohttp", "http"),
    "starlette.applications.Starlette": ("starlette", "http"),
    "quart.Quart": ("quart", "http"),
    "sanic.Sanic": ("sanic", "http"),
    "falcon.App": ("falcon", "http"),
    "falcon.asgi.App": ("falcon", "http"),
    "tornado.web.Application": ("tornado", "http"),
    "django.core.wsgi.get_wsgi_application": ("django", "http"),
    "django.core.asgi.get_asgi_application": ("django", "http"),
    "http.server.HTTPServer": ("http.server", "http"),
    "http.server.ThreadingHTTPServer": ("http.server", "http"),
    "wsgiref.simple_server.make_server": ("wsgiref", "http"),
}
# Calls that run a server from a ``__main__`` block (the app itself may be defined elsewhere).
SERVING_CALLS = frozenset(
    {
        "uvicorn.run",
        "hypercorn.asyncio.serve",
        "waitress.serve",
        "aiohttp.web.run_app",
        "gunicorn.app.base",
    }
)
SERVING_METHODS = frozenset({"serve_forever", "wait_for_termination", "run_app"})
PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", "Dockerfile")


@dataclass(frozen=True)
class EntryPoint:
    path: str
    line: int
    framework: str
    protocol: str
    call: str
    main_line: int | None

    def fact(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "framework": self.framework,
            "protocol": self.protocol,
            "call": self.call,
            "main_line": self.main_line,
        }


def _main_block(tree: ast.Module) -> ast.If | None:
    for stmt in tree.body:
        if isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Compare):
            parts = [stmt.test.left, *stmt.test.comparators]
            names = {getattr(p, "id", None) for p in parts} | {getattr(p, "value", None) for p in parts}
            if "__name__" in names and "__main__" in names:
                return stmt
    return None


def _serves(module: ParsedModule, block: Sequence[ast.stmt], functions: Mapping[str, ast.AST], depth: int = 0) -> bool:
    """Whether statements run a server, following calls to same-module functions (``serve()``)."""
    for node in (n for stmt in block for n in walk_nodes(stmt)):
        if not isinstance(node, ast.Call):
            continue
        qual = module.imports.dotted(node.func) or ""
        if qual in SERVING_CALLS or qual in SERVER_CONSTRUCTORS or last_name(node) in SERVING_METHODS:
            return True
        receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
        if last_name(node) == "run" and receiver is not None and "app" in (last_name(receiver) or "").lower():
            return True  # app.run() of Flask, Quart, Sanic
        callee = functions.get(node.func.id) if isinstance(node.func, ast.Name) else None
        if callee is not None and depth < 3 and _serves(module, [callee], functions, depth + 1):  # type: ignore[list-item]
            return True
    return False


def entry_points(module: ParsedModule) -> list[EntryPoint]:
    """Server constructions in one non-test module; a serving ``__main__`` without one (the app comes
    from another module) is an entry point of its own."""
    main = _main_block(module.tree)
    functions = {s.name: s for s in module.tree.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)}
    main_line = main.lineno if main is not None and _serves(module, main.body, functions) else None
    if main_line is None and (module.path.endswith("/__main__.py") or module.path == "__main__.py"):
        main_line = 1 if _serves(module, module.tree.body, functions) else None
    found: list[EntryPoint] = []
    for node in module.nodes:
        if isinstance(node, ast.Call):
            qual = module.imports.dotted(node.func) or ""
            if qual in SERVER_CONSTRUCTORS:
                framework, protocol = SERVER_CONSTRUCTORS[qual]
                found.append(EntryPoint(module.path, node.lineno, framework, protocol, qual, main_line))
    if not found and main_line is not None:
        found.append(EntryPoint(module.path, main_line, _framework_of_main(module), "http", "__main__", main_line))
    return sorted(found, key=lambda e: e.line)


def _framework_of_main(module: ParsedModule) -> str:
    for node in module.nodes:
        if isinstance(node, ast.Call):
            qual = module.imports.dotted(node.func) or ""
            if qual in SERVING_CALLS:
                return qual.split(".")[0]
    return "unknown"


def servicer_bases(module: ParsedModule) -> dict[str, list[str]]:
    """Generated ``*Servicer`` base classes (``*_pb2_grpc.py``) → the RPC method names they declare."""
    out: dict[str, list[str]] = {}
    for node in module.tree.body:
        if isinstance(node, ast.ClassDef) and node.name.endswith("Servicer"):
            out[node.name] = [
                item.name
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and not item.name.startswith("_")
            ]
    return out


@dataclass(frozen=True)
class ServicerClass:
    """A class deriving from a ``*Servicer`` base, as read from its module (the generated bases are
    matched later, once every generated module of the tree is known)."""

    name: str
    path: str
    line: int
    bases: tuple[str, ...]
    servicer_bases: tuple[str, ...]
    methods: tuple[tuple[str, int], ...]

    def fact(self, generated: Mapping[str, list[str]]) -> dict[str, Any]:
        """``rpc`` says whether the generated base declares the method (None when the base's module is
        not in the tree)."""
        declared: set[str] | None = None
        for base in self.servicer_bases:
            if base in generated:
                declared = (declared or set()) | set(generated[base])
        methods = [
            {"name": name, "line": line, "rpc": None if declared is None else name in declared}
            for name, line in self.methods
        ]
        implemented = {m["name"] for m in methods}
        return {
            "name": self.name,
            "path": self.path,
            "line": self.line,
            "bases": list(self.bases),
            "methods": methods,
            "unimplemented_rpcs": sorted(declared - implemented) if declared is not None else [],
        }


def servicer_classes(module: ParsedModule) -> list[ServicerClass]:
    """Classes deriving from a ``*Servicer`` base, with their public methods."""
    out = []
    for node in module.nodes:
        if not isinstance(node, ast.ClassDef):
            continue
        bases = [module.imports.dotted(b) or "" for b in node.bases]
        servicer_bases = [b.rsplit(".", 1)[-1] for b in bases if b.rsplit(".", 1)[-1].endswith("Servicer")]
        if not servicer_bases:
            continue
        methods = tuple(
            (item.name, item.lineno)
            for item in node.body
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and not item.name.startswith("_")
        )
        out.append(ServicerClass(node.name, module.path, node.lineno, tuple(bases), tuple(servicer_bases), methods))
    return out


def servicers(module: ParsedModule, generated: Mapping[str, list[str]]) -> list[dict[str, Any]]:
    """``servicer_classes`` with the generated bases' RPCs matched."""
    return [c.fact(generated) for c in servicer_classes(module)]


def service_folder(
    entry_path: str, files: set[str], component_paths: Iterable[str], requirements: set[str] | None = None
) -> str:
    """The folder a service lives in: the deepest configured component containing the entry point; else
    the nearest folder above it with project metadata (pyproject, setup.cfg, requirements, Dockerfile),
    the repository root only when the entry point sits there; else the entry point's own folder.
    ``requirements``: ``requirement_folders(files)``, made once for a run's many entry points."""
    containing = [p for p in component_paths if p and is_under(entry_path, p)]
    if containing:
        return max(containing, key=len)
    if requirements is None:
        requirements = requirement_folders(files)
    own = parent_dir(entry_path)
    folder = own
    while folder != ".":
        if folder in requirements or any(f"{folder}/{marker}" in files for marker in PROJECT_MARKERS):
            return folder
        folder = parent_dir(folder)
    return own


def requirement_folders(files: Iterable[str]) -> set[str]:
    """The folders holding a ``requirements*`` file of their own (``requirements.txt``, ``requirements-dev.in``)."""
    return {parent_dir(f) for f in files if f.rsplit("/", 1)[-1].startswith("requirements")}


class ImportIndex:
    """Which services a dotted import names, from each service's ``module_names``: ``imported`` links to a
    service when it is one of its module names, inside one (``pkg.mod`` of ``pkg``) or a package above one
    (``pkg`` of ``pkg.mod``). Made once per run: matching every import against every name was quadratic in
    the size of a monorepo (seconds on a few thousand modules)."""

    def __init__(self, names: Mapping[str, set[str]]) -> None:
        self.exact: dict[str, set[str]] = {}  # a module name -> the services that have it
        self.above: dict[str, set[str]] = {}  # a proper dotted prefix of a module name -> its services
        for service, modules in names.items():
            for name in modules:
                self.exact.setdefault(name, set()).add(service)
                parts = name.split(".")
                for end in range(1, len(parts)):
                    self.above.setdefault(".".join(parts[:end]), set()).add(service)

    def services(self, imported: str) -> set[str]:
        found = set(self.above.get(imported, ()))
        parts = imported.split(".")
        for end in range(1, len(parts) + 1):
            found.update(self.exact.get(".".join(parts[:end]), ()))
        return found


def module_names(folder: str, source_paths: Iterable[str]) -> set[str]:
    """Import names under which a service's modules can be imported: relative to the service folder
    (with a ``src/`` layout stripped), and dotted from the repository root when every part is an
    identifier. Generated gRPC modules are left out (two services often share them)."""
    names: set[str] = set()
    for path in source_paths:
        if path.endswith(("_pb2.py", "_pb2_grpc.py")):
            continue
        rel = path if folder == "." else path[len(folder) + 1 :]
        rel = rel.removeprefix("src/")
        for candidate in (rel, path):
            parts = candidate.removesuffix(".py").split("/")
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if parts and all(p.isidentifier() for p in parts):
                names.add(".".join(parts))
    return names
