"""``layout``: the repository's own description — the config's components, e2e tests, release files and
docs. Where the config is silent, discovery fills them in from what other collectors found:

* a Cargo crate with a binary target (``rust`` facts) → a ``rust-cli`` component whose ``commands`` are
  the clap subcommands its sources declare;
* a folder with a Python server entry point (``python`` facts: FastAPI/Flask/… app, ``grpc.server``,
  ``uvicorn.run``…) → a ``python-service`` component with its ``protocol``;
* ``tests/**/test_e2e*.py`` and source files under ``**/e2e/**`` → ``e2e``;
* ``README.md`` and ``ACTIONPLAN.md`` (or ``ACTION_PLAN.md``/``ACTION-PLAN.md``) at the root → ``docs``.

The config stays authoritative: a component it names is never replaced, and a path a config component
claims is never discovered again. Discovery only fills what a config component omits (a rust-cli's
``commands``, a python-service's ``protocol``), listed in its ``discovered_fields``. Each component says
``source: config|discovered``; ``origin`` says for each list where it came from."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from anops_policy.collectors.layout.behaviour import describe, owned_files, python_workers
from anops_policy.collectors.layout.manifests import (
    Candidate,
    _skipped,
    dotnet_projects,
    go_modules,
    java_builds,
    node_packages,
)
from anops_policy.collectors.layout.native import native_builds

from anops_policy.collection.collector import CollectContext
from anops_policy.syntax.languages import LANGUAGES, language

DEFAULT_E2E_GLOBS = ("tests/**/test_e2e*.py", "**/e2e/**")
# Under an e2e folder, only test code counts (fixtures, data and docs are not end-to-end tests).
E2E_SOURCE_SUFFIXES = (".py", ".rs", ".go", ".js", ".mjs", ".cjs", ".ts", ".java", ".kt", ".rb", ".sh", ".bats")
DOCKERFILE_NAME = re.compile(r"(^|/)(Dockerfile(\.[\w.-]+)?|[\w.-]+\.Dockerfile|Containerfile)$")
README_NAMES = ("README.md", "README.rst", "README.markdown", "README.txt", "README")
PLAN_NAMES = ("ACTIONPLAN.md", "ACTION_PLAN.md", "ACTION-PLAN.md")


class LayoutCollector:
    name = "layout"
    version = "2"
    depends_on: tuple[str, ...] = ("rust", "python")

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        config = ctx.config
        rust: Mapping[str, Any] = ctx.facts.get("rust") or {}
        python: Mapping[str, Any] = ctx.facts.get("python") or {}
        configured = self._configured(ctx)
        for comp in configured:
            _fill(comp, rust, python)
        discovered = _discover(configured, rust, python)
        discovered += _discover_ecosystems(ctx, [*configured, *discovered])
        _complete(ctx, configured, discovered)
        components = sorted([*configured, *discovered], key=lambda c: (str(c["name"]), str(c["path"])))
        origin: dict[str, str] = {"components": _origin(bool(configured), bool(discovered))}

        lists: dict[str, list[str]] = {}
        for key in ("e2e", "release_files"):
            value = config.list_value(key)
            if value is not None:
                lists[key] = self._expand(ctx, value)
                origin[key] = "config"
            elif key == "e2e":
                lists[key] = self._discover_e2e(ctx)
                origin[key] = "discovered" if lists[key] else "none"
            else:
                lists[key] = []
                origin[key] = "none"

        docs = {str(k): str(v) for k, v in config.docs.items()}
        found_docs = {k: v for k, v in _discover_docs(ctx).items() if k not in docs}
        origin["docs"] = _origin(bool(docs), bool(found_docs))
        docs.update(found_docs)
        return {
            "components": components,
            "e2e": lists["e2e"],
            "release_files": lists["release_files"],
            "docs": dict(sorted(docs.items())),
            "origin": origin,
            "config_file": _config_path(ctx),
            "source_languages": _source_languages(ctx.files()),
            "component_kinds": _component_kinds(components),
        }

    @staticmethod
    def _configured(ctx: CollectContext) -> list[dict[str, Any]]:
        config = ctx.config
        out: list[dict[str, Any]] = []
        for index, comp in enumerate(config.components):
            entry = {**comp, "source": "config"}
            entry["path"] = str(comp.get("path") or comp.get("name", "")).strip("/") or "."
            if config.marks is not None and ("components", index) in config.marks.values:
                entry["line"] = config.marks.values[("components", index)][0]
            out.append(entry)
        return out

    @staticmethod
    def _expand(ctx: CollectContext, patterns: list[str]) -> list[str]:
        """Globs become the files they match; plain paths are kept as written even when missing, so a
        policy can report a release file that does not exist."""
        out: list[str] = []
        seen: set[str] = set()
        folders = {p[: i + 1] for p in ctx.files() for i, ch in enumerate(p) if ch == "/"}
        for pattern in patterns:
            if any(ch in pattern for ch in "*?["):
                if not _may_match(pattern, folders):
                    continue  # its folder holds no file: nothing to compile (a config may list 20,000 globs)
                found = [p for p in ctx.glob([pattern]) if p not in seen]
            else:
                found = [pattern.strip("/")] if pattern.strip("/") not in seen else []
            out.extend(found)
            seen.update(found)
        return out

    @staticmethod
    def _discover_e2e(ctx: CollectContext) -> list[str]:
        globs = ctx.options("layout").get("e2e_globs", DEFAULT_E2E_GLOBS)
        patterns = [str(g) for g in globs] if isinstance(globs, list | tuple) else list(DEFAULT_E2E_GLOBS)
        return [p for p in ctx.glob(patterns) if p.endswith(E2E_SOURCE_SUFFIXES)]


def _may_match(pattern: str, folders: set[str]) -> bool:
    """False when an anchored glob's literal folder (``src/gen/`` of ``src/gen/**/*.rs``) holds no listed file:
    the glob then matches nothing. Unanchored globs (``*.rs``, ``**/x``) and escapes always may."""
    body = pattern.lstrip("/")
    if "\\" in pattern or "/" not in body.rstrip("/"):
        return True
    cut = min((body.find(ch) for ch in "*?[" if ch in body), default=len(body))
    prefix = body[: body.rfind("/", 0, cut) + 1]
    return not prefix or prefix in folders


def _origin(from_config: bool, from_discovery: bool) -> str:
    if from_config and from_discovery:
        return "mixed"
    if from_config:
        return "config"
    return "discovered" if from_discovery else "none"


def _subcommands(crate: Mapping[str, Any]) -> list[str]:
    names = {str(s["name"]) for s in crate.get("declared_subcommands") or [] if s.get("name")}
    return sorted(names)


def _fill(comp: dict[str, Any], rust: Mapping[str, Any], python: Mapping[str, Any]) -> None:
    """Fields a config component omits, from what its folder holds; the config's values always win."""
    filled: list[str] = []
    crate = (rust.get("crates") or {}).get(comp["path"])
    service = (python.get("services") or {}).get(comp["path"])
    if comp.get("kind") == "rust-cli" and "commands" not in comp and crate is not None:
        comp["commands"] = _subcommands(crate)
        filled.append("commands")
    if (
        comp.get("kind") == "python-service"
        and "protocol" not in comp
        and service is not None
        and service.get("protocol") in ("grpc", "http")
    ):
        comp["protocol"] = service["protocol"]
        filled.append("protocol")
    if filled:
        comp["discovered_fields"] = filled


def _discover(
    configured: list[dict[str, Any]], rust: Mapping[str, Any], python: Mapping[str, Any]
) -> list[dict[str, Any]]:
    claimed = {str(c["path"]) for c in configured}
    names = {str(c.get("name")) for c in configured}
    found: list[dict[str, Any]] = []

    def add(entry: dict[str, Any]) -> None:
        if entry["name"] in names:  # two things named alike: the path tells them apart
            alias = entry["path"].replace("/", "-")
            entry["name"] = alias if alias not in names else f"{alias}-{entry['kind']}"
        names.add(entry["name"])
        claimed.add(entry["path"])
        found.append(entry)

    crates: Mapping[str, Any] = rust.get("crates") or {}
    for path in sorted(crates):
        crate = crates[path]
        if not crate.get("has_bin") or path in claimed:
            continue
        bins = (crate.get("targets") or {}).get("bins") or []
        declared_at = next((b.get("manifest_line") for b in bins if b.get("manifest_line")), None)
        add(
            {
                "name": str(crate.get("name") or posixpath.basename(path) or "root"),
                "kind": "rust-cli",
                "path": path,
                "commands": _subcommands(crate),
                "binaries": [str(b) for b in crate.get("bin_names") or []],
                "source": "discovered",
                "found_at": {"path": str(crate.get("manifest")), "line": int(declared_at or crate.get("line") or 1)},
            }
        )
    services: Mapping[str, Any] = python.get("services") or {}
    for path in sorted(services):
        service = services[path]
        if service.get("source") != "discovered" or path in claimed:
            continue
        entry: dict[str, Any] = {
            "name": str(service.get("name") or posixpath.basename(path) or "root"),
            "kind": "python-service",
            "path": path,
            "source": "discovered",
        }
        if service.get("protocol") in ("grpc", "http"):
            entry["protocol"] = service["protocol"]
        point = service.get("entry_point")
        if isinstance(point, Mapping) and point.get("path"):
            entry["found_at"] = {"path": str(point["path"]), "line": int(point.get("line") or 1)}
        add(entry)
    return found


KIND_LANGUAGE = {"rust-cli": "rust", "python-service": "python"}
EXTRA_TESTS = "_extra_tests"  # test files a manifest names outside the component's folder (until _complete)


def _discover_ecosystems(ctx: CollectContext, known: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Go modules, Node packages, Java/Kotlin builds, .NET projects and C/C++ builds, then Python folders with their own
    Dockerfile that nothing else claims (workers); a folder a component already has is never found again."""
    files = ctx.files()
    candidates: list[Candidate] = [
        *go_modules(ctx, files), *node_packages(ctx, files), *java_builds(ctx, files), *dotnet_projects(ctx, files),
        *native_builds(ctx, files),
    ]
    claimed = {str(c["path"]) for c in known}
    names = {str(c.get("name")) for c in known}
    fresh = [c for c in candidates if c.path not in claimed]
    by_path = {str(c["path"]): c for c in known}
    for candidate in candidates:  # a component the config (or Rust/Python discovery) has: what the manifest adds
        comp = by_path.get(candidate.path)
        if comp is None:
            continue
        if "language" not in comp and str(comp.get("kind")) not in KIND_LANGUAGE:
            comp["language"] = candidate.language
            if comp.get("source") == "config":
                comp["discovered_fields"] = [*comp.get("discovered_fields", []), "language"]
        comp[EXTRA_TESTS] = [*comp.get(EXTRA_TESTS, []), *candidate.test_paths]
    folders = [*claimed, *(c.path for c in fresh)]
    out: list[dict[str, Any]] = []
    for candidate in sorted(fresh, key=lambda c: c.path):
        entry = describe(ctx, candidate, owned_files(files, candidate.path, folders))
        _unique_name(entry, names)
        out.append(entry)
        claimed.add(candidate.path)
    for entry in python_workers(files, dict.fromkeys(claimed, True)):
        if entry["path"] in claimed:
            continue
        _unique_name(entry, names)
        out.append(entry)
        claimed.add(entry["path"])
    return out


def _unique_name(entry: dict[str, Any], names: set[str]) -> None:
    if entry["name"] in names:
        alias = str(entry["path"]).replace("/", "-")
        entry["name"] = alias if alias not in names else f"{alias}-{entry['kind']}"
    names.add(str(entry["name"]))


def _complete(ctx: CollectContext, configured: list[dict[str, Any]], discovered: list[dict[str, Any]]) -> None:
    """Every component says its language and lists its tests and Dockerfile: a config component takes its
    language from the config, else from a discovered component at its path, else from its kind."""
    by_path = {str(c["path"]): c for c in discovered}
    files = ctx.files()
    folders = [str(c["path"]) for c in (*configured, *discovered)]
    for comp in (*configured, *discovered):
        if "language" not in comp:
            lang = by_path.get(str(comp["path"]), {}).get("language") or KIND_LANGUAGE.get(str(comp.get("kind")))
            if lang:
                comp["language"] = lang
                if comp.get("source") == "config":
                    comp["discovered_fields"] = [*comp.get("discovered_fields", []), "language"]
        extra = comp.pop(EXTRA_TESTS, [])
        if "tests" in comp:
            continue
        spec = language(str(comp.get("language") or ""))
        owned = owned_files(files, str(comp["path"]), folders)
        tests = [p for p in owned if spec is not None and spec.owns(p) and spec.is_test(p)]
        tests += [p for p in extra if p not in tests]
        comp["tests"] = sorted(tests)[:200]
        comp["test_files"] = len(tests)
        dockerfiles = sorted(p for p in owned if DOCKERFILE_NAME.search(p))
        if dockerfiles and "dockerfile" not in comp:
            comp["dockerfile"] = dockerfiles[0]


def _discover_docs(ctx: CollectContext) -> dict[str, str]:
    top = {p.lower(): p for p in ctx.files() if "/" not in p}
    out: dict[str, str] = {}
    readme = next((top[n.lower()] for n in README_NAMES if n.lower() in top), None)
    if readme is not None:
        out["readme"] = readme
    plan = next((top[n.lower()] for n in PLAN_NAMES if n.lower() in top), None)
    if plan is not None:
        out["action_plan"] = plan
    return out


def _component_kinds(components: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The kinds of the components at each path: a policy asks "is the crate at this path a CLI?" with one
    look-up instead of a scan of every component per file."""
    kinds: dict[str, set[str]] = {}
    for comp in components:
        kinds.setdefault(str(comp.get("path", ".")), set()).add(str(comp.get("kind", "")))
    return {path: sorted(found) for path, found in sorted(kinds.items())}


def _source_languages(files: list[str]) -> dict[str, int]:
    """How many files of each language the repository holds (vendored and generated folders left out)."""
    by_extension = {ext: lang.name for lang in LANGUAGES.values() for ext in lang.extensions}
    counts: dict[str, int] = {}
    for path in files:
        name = by_extension.get(posixpath.splitext(path)[1].lower())
        if name is not None and not _skipped(path):
            counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))


def _config_path(ctx: CollectContext) -> str | None:
    """The config file relative to the evaluated directory (what evidence cites), when it lies inside; not
    the path as given, which depends on the working directory and would make the facts differ by caller."""
    if not ctx.config.file:
        return None
    try:
        return Path(ctx.config.file).resolve().relative_to(ctx.repo.root).as_posix()
    except ValueError:
        return None
