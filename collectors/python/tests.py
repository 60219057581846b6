"""The test-signal visitor of the ``python`` collector: what each pytest/unittest test function does,
read from the ``ast`` (tests are never imported or run).

For every function in a test file it records its *own* signals (environment variables set or deleted,
HTTP status codes and ``grpc.StatusCode`` members asserted, ``pytest.raises`` types, processes or servers
started and stopped). A test's signals are its own plus those of the same-file helpers it calls and the
fixtures it uses (resolved like pytest does: same file, then ``conftest.py`` upwards), transitively."""

from __future__ import annotations

import ast
import http
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from anops_policy.syntax.python_ast import (
    ENVIRON,
    Imports,
    ParsedModule,
    call_arg,
    child_nodes,
    const_str,
    last_name,
    parent_dir,
    receiver_name,
    short_source,
    walk_no_nested,
)

HTTP_STATUS_ATTRS = frozenset({"status_code", "status"})
HTTP_CONSTANT = re.compile(r"^HTTP_(\d{3})(?:_|$)")
SERVERISH = re.compile(r"(?i)(server|srv|daemon|service|proc|process|popen|container)s?$|^p$")
PROCESS_STARTERS = frozenset(
    {
        "subprocess.Popen",
        "asyncio.create_subprocess_exec",
        "asyncio.create_subprocess_shell",
    }
)
SERVER_CTORS = frozenset(
    {
        "Popen",
        "server",
        "HTTPServer",
        "ThreadingHTTPServer",
        "TCPServer",
        "ThreadingTCPServer",
        "make_server",
        "Server",
        "Process",
        "create_subprocess_exec",
        "create_subprocess_shell",
    }
)
KILLS = frozenset({"os.kill", "os.killpg"})
STOP_ALWAYS = frozenset({"terminate", "kill", "send_signal"})
STOP_ON_SERVER = frozenset({"stop", "shutdown", "server_close", "wait", "communicate", "join"})
START_ON_SERVER = frozenset({"start", "serve_forever"})
LIFESPAN_CMS = frozenset({"TestClient", "LifespanManager", "lifespan", "lifespan_context"})
CLEANUP_CMS = LIFESPAN_CMS | frozenset({"Popen", "ExitStack", "AsyncExitStack", "TemporaryDirectory"})
CLEANUP_CALLS = frozenset(
    {
        "terminate",
        "kill",
        "wait",
        "stop",
        "shutdown",
        "close",
        "cleanup",
        "rmtree",
        "unlink",
        "remove",
        "server_close",
        "send_signal",
        "killpg",
    }
)
FINALIZERS = frozenset({"addfinalizer", "addCleanup", "addAsyncCleanup", "addClassCleanup", "enterContext"})
# pytest-xunit module set-up and tear-down run around every test of their module
MODULE_FIXTURES = (
    "setup_module",
    "setUpModule",
    "setup_function",
    "teardown_module",
    "tearDownModule",
    "teardown_function",
)
# plugin fixtures that start the application under test and stop it afterwards
PLUGIN_SERVER_FIXTURES = frozenset(
    {
        "aiohttp_client",
        "aiohttp_server",
        "aiohttp_raw_server",
        "live_server",
        "grpc_server",
        "grpc_stub",
    }
)
# unittest/pytest-class set-up and tear-down run around every test of their class
CLASS_FIXTURES = (
    "setUp",
    "asyncSetUp",
    "setup_method",
    "tearDown",
    "asyncTearDown",
    "teardown_method",
    "setUpClass",
    "tearDownClass",
    "setup_class",
    "teardown_class",
)
TEARDOWN_NAMES = frozenset(
    {
        "teardown",
        "teardown_function",
        "teardown_method",
        "teardown_module",
        "teardown_class",
        "tearDown",
        "tearDownClass",
        "tearDownModule",
        "asyncTearDown",
    }
)
DOCKER_TOOLS = frozenset({"docker", "docker-compose", "podman", "podman-compose"})
DOCKER_UP = frozenset({"up", "run", "start"})
DOCKER_DOWN = frozenset({"down", "stop", "kill", "rm"})
SUBPROCESS_RUNNERS = frozenset(
    {"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output"}
)
INVALID_ADDRESS = re.compile(
    r"(?i)(\.invalid\b|nonexist|does-not-exist|no-such-host|unreachable|"
    r":(6553[6-9]|655[4-9]\d|65[6-9]\d\d|6[6-9]\d{3}|[7-9]\d{4}|\d{6,})\b)"
)


def http_status_of(node: ast.AST, imports: Imports) -> list[int]:
    """Status codes an expression names: ``422``, ``HTTPStatus.NOT_FOUND``, ``status.HTTP_422_...``."""
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [code for elt in node.elts for code in http_status_of(elt, imports)]
    if isinstance(node, ast.Constant) and type(node.value) is int and 100 <= node.value <= 599:
        return [node.value]
    if isinstance(node, ast.Attribute):
        match = HTTP_CONSTANT.match(node.attr)
        if match:
            return [int(match.group(1))]
        owner = last_name(node.value)
        if owner == "HTTPStatus" and node.attr in http.HTTPStatus.__members__:
            return [int(http.HTTPStatus[node.attr])]
    return []


def _is_status_expr(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in HTTP_STATUS_ATTRS


# One shared empty set for every empty field of a kept (``compact``) ``Signals``: a test suite has one
# per function and one per closure, nearly all empty, and an empty ``set`` costs ~200 bytes each.
_EMPTY: Any = frozenset()


@dataclass(slots=True)
class Signals:
    sets_env: set[str] = field(default_factory=set)
    deletes_env: set[str] = field(default_factory=set)
    http_statuses: set[int] = field(default_factory=set)
    grpc_codes: set[str] = field(default_factory=set)
    raises: set[str] = field(default_factory=set)
    starts: set[tuple[int, str]] = field(default_factory=set)
    stops: set[tuple[int, str]] = field(default_factory=set)
    invalid_address: bool = False
    stops_dependency: bool = False

    def merge(self, other: Signals, *, own_flags: bool = False) -> None:
        self.sets_env |= other.sets_env
        self.deletes_env |= other.deletes_env
        self.http_statuses |= other.http_statuses
        self.grpc_codes |= other.grpc_codes
        self.raises |= other.raises
        self.starts |= other.starts
        self.stops |= other.stops
        self.invalid_address = self.invalid_address or other.invalid_address
        if own_flags:
            self.stops_dependency = self.stops_dependency or other.stops_dependency

    def compact(self) -> Signals:
        """Empty fields replaced by the shared empty set; the result is only read or merged *from*
        (merging into it rebinds a field, never mutates the shared set)."""
        for name in ("sets_env", "deletes_env", "http_statuses", "grpc_codes", "raises", "starts", "stops"):
            if not getattr(self, name):
                setattr(self, name, _EMPTY)
        return self

    def negative_path(self) -> list[str]:
        kinds = []
        if any(code >= 400 for code in self.http_statuses):
            kinds.append("error_status")
        if self.grpc_codes - {"OK"}:
            kinds.append("error_grpc_code")
        if self.raises:
            kinds.append("raises")
        if self.stops_dependency:
            kinds.append("stops_dependency")
        if self.invalid_address:
            kinds.append("invalid_address")
        return kinds

    def fact(self) -> dict[str, Any]:
        return {
            "sets_env": sorted(self.sets_env),
            "deletes_env": sorted(self.deletes_env),
            "http_statuses": sorted(self.http_statuses),
            "grpc_codes": sorted(self.grpc_codes),
            "raises": sorted(self.raises),
            "starts_service": bool(self.starts),
            "stops_service": bool(self.stops),
        }


@dataclass(slots=True)
class Func:
    """What the suite needs of one function once its module's syntax tree is gone."""

    name: str
    qualname: str
    cls: str | None
    line: int
    end_line: int
    is_test: bool
    fixture_name: str | None
    autouse: bool
    params: list[str]
    usefixtures: list[str]
    markers: list[str]
    contextmanager: bool
    own: Signals
    calls: set[str]
    yield_cleanup: int | None  # line of a yield followed by cleanup


@dataclass
class TestModule:
    """One test file's analysis; it keeps no syntax tree (a suite of thousands of files would hold
    gigabytes of them), only what fixture resolution and the facts need."""

    path: str
    imported_modules: frozenset[str]
    funcs: list[Func]
    helpers: dict[str, Func]  # module-level functions by name
    methods: dict[str, Func]  # Class.method
    fixtures: dict[str, Func]
    teardown: list[tuple[str, int]]
    module_markers: list[str]

    @property
    def folder(self) -> str:
        return parent_dir(self.path)


# ---- decorators ---------------------------------------------------------------------------------------
def _markers(decorators: list[ast.expr], imports: Imports) -> tuple[list[str], list[str], set[str]]:
    """``pytest.mark.X`` names, the fixture names of ``usefixtures``, and ``parametrize`` argument names
    (arguments, not fixtures)."""
    markers: list[str] = []
    usefixtures: list[str] = []
    parametrized: set[str] = set()
    for dec in decorators:
        target = dec.func if isinstance(dec, ast.Call) else dec
        qual = imports.dotted(target) or ""
        if not qual.startswith("pytest.mark."):
            continue
        name = qual.removeprefix("pytest.mark.")
        markers.append(name)
        if name == "usefixtures" and isinstance(dec, ast.Call):
            usefixtures.extend(s for s in (const_str(a) for a in dec.args) if s)
        elif name == "parametrize" and isinstance(dec, ast.Call):
            names = call_arg(dec, 0, "argnames")
            if isinstance(names, ast.List | ast.Tuple):
                parametrized.update(s for s in (const_str(e) for e in names.elts) if s)
            elif const_str(names):
                parametrized.update(n.strip() for n in str(const_str(names)).split(",") if n.strip())
    return markers, usefixtures, parametrized


def _fixture_info(decorators: list[ast.expr], imports: Imports, default: str) -> tuple[str | None, bool]:
    for dec in decorators:
        target = dec.func if isinstance(dec, ast.Call) else dec
        qual = imports.dotted(target) or ""
        if qual in {"pytest.fixture", "pytest_asyncio.fixture"} or qual.endswith(".fixture") or qual == "fixture":
            name, autouse = default, False
            if isinstance(dec, ast.Call):
                name = const_str(call_arg(dec, 99, "name")) or default
                autouse_node = call_arg(dec, 99, "autouse")
                autouse = isinstance(autouse_node, ast.Constant) and autouse_node.value is True
            return name, autouse
    return None, False


def _is_contextmanager(decorators: list[ast.expr], imports: Imports) -> bool:
    return any((imports.dotted(d) or "").endswith(("contextmanager", "asynccontextmanager")) for d in decorators)


def _module_markers(tree: ast.Module, imports: Imports) -> list[str]:
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets):
            values = stmt.value.elts if isinstance(stmt.value, ast.List | ast.Tuple) else [stmt.value]
            return _markers(list(values), imports)[0]
    return []


# ---- yield cleanup ------------------------------------------------------------------------------------
def _yield_with_cleanup(body: list[ast.stmt], protected: bool = False) -> int | None:
    """Line of the first ``yield`` that has cleanup: code after it (in its block or an enclosing one),
    or an enclosing ``with`` or ``try/finally``. ``protected``: the enclosing blocks provide that."""
    for index, stmt in enumerate(body):
        after = protected or index + 1 < len(body)
        line: int | None
        if isinstance(stmt, ast.With | ast.AsyncWith):
            line = _yield_with_cleanup(stmt.body, True)
        elif isinstance(stmt, ast.Try | ast.TryStar):
            line = _yield_with_cleanup(stmt.body, after or bool(stmt.finalbody))
            for block in [*(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody]:
                line = line or _yield_with_cleanup(block, after)
        elif isinstance(stmt, ast.If | ast.For | ast.AsyncFor | ast.While):
            line = _yield_with_cleanup(stmt.body, after) or _yield_with_cleanup(stmt.orelse, after)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            line = None
        else:
            yields = [n for n in walk_no_nested([stmt]) if isinstance(n, ast.Yield | ast.YieldFrom)]
            line = yields[0].lineno if yields and after else None
        if line is not None:
            return line
    return None


# ---- signals of one function body ---------------------------------------------------------------------
class _SignalVisitor:
    def __init__(self, imports: Imports) -> None:
        self.imports = imports
        self.signals = Signals()
        self.calls: set[str] = set()
        self.tracked: set[str] = set()
        self.with_calls: list[tuple[ast.Call, int]] = []
        self.finally_nodes: set[int] = set()
        self.finally_stops: list[int] = []
        self.finalizers: list[int] = []
        self.yields = False

    def visit(self, func: ast.FunctionDef | ast.AsyncFunctionDef, extra: list[ast.expr]) -> None:
        """``extra``: decorators of the enclosing class (``@mock.patch.dict`` applies to every method).

        One traversal, each node flagged with whether it is the function's own code (not a nested
        function's) and the line of the ``try`` whose ``finally`` block it is in (0 when none)."""
        roots: list[ast.AST] = [*extra, *func.decorator_list, *func.body]
        flagged: list[tuple[ast.AST, bool, int]] = []
        stack: list[tuple[ast.AST, bool, int]] = [(r, True, 0) for r in reversed(roots)]
        while stack:
            node, own, final = stack.pop()
            flagged.append((node, own, final))
            nested = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef)
            finals = {id(s) for s in node.finalbody} if isinstance(node, ast.Try) else set()
            children = child_nodes(node)
            for child in reversed(children):
                stack.append((child, own and not nested, node.lineno if id(child) in finals else final))  # type: ignore[attr-defined]
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.withitem):
                self._track(node)
            elif own and isinstance(node, ast.Yield | ast.YieldFrom):
                self.yields = True
        self.finally_nodes = {id(n) for n, _own, final in flagged if final}
        for node, own, final in flagged:
            if isinstance(node, ast.Assert):
                self._assertion([node.test])
            elif isinstance(node, ast.Call):
                if final and last_name(node) in CLEANUP_CALLS:
                    self.finally_stops.append(final)
                if last_name(node) in FINALIZERS:
                    self.finalizers.append(node.lineno)
                self._call(node, own=own)
            elif isinstance(node, ast.With | ast.AsyncWith):
                for item in node.items:
                    if isinstance(item.context_expr, ast.Call):
                        self.with_calls.append((item.context_expr, node.lineno))
                        self._with_item(item.context_expr, node.lineno)
            elif isinstance(node, ast.Subscript) and self.imports.dotted(node.value) == ENVIRON:
                name = const_str(node.slice) or "<dynamic>"
                if isinstance(node.ctx, ast.Store):
                    self.signals.sets_env.add(name)
                elif isinstance(node.ctx, ast.Del):
                    self.signals.deletes_env.add(name)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and INVALID_ADDRESS.search(node.value):
                self.signals.invalid_address = True
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Attribute) and t.attr == "should_exit" for t in node.targets
            ):
                self.signals.stops.add((node.lineno, "should_exit"))

    def _track(self, node: ast.Assign | ast.AnnAssign | ast.withitem) -> None:
        value = node.context_expr if isinstance(node, ast.withitem) else node.value
        if not isinstance(value, ast.Call | ast.Await):
            return
        call = value.value if isinstance(value, ast.Await) else value
        if not isinstance(call, ast.Call) or last_name(call) not in SERVER_CTORS:
            return
        targets: list[ast.expr]
        if isinstance(node, ast.withitem):
            targets = [node.optional_vars] if node.optional_vars is not None else []
        elif isinstance(node, ast.Assign):
            targets = list(node.targets)
        else:
            targets = [node.target]
        for target in targets:
            name = last_name(target)
            if name:
                self.tracked.add(name)

    def _assertion(self, exprs: list[ast.expr]) -> None:
        for expr in exprs:
            for node in ast.walk(expr):
                if isinstance(node, ast.Compare):
                    operands = [node.left, *node.comparators]
                    if any(_is_status_expr(o) for o in operands):
                        for operand in operands:
                            self.signals.http_statuses.update(http_status_of(operand, self.imports))
                elif isinstance(node, ast.Attribute) and last_name(node.value) == "StatusCode":
                    self.signals.grpc_codes.add(node.attr)

    def _call(self, call: ast.Call, *, own: bool) -> None:
        func = call.func
        qual = self.imports.dotted(func) or ""
        name = last_name(func) or ""
        if isinstance(func, ast.Name):
            self.calls.add(func.id)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
            self.calls.add("self." + func.attr)
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            if isinstance(arg, ast.Name):
                self.calls.add(arg.id)  # a helper passed as a callback (Thread(target=serve))
        if name.startswith("assert") and isinstance(func, ast.Attribute):
            self._assertion(list(call.args))
            if len(call.args) >= 2 and any(_is_status_expr(a) for a in call.args[:2]):
                for arg in call.args[:2]:
                    self.signals.http_statuses.update(http_status_of(arg, self.imports))
        if qual == "pytest.raises" or name in {"assertRaises", "assertRaisesRegex"}:
            expected = call_arg(call, 0, "expected_exception")
            if expected is not None:
                elts = expected.elts if isinstance(expected, ast.Tuple) else [expected]
                self.signals.raises.update(short_source(e, 80) for e in elts)
        self._env_call(call, qual, name)
        self._lifecycle_call(call, qual, name, own=own)

    def _env_call(self, call: ast.Call, qual: str, name: str) -> None:
        sig = self.signals
        first = call_arg(call, 0)
        if name in {"setenv", "delenv"} and receiver_name(call) != "os":
            (sig.sets_env if name == "setenv" else sig.deletes_env).add(const_str(first) or "<dynamic>")
        elif name in {"setitem", "delitem"} and first is not None and self.imports.dotted(first) == ENVIRON:
            key = const_str(call_arg(call, 1)) or "<dynamic>"
            (sig.sets_env if name == "setitem" else sig.deletes_env).add(key)
        elif qual in {"os.putenv", "os.environ.setdefault"}:
            sig.sets_env.add(const_str(first) or "<dynamic>")
        elif qual in {"os.unsetenv", "os.environ.pop"}:
            sig.deletes_env.add(const_str(first) or "<dynamic>")
        elif qual == "os.environ.clear":
            sig.deletes_env.add("*")
        elif qual == "os.environ.update":
            sig.sets_env.update(self._dict_keys(first, call))
        elif qual.endswith("patch.dict") and first is not None:
            target = const_str(first) or self.imports.dotted(first)
            if target == ENVIRON:
                sig.sets_env.update(self._dict_keys(call_arg(call, 1, "values"), call))
                clear = call_arg(call, 99, "clear")
                if isinstance(clear, ast.Constant) and clear.value is True:
                    sig.deletes_env.add("*")

    @staticmethod
    def _dict_keys(node: ast.AST | None, call: ast.Call) -> set[str]:
        keys = {k.arg for k in call.keywords if k.arg and k.arg not in {"values", "clear"}}
        if isinstance(node, ast.Dict):
            keys.update(const_str(k) or "<dynamic>" for k in node.keys if k is not None)
        return keys

    def _lifecycle_call(self, call: ast.Call, qual: str, name: str, *, own: bool) -> None:
        sig = self.signals
        receiver = receiver_name(call)
        serverish = receiver is not None and (receiver in self.tracked or bool(SERVERISH.search(receiver)))
        stop = False
        if qual in PROCESS_STARTERS or qual == "uvicorn.run":
            sig.starts.add((call.lineno, qual))
        elif name in START_ON_SERVER and serverish:
            sig.starts.add((call.lineno, f"{receiver}.{name}"))
        elif name in STOP_ALWAYS or qual in KILLS or (name in STOP_ON_SERVER and serverish):
            stop = True
        elif qual in SUBPROCESS_RUNNERS:
            words = self._command_words(call_arg(call, 0, "args"))
            if words & DOCKER_TOOLS and words & DOCKER_UP:
                sig.starts.add((call.lineno, "container up"))
            elif words & DOCKER_TOOLS and words & DOCKER_DOWN:
                stop = True
        if stop:
            sig.stops.add((call.lineno, f"{receiver}.{name}" if receiver else qual or name))
            if own and id(call) not in self.finally_nodes:
                sig.stops_dependency = True

    @staticmethod
    def _command_words(node: ast.AST | None) -> set[str]:
        if isinstance(node, ast.List | ast.Tuple):
            return {s for s in (const_str(e) for e in node.elts) if s}
        text = const_str(node)
        return set(text.split()) if text else set()

    def _with_item(self, call: ast.Call, line: int) -> None:
        name = last_name(call) or ""
        qual = self.imports.dotted(call.func) or ""
        if name in LIFESPAN_CMS or qual == "subprocess.Popen" or name.endswith(("Container", "Compose")):
            self.signals.starts.add((line, name))
            self.signals.stops.add((line, name))


# ---- one test module ----------------------------------------------------------------------------------
def collects_tests(path: str) -> bool:
    """pytest's default ``python_files``: only these modules' test functions are collected."""
    name = path.rsplit("/", 1)[-1]
    return (name.startswith("test_") or name.endswith("_test.py")) and name.endswith(".py")


def analyse_test_module(module: ParsedModule, *, explicit: bool = False) -> TestModule:
    """``explicit``: the file is named as a test file on its own (an e2e path from the config), which
    makes pytest collect it whatever its name."""
    collectable = explicit or collects_tests(module.path)
    imports = module.imports
    funcs: list[Func] = []
    teardown: list[tuple[str, int]] = []
    visitors: list[tuple[Func, _SignalVisitor]] = []

    def add(node: ast.FunctionDef | ast.AsyncFunctionDef, cls: ast.ClassDef | None) -> None:
        markers, usefixtures, parametrized = _markers(node.decorator_list, imports)
        if cls is not None:
            cls_markers, cls_use, cls_params = _markers(cls.decorator_list, imports)
            markers = [*cls_markers, *markers]
            usefixtures = [*cls_use, *usefixtures]
            parametrized |= cls_params
        fixture_name, autouse = _fixture_info(node.decorator_list, imports, node.name)
        args = [a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]]
        params = [a for a in args if a not in {"self", "cls"} and a not in parametrized]
        is_test = (
            collectable
            and fixture_name is None
            and node.name.startswith("test")
            and (cls is None or cls.name.startswith("Test") or _is_testcase(cls))
        )
        visitor = _SignalVisitor(imports)
        visitor.visit(node, list(cls.decorator_list) if cls is not None else [])
        is_cm = _is_contextmanager(node.decorator_list, imports)
        func = Func(
            name=node.name,
            qualname=f"{cls.name}.{node.name}" if cls else node.name,
            cls=cls.name if cls else None,
            line=node.lineno,
            end_line=getattr(node, "end_lineno", None) or node.lineno,
            is_test=is_test,
            fixture_name=fixture_name,
            autouse=autouse,
            params=params,
            usefixtures=usefixtures,
            markers=sorted(set(markers)),
            contextmanager=is_cm,
            own=visitor.signals.compact(),
            calls=visitor.calls,
            yield_cleanup=_yield_with_cleanup(node.body) if visitor.yields and (fixture_name or is_cm) else None,
        )
        funcs.append(func)
        visitors.append((func, visitor))
        if node.name in TEARDOWN_NAMES:
            teardown.append(("teardown_function", node.lineno))

    for stmt in module.tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            add(stmt, None)
        elif isinstance(stmt, ast.ClassDef):
            for item in stmt.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    add(item, stmt)
    helpers = {f.name: f for f in funcs if f.cls is None}
    local_cms = {f.name for f in funcs if f.contextmanager and f.yield_cleanup is not None}
    for func, visitor in visitors:
        if func.fixture_name is not None and func.yield_cleanup is not None:
            teardown.append(("yield_fixture", func.yield_cleanup))
        for call, line in visitor.with_calls:
            name = last_name(call) or ""
            if (
                name in CLEANUP_CMS
                or name.endswith(("Container", "Compose"))
                or (isinstance(call.func, ast.Name) and call.func.id in local_cms)
            ):
                teardown.append(("context_manager", line))
        teardown.extend(("try_finally", line) for line in visitor.finally_stops)
        teardown.extend(("finalizer", line) for line in visitor.finalizers)
    return TestModule(
        path=module.path,
        imported_modules=frozenset(module.imports.modules),
        funcs=funcs,
        helpers=helpers,
        methods={f.qualname: f for f in funcs if f.cls is not None},
        fixtures={f.fixture_name: f for f in funcs if f.fixture_name is not None},
        teardown=sorted(set(teardown), key=lambda t: (t[1], t[0])),
        module_markers=_module_markers(module.tree, imports),
    )


def _is_testcase(cls: ast.ClassDef) -> bool:
    return any((last_name(b) or "").endswith("TestCase") for b in cls.bases)


# ---- resolution across files --------------------------------------------------------------------------
class TestSuite:
    """All test modules of the repository, for fixture lookup through ``conftest.py`` files."""

    def __init__(self, modules: Mapping[str, TestModule]) -> None:
        self.modules = modules
        self.conftests = {m.folder: m for m in modules.values() if m.path.rsplit("/", 1)[-1] == "conftest.py"}
        self._closures: dict[tuple[str, str], Signals] = {}
        self._chains: dict[str, list[TestModule]] = {}
        self._autouse: dict[str, list[tuple[TestModule, Func]]] = {}
        self._teardown: dict[tuple[str, str], bool] = {}

    def scope_chain(self, module: TestModule) -> list[TestModule]:
        if module.path not in self._chains:
            self._chains[module.path] = self._scope_chain(module)
        return self._chains[module.path]

    def _scope_chain(self, module: TestModule) -> list[TestModule]:
        chain = [module]
        folder = module.folder
        while True:
            conftest = self.conftests.get(folder)
            if conftest is not None and conftest is not module:
                chain.append(conftest)
            if folder == ".":
                return chain
            folder = parent_dir(folder)

    def resolve_fixture(
        self, module: TestModule, name: str, *, skip: Func | None = None
    ) -> tuple[TestModule, Func] | None:
        for candidate in self.scope_chain(module):
            fixture = candidate.fixtures.get(name)
            if fixture is not None and fixture is not skip:
                return candidate, fixture
        return None

    def autouse(self, module: TestModule) -> list[tuple[TestModule, Func]]:
        if module.path not in self._autouse:
            self._autouse[module.path] = self._find_autouse(module)
        return self._autouse[module.path]

    def _find_autouse(self, module: TestModule) -> list[tuple[TestModule, Func]]:
        seen: set[str] = set()
        out = []
        for candidate in self.scope_chain(module):
            for name, fixture in candidate.fixtures.items():
                if fixture.autouse and name not in seen:
                    seen.add(name)
                    out.append((candidate, fixture))
        return out

    def fixture_has_teardown(self, module: TestModule, func: Func, seen: set[tuple[str, str]] | None = None) -> bool:
        """A fixture tears down itself, or through a fixture it depends on."""
        key = (module.path, func.qualname)
        if key in self._teardown:
            return self._teardown[key]
        seen = set() if seen is None else seen
        if key in seen:
            return False
        seen.add(key)
        result = func.yield_cleanup is not None or any(
            line >= func.line and kind != "teardown_function" and self._within(func, line)
            for kind, line in module.teardown
        )
        for name in func.params:
            if result:
                break
            found = self.resolve_fixture(module, name, skip=func)
            result = bool(found and self.fixture_has_teardown(*found, seen))
        self._teardown[key] = result
        return result

    @staticmethod
    def _within(func: Func, line: int) -> bool:
        return func.line <= line <= func.end_line

    def closure(self, module: TestModule, func: Func, stack: frozenset[tuple[str, str]] = frozenset()) -> Signals:
        key = (module.path, func.qualname)
        if key in self._closures:
            return self._closures[key]
        out = Signals()
        out.merge(func.own, own_flags=True)
        stack = stack | {key}
        called = sorted(func.calls)
        if func.is_test:
            called += [name for name in MODULE_FIXTURES if name not in called]
            if func.cls is not None:
                called += [f"self.{name}" for name in CLASS_FIXTURES]
        for name in called:
            helper = (
                module.helpers.get(name)
                if not name.startswith("self.")
                else module.methods.get(f"{func.cls}.{name.removeprefix('self.')}")
            )
            if helper is not None and helper.fixture_name is None and (module.path, helper.qualname) not in stack:
                out.merge(self.closure(module, helper, stack))
        deps = [*func.params, *func.usefixtures]
        for name in deps:
            found = self.resolve_fixture(module, name, skip=func)
            if found and (found[0].path, found[1].qualname) not in stack:
                out.merge(self.closure(*found, stack))
            elif found is None and name in PLUGIN_SERVER_FIXTURES:
                out.starts.add((func.line, f"fixture {name}"))
                out.stops.add((func.line, f"fixture {name}"))
        if func.is_test:
            for found in self.autouse(module):
                if (found[0].path, found[1].qualname) not in stack:
                    out.merge(self.closure(*found, stack))
        # a fixture/helper cycle (rare, and an error for pytest) cuts the walk; the result is cached anyway
        self._closures[key] = out.compact()
        return out

    def test_fact(self, module: TestModule, func: Func) -> dict[str, Any]:
        signals = self.closure(module, func)
        return {
            "name": func.qualname,
            "path": module.path,
            "line": func.line,
            "markers": sorted(set(func.markers) | set(module.module_markers)),
            "fixtures": sorted(set(func.params) | set(func.usefixtures)),
            "signals": signals.fact(),
            "negative_path": signals.negative_path(),
        }

    def file_has_teardown(self, module: TestModule) -> bool:
        if module.teardown:
            return True
        for func in module.funcs:
            if not func.is_test:
                continue
            for name in [*func.params, *func.usefixtures]:
                found = self.resolve_fixture(module, name)
                if found and self.fixture_has_teardown(*found):
                    return True
        return False

    def starts(self, module: TestModule) -> list[tuple[int, str]]:
        return sorted({s for f in module.funcs for s in f.own.starts})
