"""One test module for the ``python`` collector: its functions, fixtures, markers and teardown, read from
the ``ast`` (tests are never imported or run).

For every function in a test file it records its *own* signals (environment variables set or deleted,
HTTP status codes and ``grpc.StatusCode`` members asserted, ``pytest.raises`` types, processes or servers
started and stopped; read by ``signal_visitor``). A test's signals are its own plus those of the same-file
helpers it calls and the fixtures it uses, transitively; ``suite`` resolves those across files like pytest
does (same file, then ``conftest.py`` upwards)."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from anops_policy.collectors.python.lifecycle import LIFESPAN_CMS
from anops_policy.collectors.python.signal_visitor import SignalVisitor
from anops_policy.collectors.python.signals import Signals

from anops_policy.syntax.python_ast import (
    Imports,
    ParsedModule,
    call_arg,
    const_str,
    last_name,
    parent_dir,
    walk_no_nested,
)

CLEANUP_CMS = LIFESPAN_CMS | frozenset({"Popen", "ExitStack", "AsyncExitStack", "TemporaryDirectory"})
# base classes that start a live server around every test of the class (and stop it afterwards)
LIVE_SERVER_BASES = frozenset(
    {
        "AioHTTPTestCase",
        "AsyncHTTPTestCase",
        "AsyncHTTPSTestCase",
        "LiveServerTestCase",
        "StaticLiveServerTestCase",
        "ChannelsLiveServerTestCase",
        "LiveServerTestCaseMixin",
    }
)
# a base class imported from a shared helper module is taken for a unittest case by its name
TESTCASE_BASE_SUFFIXES = ("TestCase", "TestBase", "BaseTest", "BaseTests", "TestCaseMixin")
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
    # (line, call, objects) of each start this function does not stop itself (``teardown.Ledger``); the
    # suite judges them against class teardown and fixtures (``TestSuite.leaking_starts``)
    unstopped: tuple[tuple[int, str, tuple[str, ...]], ...] = ()
    stopped: tuple[str, ...] = ()  # the objects it stops or waits for (a ``tearDown``'s, for the starts of its class)


@dataclass
class TestModule:
    """One test file's analysis; it keeps no syntax tree (a suite of thousands of files would hold
    gigabytes of them), only what fixture resolution and the facts need."""

    path: str
    imported_modules: frozenset[str]
    funcs: list[Func]
    helpers: dict[str, Func]  # module-level functions by name
    methods: dict[str, Func]  # Class.method
    class_bases: dict[str, list[str]]  # class name → the last names of its bases
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


def _module_markers(tree: ast.Module, imports: Imports) -> tuple[list[str], list[str]]:
    """``pytestmark``'s marker names and the fixtures its ``usefixtures`` names (every test uses them)."""
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets):
            values = stmt.value.elts if isinstance(stmt.value, ast.List | ast.Tuple) else [stmt.value]
            markers, usefixtures, _ = _markers(list(values), imports)
            return markers, usefixtures
    return [], []


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
    visitors: list[tuple[Func, SignalVisitor]] = []
    module_markers, module_usefixtures = _module_markers(module.tree, imports)
    classes = [s for s in module.tree.body if isinstance(s, ast.ClassDef)]
    class_bases = {c.name: [n for n in (last_name(b) for b in c.bases) if n] for c in classes}
    testcases = _testcases(class_bases)

    def add(node: ast.FunctionDef | ast.AsyncFunctionDef, cls: ast.ClassDef | None) -> None:
        markers, usefixtures, parametrized = _markers(node.decorator_list, imports)
        fixture_name, autouse = _fixture_info(node.decorator_list, imports, node.name)
        if cls is not None:
            cls_markers, cls_use, cls_params = _markers(cls.decorator_list, imports)
            markers = [*cls_markers, *markers]
            usefixtures = [*cls_use, *usefixtures]
            parametrized |= cls_params
        if fixture_name is None:
            usefixtures = [*module_usefixtures, *usefixtures]
        args = [a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]]
        params = [a for a in args if a not in {"self", "cls"} and a not in parametrized]
        is_test = (
            collectable
            and fixture_name is None
            and node.name.startswith("test")
            and (cls is None or cls.name.startswith("Test") or cls.name in testcases)
        )
        visitor = SignalVisitor(imports)
        visitor.visit(node, list(cls.decorator_list) if cls is not None else [])
        live = _live_server_base(cls.name, class_bases) if cls is not None and is_test else None
        if live is not None and cls is not None:
            visitor.signals.starts.add((cls.lineno, live))
            visitor.signals.stops.add((cls.lineno, live))
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
            unstopped=visitor.unstopped(),
            stopped=visitor.stopped(),
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
    return TestModuleRecord(
        path=module.path,
        imported_modules=frozenset(module.imports.modules),
        funcs=funcs,
        class_bases=class_bases,
        teardown=sorted(set(teardown), key=lambda t: (t[1], t[0])),
        module_markers=module_markers,
    ).module()


@dataclass(frozen=True)
class TestModuleRecord:
    """A ``TestModule`` as the summary cache stores it: its functions once (the module's maps of helpers,
    methods and fixtures hold the *same* ``Func`` objects, which fixture resolution compares by identity,
    so they are rebuilt from ``funcs`` rather than stored)."""

    path: str
    imported_modules: frozenset[str]
    funcs: list[Func]
    class_bases: dict[str, list[str]]
    teardown: list[tuple[str, int]]
    module_markers: list[str]

    @classmethod
    def of(cls, module: TestModule) -> TestModuleRecord:
        return cls(
            module.path, module.imported_modules, module.funcs, module.class_bases, module.teardown,
            module.module_markers,
        )

    def module(self) -> TestModule:
        funcs = self.funcs
        for func in funcs:
            func.own.compact()  # shared empty sets, as analysed (a decoded entry has its own)
        return TestModule(
            path=self.path,
            imported_modules=self.imported_modules,
            funcs=funcs,
            helpers={f.name: f for f in funcs if f.cls is None},
            methods={f.qualname: f for f in funcs if f.cls is not None},
            class_bases=self.class_bases,
            fixtures={f.fixture_name: f for f in funcs if f.fixture_name is not None},
            teardown=self.teardown,
            module_markers=self.module_markers,
        )


def _testcases(class_bases: dict[str, list[str]]) -> set[str]:
    """Classes that are unittest test cases: a base named ``…TestCase`` (``unittest.TestCase``,
    ``IsolatedAsyncioTestCase``, ``AioHTTPTestCase``, Django's), directly or through a class of the same
    module (``class ApiTests(ServerTestBase)``)."""
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, bases in class_bases.items():
            if name not in found and any(b.endswith(TESTCASE_BASE_SUFFIXES) or b in found for b in bases):
                found.add(name)
                changed = True
    return found


def _live_server_base(name: str, class_bases: dict[str, list[str]], depth: int = 0) -> str | None:
    for base in class_bases.get(name, []):
        if base in LIVE_SERVER_BASES:
            return base
        if depth < 8 and base in class_bases:
            found = _live_server_base(base, class_bases, depth + 1)
            if found is not None:
                return found
    return None
