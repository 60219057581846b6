"""Resolution across the repository's test modules: fixtures looked up like pytest does (same file, then
``conftest.py`` upwards), autouse fixtures, teardown, and each test's signals with those it reaches."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from anops_policy.collectors.python.signals import Signals
from anops_policy.collectors.python.tests import Func, TestModule

from anops_policy.syntax.python_ast import parent_dir

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
        "httpbin",
        "httpbin_secure",
        "httpbin_both",
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


# what stops the objects a class's methods start: unittest/pytest-class tear-down, a context manager's exit
TEARDOWN_METHODS = (
    "tearDown",
    "asyncTearDown",
    "teardown_method",
    "tearDownClass",
    "teardown_class",
    "__exit__",
    "__aexit__",
)
SETUPS = frozenset({"setUp", "asyncSetUp", "setup_method", "setUpClass", "setup_class", "__enter__", "__aenter__"})
SETUPS_OF_MODULE = frozenset({"setup_module", "setUpModule", "setup_function"})


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
        self._classes: dict[str, TestModule] | None = None

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
            if name.startswith("self."):
                found_methods = self.methods(module, func.cls, name.removeprefix("self."))
            else:
                helper = module.helpers.get(name)
                found_methods = [(module, helper)] if helper is not None else []
            for owner, helper in found_methods:
                if helper.fixture_name is None and (owner.path, helper.qualname) not in stack:
                    out.merge(self.closure(owner, helper, stack))
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
                    # an autouse fixture that starts no service changes the environment to isolate every
                    # test alike (a cleared or pinned environment): no test's own check of a setting; one
                    # that starts the service configures it, and that counts
                    fixture = self.closure(*found, stack)
                    out.merge(fixture if fixture.starts else replace(fixture, sets_env=set(), deletes_env=set()))
        # a fixture/helper cycle (rare, and an error for pytest) cuts the walk; the result is cached anyway
        self._closures[key] = out.compact()
        return out

    def methods(self, module: TestModule, cls: str | None, name: str) -> list[tuple[TestModule, Func]]:
        """``self.name`` of class ``cls``: its own method and those of its base classes (same module first,
        else the test module that defines a class of that name), each class once."""
        out: list[tuple[TestModule, Func]] = []
        todo: list[tuple[TestModule, str]] = [(module, cls)] if cls is not None else []
        seen: set[tuple[str, str]] = set()
        while todo and len(seen) < 32:
            owner, current = todo.pop(0)
            if (owner.path, current) in seen:
                continue
            seen.add((owner.path, current))
            method = owner.methods.get(f"{current}.{name}")
            if method is not None:
                out.append((owner, method))
            for base in owner.class_bases.get(current, []):
                defining = owner if base in owner.class_bases else self.class_module(base)
                if defining is not None:
                    todo.append((defining, base))
        return out

    def class_module(self, name: str) -> TestModule | None:
        """The test module (first by path) that defines a class ``name``, for base classes imported from a
        shared test helper module."""
        if self._classes is None:
            self._classes = {}
            for path in sorted(self.modules):
                for cls in self.modules[path].class_bases:
                    self._classes.setdefault(cls, self.modules[path])
        return self._classes.get(name)

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

    def leaking_starts(self, module: TestModule) -> list[tuple[int, str]]:
        """Each start judged on its own: what its function leaves unstopped (``Func.unstopped``) and no
        teardown of its fixture, class or module stops either."""
        return sorted(
            {
                (line, call)
                for f in module.funcs
                for line, call, objects in f.unstopped
                if not self._stopped(module, f, objects)
            }
        )

    def _stopped(self, module: TestModule, func: Func, objects: tuple[str, ...]) -> bool:
        if func.yield_cleanup is not None:
            return True  # a fixture or context manager with code after its yield: its teardown
        for name in set(objects) & set(func.params):
            found = self.resolve_fixture(module, name, skip=func)
            if (found and self.fixture_has_teardown(*found)) or (found is None and name in PLUGIN_SERVER_FIXTURES):
                return True  # ``server.start()`` on a fixture (or a factory fixture's product) it stops after its yield
        if func.cls is not None:
            for owner, method in (m for name in TEARDOWN_METHODS for m in self.methods(module, func.cls, name)):
                stopped = {stop.rpartition(".")[0] or stop for _line, stop in self.closure(owner, method).stops}
                stopped.update(method.stopped)
                if stopped & set(objects) or (stopped and not objects):
                    return True
        elif func.name in SETUPS_OF_MODULE:
            return any(kind == "teardown_function" for kind, _line in module.teardown)
        if func.is_test or func.fixture_name is not None or func.name in SETUPS:
            return False
        # a helper (or another class's method): whoever calls it owns what it starts, judged by its file
        return self.file_has_teardown(module)
