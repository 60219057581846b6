"""``python``: Python projects and services, their environment variables and error handling, and what
their tests exercise (read with ``ast``; nothing is imported or run).

A *service* is a folder with a server entry point (``grpc.server(...)``, a FastAPI/Flask/aiohttp/
Starlette/... app, ``http.server``, a ``__main__`` that serves), or a configured ``python-service``
component. Its tests are the test files under its folder plus test files elsewhere that import one of
its modules; test files that only name its folder in a path (end-to-end suites that start it as a
process) are listed with ``via: path_reference`` but do not count towards ``test_signals``.

Tests are counted in full (``test_count``) and listed in part: a service's and an end-to-end file's
first 50 (all a decision's evidence can cite), another test file's first 3.

Options (``collect.options.python`` in anops-policy.yaml): ``e2e_globs`` (default
``tests/**/test_e2e*.py`` and ``**/e2e/**``; the config's ``e2e`` list counts too) and ``max_files``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from anops_policy.collectors.python.module_products import ModuleProducts
from anops_policy.collectors.python.module_products import apply as apply_products
from anops_policy.collectors.python.module_products import summarise as summarise_module
from anops_policy.collectors.python.projects import Project, collect_projects
from anops_policy.collectors.python.services import (
    EntryPoint,
    ImportIndex,
    module_names,
    requirement_folders,
    service_folder,
)
from anops_policy.collectors.python.signals import Signals
from anops_policy.collectors.python.suite import TestSuite
from anops_policy.collectors.python.summary import PathRefs, SourceSummary
from anops_policy.collectors.python.tests import Func, TestModule

from anops_policy.collection.collector import CollectContext
from anops_policy.errors import NotConfigured
from anops_policy.syntax.python_ast import gc_paused, is_under

DEFAULT_E2E_GLOBS = ("tests/**/test_e2e*.py", "**/e2e/**")
DEFAULT_MAX_FILES = 20000
# statuses a server answers to a request it cannot parse or accept: bad syntax or values (400, 422), a
# missing length (411), a body, URI or headers too large (413, 414, 431), a media type it does not take (415)
MALFORMED_STATUSES = frozenset({400, 411, 413, 414, 415, 422, 431})
MALFORMED_EXCEPTIONS = frozenset({"ValidationError", "RequestValidationError", "ValidationException"})
# Tests listed per test file and per service (``test_count`` counts them all): a decision cites at most
# 50 locations (``evaluate``), so a service's and an e2e file's first 50 tests are all its explanation
# can show; other test files list a few as examples. Listing every test of a 20,000-file monorepo made
# the section ~50 MB (184,000 tests), over the 8 MiB section limit.
LISTED_TESTS = 50
LISTED_TESTS_OTHER_FILES = 3


def _deepest(path: str, folders: Iterable[str]) -> str | None:
    containing = [f for f in folders if is_under(path, f)]
    return max(containing, key=lambda f: -1 if f == "." else len(f)) if containing else None


@dataclass
class _Scan:
    """What one run found, shared by the steps that build the section."""

    file_set: set[str]
    sources: dict[str, SourceSummary]
    suite: TestSuite
    path_refs: dict[str, PathRefs]
    projects: dict[str, Project]
    e2e_files: set[str]
    generated_bases: dict[str, list[str]] = field(default_factory=dict)
    by_path: dict[str, dict[str, Any]] = field(default_factory=dict)
    test_files: dict[str, dict[str, Any]] = field(default_factory=dict)


class PythonCollector:
    name = "python"
    version = "1"
    depends_on: tuple[str, ...] = ()

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        with gc_paused():
            return self._collect(ctx)

    def _collect(self, ctx: CollectContext) -> dict[str, Any]:
        options = ctx.options("python")
        max_files = int(options.get("max_files", DEFAULT_MAX_FILES))
        files = ctx.files()
        file_set = set(files)
        py_files = [f for f in files if f.endswith(".py")]
        projects = collect_projects(ctx, files)
        if not py_files and not projects:
            raise NotConfigured("no Python files or project files (pyproject.toml, setup.cfg, requirements*.txt)")
        for path in py_files[max_files:]:
            ctx.skip(path, f"over the collect.options.python.max_files limit of {max_files} Python files")
        e2e_globs = [str(g) for g in options.get("e2e_globs", DEFAULT_E2E_GLOBS)]
        configured_e2e = ctx.config.list_value("e2e") or []
        e2e_files = {p for p in ctx.glob([*e2e_globs, *configured_e2e]) if p.endswith(".py")}
        e2e_files.update(p for p in configured_e2e if p in file_set and p.endswith(".py"))

        # each module is parsed, summarised and dropped: syntax trees take ~50x their source in memory
        # (gigabytes for a monorepo), the summaries a small fraction of it. What the grpc and logging
        # collectors read of the modules is summarised here too and left in the run's memo, so no file is
        # parsed twice when they run after this collector in the same process. The summaries are kept
        # between runs by content (``ctx.summaries``): an unchanged file is not parsed at all.
        sources: dict[str, SourceSummary] = {}
        test_modules: dict[str, TestModule] = {}
        path_refs: dict[str, PathRefs] = {}
        generated_bases: dict[str, list[str]] = {}
        generated_files = 0
        syntax_errors: list[dict[str, Any]] = []
        store = ctx.summaries(self)
        for path in py_files[:max_files]:
            text = ctx.read_text(path)
            if text is None:
                continue
            is_e2e = path in e2e_files
            key = store.key(path, text, "e2e" if is_e2e else "") if store.enabled else ""
            products = store.get(key, ModuleProducts)
            if products is None:
                products = summarise_module(ctx, path, text, e2e=is_e2e)
                store.put(key, products, ModuleProducts)
            apply_products(ctx, path, text, products)
            if not products.parsed:
                if products.syntax_error is not None:
                    line, message = products.syntax_error
                    syntax_errors.append({"path": path, "line": line, "message": message})
                continue
            if products.generated:
                generated_bases.update(products.servicer_bases)
                generated_files += not products.test
            if products.test_module is not None and products.path_refs is not None:
                test_modules[path] = products.test_module.module()
                path_refs[path] = products.path_refs
            elif products.source is not None:
                sources[path] = products.source
            del products, text

        scan = _Scan(
            file_set=file_set,
            sources=sources,
            suite=TestSuite(test_modules),
            path_refs=path_refs,
            projects=projects,
            e2e_files=e2e_files,
            generated_bases=generated_bases,
        )
        services = self._services(ctx, scan)
        scan.by_path = {path: source.findings for path, source in sources.items()}
        scan.test_files = self._test_files(scan, services)
        service_facts = {path: self._service_fact(scan, path, info) for path, info in services.items()}
        e2e = self._e2e(scan, e2e_globs, configured_e2e)
        test_files = scan.test_files
        by_path = scan.by_path
        counts = {
            "python_files": len(py_files),
            "source_files": len(sources),
            "test_files": len(test_files),
            "generated_files": generated_files,
            "tests": sum(t["test_count"] for t in test_files.values()),
            "services": len(service_facts),
            "projects": len(projects),
            "bare_excepts": sum(len(f["bare_excepts"]) for f in by_path.values()),
            "swallowed_exceptions": sum(len(f["swallowed_exceptions"]) for f in by_path.values()),
            "prints": sum(len(f["prints"]) for f in by_path.values()),
            "syntax_errors": len(syntax_errors),
        }
        return {
            "counts": counts,
            "projects": {p: projects[p].fact() for p in sorted(projects)},
            "services": dict(sorted(service_facts.items())),
            "by_path": {
                p: by_path[p]
                for p in sorted(by_path)
                if any(by_path[p][k] for k in ("bare_excepts", "swallowed_exceptions", "prints"))
            },
            "test_files": dict(sorted(test_files.items())),
            "e2e": e2e,
            "syntax_errors": sorted(syntax_errors, key=lambda e: (e["path"], e["line"])),
        }

    # ---- services ---------------------------------------------------------------------------------
    @staticmethod
    def _services(ctx: CollectContext, scan: _Scan) -> dict[str, dict[str, Any]]:
        components = [c for c in ctx.config.components if c.get("path") or c.get("name")]
        component_paths = [str(c.get("path") or c.get("name")).strip("/") or "." for c in components]
        services: dict[str, dict[str, Any]] = {}
        for comp, path in zip(components, component_paths, strict=True):
            if comp.get("kind") == "python-service":
                services[path] = {
                    "name": str(comp.get("name", path)),
                    "source": "config",
                    "entries": [],
                    "protocol": comp.get("protocol"),
                }
        requirements = requirement_folders(scan.file_set)
        for source in scan.sources.values():
            for entry in source.entries:
                folder = service_folder(entry.path, scan.file_set, component_paths, requirements)
                if folder not in services:
                    named = [c for c, p in zip(components, component_paths, strict=True) if p == folder]
                    name = (
                        str(named[0].get("name")) if named else (folder.rsplit("/", 1)[-1] if folder != "." else "root")
                    )
                    services[folder] = {
                        "name": name,
                        "source": "config" if named else "discovered",
                        "entries": [],
                        "protocol": named[0].get("protocol") if named else None,
                    }
                services[folder]["entries"].append(entry)
        for src in scan.sources:
            owner = _deepest(src, list(services))
            if owner is not None:
                services[owner].setdefault("sources", []).append(src)
        return services

    @staticmethod
    def _primary(entries: list[EntryPoint], protocol: Any) -> EntryPoint | None:
        if not entries:
            return None
        return min(entries, key=lambda e: (e.protocol != protocol, e.main_line is None, e.path, e.line))

    def _service_fact(self, scan: _Scan, path: str, info: dict[str, Any]) -> dict[str, Any]:
        entries: list[EntryPoint] = sorted(info["entries"], key=lambda e: (e.path, e.line))
        primary = self._primary(entries, info.get("protocol"))
        own_sources = sorted(p for p in info.get("sources", ()))
        env: list[dict[str, Any]] = []
        dynamic = 0
        found_servicers: list[dict[str, Any]] = []
        bare: list[dict[str, Any]] = []
        swallowed: list[dict[str, Any]] = []
        prints = 0
        for src in own_sources:
            source = scan.sources[src]
            env.extend(r.fact(src) for r in source.env)
            dynamic += source.dynamic_env
            found_servicers.extend(c.fact(scan.generated_bases) for c in source.servicers)
            findings = scan.by_path.get(src)
            if findings:
                bare.extend(findings["bare_excepts"])
                swallowed.extend(findings["swallowed_exceptions"])
                prints += len(findings["prints"])
        names = sorted({r["name"] for r in env})
        required = sorted({r["name"] for r in env if r["required"]})
        linked: list[dict[str, str]] = []
        service_tests: list[tuple[str, int, TestModule, Func]] = []
        for test_path, fact in scan.test_files.items():
            via = fact["services"].get(path)
            if via is None:
                continue
            linked.append({"path": test_path, "via": via})
            if via == "path_reference":
                continue
            test_module = scan.suite.modules[test_path]
            service_tests.extend((test_path, f.line, test_module, f) for f in test_module.funcs if f.is_test)
        service_tests.sort(key=lambda t: (t[0], t[1]))
        signals = Signals()
        startup_shutdown = False
        negative = 0
        missing_asserted: set[str] = set()
        for _path, _line, test_module, func in service_tests:
            closure = scan.suite.closure(test_module, func)
            signals.merge(closure)
            if closure.raises:  # a test that removes a setting and expects the error it causes
                missing_asserted.update(n for n in closure.deletes_env if n not in ("*", "<dynamic>"))
            startup_shutdown = startup_shutdown or bool(closure.starts and closure.stops)
            negative += bool(closure.negative_path())
        project = _deepest(path, scan.projects)
        tested_env = signals.sets_env | signals.deletes_env
        return {
            "name": info["name"],
            "path": path,
            "source": info["source"],
            "framework": primary.framework if primary else None,
            "protocol": primary.protocol if primary else info.get("protocol"),
            "entry_point": primary.fact() if primary else None,
            "entry_points": [e.fact() for e in entries],
            "project": project,
            "source_files": own_sources,
            "servicers": sorted(found_servicers, key=lambda s: (s["path"], s["line"])),
            "env_vars": sorted(env, key=lambda r: (r["path"], r["line"], r["name"])),
            "env_var_names": names,
            "required_env_vars": required,
            "dynamic_env_reads": dynamic,
            "bare_excepts": bare,
            "swallowed_exceptions": swallowed,
            "print_count": prints,
            "test_files": sorted(linked, key=lambda t: t["path"]),
            "test_count": len(service_tests),
            "tests": [scan.suite.test_fact(m, f) for _p, _l, m, f in service_tests[:LISTED_TESTS]],
            "test_signals": {
                "tests_env_vars": bool(tested_env),
                "env_vars_set": sorted(signals.sets_env),
                "env_vars_deleted": sorted(signals.deletes_env),
                "untested_env_vars": sorted(set(names) - tested_env),
                "missing_env_vars_asserted": sorted(missing_asserted),
                "tests_startup_shutdown": startup_shutdown,
                "asserted_http_statuses": sorted(signals.http_statuses),
                "asserts_http_error": any(code >= 400 for code in signals.http_statuses),
                "asserted_grpc_codes": sorted(signals.grpc_codes),
                "asserts_grpc_error": bool(signals.grpc_codes - {"OK"}),
                "raises": sorted(signals.raises),
                "tests_malformed_requests": bool(signals.http_statuses & MALFORMED_STATUSES)
                or any(r.rsplit(".", 1)[-1] in MALFORMED_EXCEPTIONS for r in signals.raises),
                "negative_path_tests": negative,
            },
        }

    # ---- files ------------------------------------------------------------------------------------
    def _test_files(self, scan: _Scan, services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        suite = scan.suite
        folders = list(services)
        names = ImportIndex({f: module_names(f, services[f].get("sources", ())) for f in folders})
        out: dict[str, dict[str, Any]] = {}
        for path, module in suite.modules.items():
            links: dict[str, str] = {}
            owner = _deepest(path, [f for f in folders if f != "."])
            if owner is not None:
                links[owner] = "under_service"
            else:
                links.update(self._import_links(module, names, scan.sources))
                wanted = {f for f in folders if f != "." and f not in links}
                for folder in scan.path_refs[path].folders(wanted):
                    links[folder] = "path_reference"
                if "." in folders and not links:
                    links["."] = "under_service"
            tests = [f for f in module.funcs if f.is_test]
            listed = LISTED_TESTS if path in scan.e2e_files else LISTED_TESTS_OTHER_FILES
            fixtures = [
                {
                    "name": f.fixture_name,
                    "line": f.line,
                    "autouse": f.autouse,
                    "teardown": suite.fixture_has_teardown(module, f),
                }
                for f in module.funcs
                if f.fixture_name is not None
            ]
            out[path] = {
                "path": path,
                "e2e": path in scan.e2e_files,
                "services": dict(sorted(links.items())),
                "tests": [suite.test_fact(module, f) for f in tests[:listed]],
                "test_count": len(tests),
                "fixtures": fixtures,
                "teardown": [{"kind": kind, "line": line} for kind, line in module.teardown],
                "has_teardown": suite.file_has_teardown(module),
                "starts": [{"line": line, "call": call} for line, call in suite.starts(module)],
            }
        return out

    @staticmethod
    def _import_links(module: TestModule, names: ImportIndex, sources: Mapping[str, SourceSummary]) -> dict[str, str]:
        folder = module.folder
        links: dict[str, str] = {}
        for imported in sorted(module.imported_modules):
            if imported.startswith("."):
                continue
            top = imported.split(".")[0]
            local = f"{folder}/{top}" if folder != "." else top
            if f"{local}.py" in sources or f"{local}/__init__.py" in sources:
                continue  # a sibling module of the test file, not a service's
            for service in sorted(names.services(imported)):
                links.setdefault(service, "imports")
        return links

    # ---- end-to-end -------------------------------------------------------------------------------
    @staticmethod
    def _e2e(scan: _Scan, globs: list[str], configured: list[str]) -> dict[str, Any]:
        test_files = scan.test_files
        files = sorted(p for p in scan.e2e_files if p in test_files)
        with_tests = [p for p in files if test_files[p]["test_count"]]
        without = [p for p in with_tests if not test_files[p]["has_teardown"]]
        negative = []
        for p in files:
            module = scan.suite.modules[p]
            for func in module.funcs:
                kinds = scan.suite.closure(module, func).negative_path() if func.is_test else []
                if kinds:
                    negative.append({"name": func.qualname, "path": p, "line": func.line, "signals": kinds})
        # each start judged on its own (is this one stopped?), not by whether the file has teardown somewhere
        starts_without = [
            {"path": p, "line": line, "call": call}
            for p in files
            for line, call in scan.suite.leaking_starts(scan.suite.modules[p])
        ]
        return {
            "globs": globs,
            "configured": configured,
            "missing": sorted(p for p in configured if not any(ch in p for ch in "*?[") and p not in scan.file_set),
            "files": files,
            "test_count": sum(test_files[p]["test_count"] for p in files),
            "has_teardown": bool(with_tests) and not without,
            "files_without_teardown": without,
            "starts_without_teardown": starts_without,
            "negative_path_tests": negative,
            "negative_path_count": len(negative),
        }
