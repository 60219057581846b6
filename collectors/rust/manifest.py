"""Cargo manifests: parse with ``tomllib``, locate keys' lines, resolve workspaces (members with globs,
exclusions, path dependencies inside the workspace, inherited ``workspace = true`` fields and
dependencies) and the targets Cargo would build (declared ``[lib]``/``[[bin]]``/``[[test]]``/
``[[example]]``/``[[bench]]`` plus auto-discovered ones, the way ``cargo metadata`` reports them)."""

from __future__ import annotations

import fnmatch
import posixpath
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

DEP_SECTIONS = (
    ("dependencies", "normal"),
    ("dev-dependencies", "dev"),
    ("dev_dependencies", "dev"),
    ("build-dependencies", "build"),
    ("build_dependencies", "build"),
)
_TOML_ERR_LINE = re.compile(r"at line (\d+)")


@dataclass
class Manifest:
    path: str  # the Cargo.toml, repo-relative
    dir: str  # its directory, "." for the root
    data: dict[str, Any]
    lines: dict[tuple[str | int, ...], int]

    @property
    def package(self) -> dict[str, Any] | None:
        pkg = self.data.get("package")
        return pkg if isinstance(pkg, dict) else None

    @property
    def workspace(self) -> dict[str, Any] | None:
        ws = self.data.get("workspace")
        return ws if isinstance(ws, dict) else None

    def join(self, rel: str) -> str:
        return norm(posixpath.join(self.dir, rel)) if self.dir != "." else norm(rel)


@dataclass
class ManifestError:
    path: str
    line: int | None
    message: str


def norm(path: str) -> str:
    out = posixpath.normpath(path.replace("\\", "/"))
    return "." if out in ("", ".") else out.removeprefix("./")


def parse_manifest(path: str, text: str) -> Manifest | ManifestError:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_ERR_LINE.search(str(exc))
        return ManifestError(path, int(m.group(1)) if m else None, f"invalid TOML: {exc}")
    except RecursionError:  # tomllib recurses per nesting level: a hostile manifest, not a crash
        return ManifestError(path, None, "TOML nested too deeply to read")
    return Manifest(path, posixpath.dirname(path) or ".", data, key_lines(text))


# ---- key → line ---------------------------------------------------------------------------------------


def _split_key(key: str) -> list[str]:
    parts: list[str] = []
    buf = ""
    quote = ""
    escaped = False
    for ch in key:
        if quote:
            if escaped:
                buf += ch
                escaped = False
            elif ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = ""
            else:
                buf += ch
        elif ch in "\"'":
            quote = ch
        elif ch == ".":
            parts.append(buf.strip())
            buf = ""
        else:
            buf += ch
    parts.append(buf.strip())
    return parts


def _unquoted_index(line: str, targets: str) -> int:
    """Index of the first character of ``targets`` outside quotes (-1 if none)."""
    quote = ""
    escaped = False
    for n, ch in enumerate(line):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in targets:
            return n
    return -1


def _key_of(line: str) -> str | None:
    """The (possibly dotted, possibly quoted) key of a ``key = value`` line."""
    n = _unquoted_index(line, "=[{#")
    return line[:n] if n > 0 and line[n] == "=" else None


def key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """Line of every table header and every key that starts a line; array-of-tables entries are keyed
    by their index (``("bin", 0, "name")``). Keys inside multi-line strings are not keys."""
    out: dict[tuple[str | int, ...], int] = {}
    table: tuple[str | int, ...] = ()
    counts: dict[tuple[str, ...], int] = {}
    in_multiline = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if in_multiline:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = ""
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith("[["):
            name = tuple(_split_key(line[2 : 2 + _unquoted_index(line[2:], "]")]))
            index = counts.get(name, 0)
            counts[name] = index + 1
            table = (*name, index)
            out.setdefault(table, number)
            continue
        if line.startswith("["):
            table = tuple(_split_key(line[1 : 1 + _unquoted_index(line[1:], "]")]))
            out.setdefault(table, number)
            continue
        key = _key_of(line)
        if key is None:
            continue
        full = (*table, *_split_key(key))
        out.setdefault(full, number)
        for quotes in ('"""', "'''"):
            if line.count(quotes) % 2 == 1:
                in_multiline = quotes
    return out


# ---- workspaces -----------------------------------------------------------------------------------------


def _glob_match(pattern: str, path: str) -> bool:
    pat = [p for p in norm(pattern).split("/") if p]
    parts = [p for p in path.split("/") if p]

    def go(i: int, j: int) -> bool:
        if i == len(pat):
            return j == len(parts)
        if pat[i] == "**":
            return any(go(i + 1, k) for k in range(j, len(parts) + 1))
        return j < len(parts) and fnmatch.fnmatchcase(parts[j], pat[i]) and go(i + 1, j + 1)

    return go(0, 0)


def _relative(base: str, path: str) -> str | None:
    if base == ".":
        return path
    if path == base:
        return "."
    return path[len(base) + 1 :] if path.startswith(base + "/") else None


@dataclass
class Workspace:
    root: str  # directory of the root manifest
    manifest: Manifest
    members: list[str] = field(default_factory=list)  # member directories, sorted


def resolve_workspaces(manifests: dict[str, Manifest]) -> dict[str, Workspace]:
    """Workspaces keyed by root directory; ``manifests`` is keyed by crate directory."""
    out: dict[str, Workspace] = {}
    for directory, man in sorted(manifests.items()):
        ws = man.workspace
        if ws is None:
            continue
        members: set[str] = set()
        excluded = [str(e) for e in ws.get("exclude", []) if isinstance(e, str)]

        def is_excluded(rel: str, excluded: list[str] = excluded) -> bool:
            return any(rel == norm(e) or rel.startswith(norm(e) + "/") for e in excluded)

        for pattern in ws.get("members", []) or []:
            if not isinstance(pattern, str):
                continue
            for candidate in manifests:
                rel = _relative(directory, candidate)
                if rel is not None and _glob_match(pattern, rel) and not is_excluded(rel):
                    members.add(candidate)
        if man.package is not None:
            members.add(directory)
        # path dependencies inside the workspace directory are members too (cargo's rule)
        frontier = sorted(members)
        while frontier:
            current = manifests.get(frontier.pop())
            if current is None:
                continue
            for dep in _raw_deps(current):
                target = dep.get("path")
                if not isinstance(target, str):
                    continue
                dep_dir = current.join(target)
                rel = _relative(directory, dep_dir)
                if dep_dir in manifests and rel is not None and not is_excluded(rel) and dep_dir not in members:
                    members.add(dep_dir)
                    frontier.append(dep_dir)
        out[directory] = Workspace(directory, man, sorted(m for m in members if manifests[m].package is not None))
    return out


def _raw_deps(man: Manifest) -> Iterable[dict[str, Any]]:
    tables: list[Any] = [man.data.get(section) for section, _ in DEP_SECTIONS]
    for spec in (man.data.get("target") or {}).values():
        if isinstance(spec, dict):
            tables.extend(spec.get(section) for section, _ in DEP_SECTIONS)
    for table in tables:
        if isinstance(table, dict):
            for value in table.values():
                if isinstance(value, dict):
                    yield value


# ---- dependencies ---------------------------------------------------------------------------------------


@dataclass
class Dependency:
    key: str  # the name used in the manifest (and in code)
    name: str  # the package name (differs when renamed with `package = …`)
    kind: str  # normal | dev | build
    version: str | None
    source: str  # registry | path | git
    path: str | None
    git: str | None
    optional: bool
    inherited: bool
    target: str | None
    line: int | None

    @property
    def spec(self) -> str:
        return self.version if self.version is not None else "*"


def dependencies(man: Manifest, ws: Workspace | None) -> list[Dependency]:
    ws_deps: dict[str, Any] = {}
    if ws is not None and ws.manifest.workspace is not None:
        table = ws.manifest.workspace.get("dependencies")
        ws_deps = table if isinstance(table, dict) else {}
    out: list[Dependency] = []
    places: list[tuple[tuple[str, ...], str, str | None, Any]] = [
        ((section,), kind, None, man.data.get(section)) for section, kind in DEP_SECTIONS
    ]
    for cfg, spec in sorted((man.data.get("target") or {}).items()):
        if isinstance(spec, dict):
            places.extend(((("target", cfg, section)), kind, cfg, spec.get(section)) for section, kind in DEP_SECTIONS)
    for prefix, kind, target, table in places:
        if not isinstance(table, dict):
            continue
        for key, value in table.items():
            out.append(_dependency(man, ws, ws_deps, prefix=prefix, kind=kind, target=target, key=key, value=value))
    return out


def _dependency(
    man: Manifest,
    ws: Workspace | None,
    ws_deps: dict[str, Any],
    *,
    prefix: tuple[str, ...],
    kind: str,
    target: str | None,
    key: str,
    value: Any,
) -> Dependency:
    inherited = isinstance(value, dict) and value.get("workspace") is True
    base_dir = man.dir
    spec: dict[str, Any]
    if inherited:
        raw = ws_deps.get(key)
        spec = {"version": raw} if isinstance(raw, str) else dict(raw) if isinstance(raw, dict) else {}
        spec.update({k: v for k, v in value.items() if k in ("optional", "features")})
        base_dir = ws.root if ws is not None else man.dir
    elif isinstance(value, dict):
        spec = value
    else:
        spec = {"version": value if isinstance(value, str) else None}
    path = spec.get("path") if isinstance(spec.get("path"), str) else None
    git = spec.get("git") if isinstance(spec.get("git"), str) else None
    version = spec.get("version") if isinstance(spec.get("version"), str) else None
    package = spec.get("package") if isinstance(spec.get("package"), str) else key
    line = (
        man.lines.get((*prefix, key))
        or man.lines.get((*prefix, key, "workspace"))
        or man.lines.get((*prefix, key, "version"))
        or man.lines.get((*prefix, key, "path"))
        or man.lines.get((*prefix, key, "git"))
    )
    return Dependency(
        key=key,
        name=str(package),
        kind=kind,
        version=version,
        source="path" if path else "git" if git else "registry",
        path=norm(posixpath.join(base_dir, path)) if path else None,
        git=git,
        optional=bool(spec.get("optional", False)),
        inherited=inherited,
        target=target,
        line=line,
    )


# ---- targets --------------------------------------------------------------------------------------------


@dataclass
class Target:
    kind: str  # lib | bin | test | example | bench | custom-build
    name: str
    path: str  # repo-relative source file
    declared: bool
    line: int | None
    harness: bool = True


def _auto(pkg: dict[str, Any], key: str) -> bool:
    return pkg.get(key, True) is not False


def targets(man: Manifest, package_name: str, files: set[str]) -> list[Target]:
    pkg = man.package or {}
    out: list[Target] = []
    lib = man.data.get("lib")
    lib_path: str | None = None
    if isinstance(lib, dict) and isinstance(lib.get("path"), str):
        lib_path = man.join(lib["path"])
    elif man.join("src/lib.rs") in files and _auto(pkg, "autolib"):
        lib_path = man.join("src/lib.rs")
    if lib_path is not None:
        name = lib.get("name") if isinstance(lib, dict) and isinstance(lib.get("name"), str) else None
        out.append(
            Target(
                "lib",
                name or package_name.replace("-", "_"),
                lib_path,
                isinstance(lib, dict),
                man.lines.get(("lib",)),
            )
        )
    kinds = (
        ("bin", "bin", "src/bin", "autobins"),
        ("example", "example", "examples", "autoexamples"),
        ("test", "test", "tests", "autotests"),
        ("bench", "bench", "benches", "autobenches"),
    )
    for kind, table, folder, auto_key in kinds:
        declared = _declared(man, kind, table, folder=folder, package_name=package_name, files=files)
        out.extend(declared)
        if not _auto(pkg, auto_key):
            continue
        inferred = _inferred(man, folder, files)
        if kind == "bin" and man.join("src/main.rs") in files:
            inferred.insert(0, (package_name, man.join("src/main.rs")))
        names = {t.name for t in declared}
        paths = {t.path for t in declared}
        for name, path in inferred:
            if name not in names and path not in paths:
                out.append(Target(kind, name, path, False, None))
    build = pkg.get("build")
    if isinstance(build, str):
        out.append(
            Target(
                "custom-build",
                "build-script-build",
                man.join(build),
                True,
                man.lines.get(("package", "build")),
            )
        )
    elif build is not False and man.join("build.rs") in files:
        out.append(Target("custom-build", "build-script-build", man.join("build.rs"), False, None))
    return out


def _declared(man: Manifest, kind: str, table: str, *, folder: str, package_name: str, files: set[str]) -> list[Target]:
    entries = man.data.get(table)
    out: list[Target] = []
    if not isinstance(entries, list):
        return out
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        name = entry["name"]
        if isinstance(entry.get("path"), str):
            path = man.join(entry["path"])
        else:
            candidates = [f"{folder}/{name}.rs", f"{folder}/{name}/main.rs"]
            if kind == "bin" and name == package_name:
                candidates.insert(0, "src/main.rs")
            path = next((man.join(c) for c in candidates if man.join(c) in files), man.join(candidates[0]))
        out.append(
            Target(kind, name, path, True, man.lines.get((table, index)), entry.get("harness", True) is not False)
        )
    return out


def _inferred(man: Manifest, folder: str, files: set[str]) -> list[tuple[str, str]]:
    base = man.join(folder) + "/"
    found: list[tuple[str, str]] = []
    for f in sorted(files):
        if not f.startswith(base):
            continue
        rest = f[len(base) :].split("/")
        if len(rest) == 1 and rest[0].endswith(".rs"):
            found.append((rest[0][:-3], f))
        elif len(rest) == 2 and rest[1] == "main.rs":
            found.append((rest[0], f))
    return found


def inherited_field(man: Manifest, ws: Workspace | None, key: str) -> Any:
    """A ``[package]`` field, following ``key.workspace = true`` to ``[workspace.package]``."""
    value = (man.package or {}).get(key)
    if isinstance(value, dict) and value.get("workspace") is True:
        if ws is None or ws.manifest.workspace is None:
            return None
        shared = ws.manifest.workspace.get("package")
        return shared.get(key) if isinstance(shared, dict) else None
    return value
