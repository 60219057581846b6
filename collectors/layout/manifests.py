"""Build manifests of the ecosystems beside Rust and Python, read into candidate components: a Go module
(``go.mod``), a Node.js package (``package.json``; workspace roots are not components, their members are),
a Java/Kotlin build (``pom.xml``, ``build.gradle[.kts]``; a multi-module aggregator is not a component, its
modules are) and a .NET project (``*.csproj``; test projects are attached to the projects they reference).

Each candidate says what the manifest tells: its name, language, folder, the line that declares it, and
what it can be told to be from the manifest alone (a ``bin`` entry, an executable output type, a web SDK);
``behaviour`` then reads the sources for what the manifest does not say (a server listening)."""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from anops_policy.collection.collector import CollectContext

SKIP_SEGMENTS = frozenset({"node_modules", "vendor", "testdata", "fixtures", "__fixtures__", "examples", "example",
                           "third_party", "bower_components", "target", "build", "dist", "bin", "obj"})
JAVA_SOURCES = ("src/main/java/", "src/main/kotlin/", "src/main/scala/")
GRADLE = ("build.gradle", "build.gradle.kts")
DOTNET_TEST_PACKAGES = ("xunit", "nunit", "mstest.testframework", "microsoft.net.test.sdk")


@dataclass
class Candidate:
    name: str
    language: str
    path: str  # the component folder, repo-relative ("." for the root)
    manifest: str
    line: int = 1
    kind: str | None = None  # what the manifest alone says (cli, service, worker), else decided from the sources
    entry: bool = False  # the manifest names an entry point (a start script, an executable output)
    test_paths: list[str] = field(default_factory=list)  # extra test files (a .NET test project's)
    notes: dict[str, Any] = field(default_factory=dict)


def _skipped(path: str) -> bool:
    return any(part in SKIP_SEGMENTS or part.startswith(".") for part in path.split("/")[:-1])


def _folder(path: str) -> str:
    return posixpath.dirname(path) or "."


def _line_of(text: str, pattern: str) -> int:
    match = re.search(pattern, text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def go_modules(ctx: CollectContext, files: list[str]) -> list[Candidate]:
    out = []
    for path in files:
        if posixpath.basename(path) != "go.mod" or _skipped(path):
            continue
        text = ctx.read_text(path) or ""
        module = re.search(r"^module\s+(\S+)", text, re.MULTILINE)
        name = module.group(1).strip('"').rsplit("/", 1)[-1] if module else posixpath.basename(_folder(path))
        out.append(Candidate(name, "go", _folder(path), path, _line_of(text, r"^module\s")))
    return out


def node_packages(ctx: CollectContext, files: list[str]) -> list[Candidate]:
    out = []
    for path in files:
        if posixpath.basename(path) != "package.json" or _skipped(path):
            continue
        text = ctx.read_text(path) or ""
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            continue
        if not isinstance(data, dict):
            continue
        scripts = _mapping(data.get("scripts"))
        has_bin = bool(data.get("bin"))
        folder = _folder(path)
        pnpm = f"{folder}/pnpm-workspace.yaml" if folder != "." else "pnpm-workspace.yaml"
        if (data.get("workspaces") or pnpm in files) and not has_bin and "start" not in scripts:
            continue  # a workspace root (npm, yarn, pnpm): its members are the components
        name = str(data.get("name") or posixpath.basename(folder) or "root").rsplit("/", 1)[-1]
        prefix = "" if folder == "." else folder + "/"
        deps = {**_mapping(data.get("dependencies")), **_mapping(data.get("devDependencies"))}
        typescript = f"{prefix}tsconfig.json" in files or "typescript" in deps or any(
            p.startswith(prefix) and p.endswith((".ts", ".tsx")) and "/node_modules/" not in p for p in files
        )
        candidate = Candidate(name, "typescript" if typescript else "javascript", folder, path,
                              _line_of(text, r'"name"\s*:'))
        if has_bin:
            candidate.kind = "cli"
            candidate.line = _line_of(text, r'"bin"\s*:')
        candidate.entry = has_bin or "start" in scripts  # `main` is a library's entry, not a program's
        candidate.notes["scripts"] = sorted(str(k) for k in scripts)
        out.append(candidate)
    return out


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _xml(ctx: CollectContext, path: str) -> tuple[Any, str] | None:
    text = ctx.read_text(path)
    if text is None:
        return None
    from defusedxml import ElementTree  # noqa: PLC0415 - start-up: only repositories with XML manifests
    from defusedxml.common import DefusedXmlException  # noqa: PLC0415

    try:
        return ElementTree.fromstring(text.encode("utf-8")), text
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        return None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child_text(element: Any, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name and child.text:
            return str(child.text).strip()
    return None


def java_builds(ctx: CollectContext, files: list[str]) -> list[Candidate]:
    out = []
    has_sources = set()  # folder keys ("" for the root, else "a/b/") with Java/Kotlin/Scala main sources
    for p in files:
        for prefix in JAVA_SOURCES:
            at = p.find(prefix)
            if at == 0 or (at > 0 and p[at - 1] == "/"):
                has_sources.add(p[:at])
    for path in files:
        base = posixpath.basename(path)
        if base not in ("pom.xml", *GRADLE) or _skipped(path):
            continue
        folder = _folder(path)
        key = "" if folder == "." else folder + "/"
        if key not in has_sources:
            continue  # an aggregator (packaging pom, a settings-only root): its modules are the components
        if base in GRADLE and f"{key}pom.xml" in files:
            continue  # one component per folder: Maven's manifest names it
        name, line = posixpath.basename(folder) if folder != "." else "root", 1
        if base == "pom.xml":
            parsed = _xml(ctx, path)
            if parsed is not None:
                root, text = parsed
                name = _child_text(root, "artifactId") or name
                line = _line_of(text, r"<artifactId>")
        kotlin = any(p.startswith(key + "src/main/kotlin/") for p in files)
        out.append(Candidate(name, "kotlin" if kotlin else "java", folder, path, line))
    return out


def dotnet_projects(ctx: CollectContext, files: list[str]) -> list[Candidate]:
    projects: list[Candidate] = []
    tests: list[tuple[str, list[str]]] = []  # (test project folder, referenced project paths)
    for path in files:
        if not path.endswith(".csproj") or _skipped(path):
            continue
        parsed = _xml(ctx, path)
        if parsed is None:
            continue
        root, text = parsed
        sdk = str(root.get("Sdk") or "")
        packages = [str(e.get("Include") or "").lower() for e in root.iter() if _local(e.tag) == "PackageReference"]
        references = [
            posixpath.normpath(posixpath.join(_folder(path), str(e.get("Include") or "").replace("\\", "/")))
            for e in root.iter() if _local(e.tag) == "ProjectReference"
        ]
        output = next((str(e.text or "").strip() for e in root.iter() if _local(e.tag) == "OutputType"), "")
        stem = posixpath.basename(path)[: -len(".csproj")]
        if any(p.startswith(DOTNET_TEST_PACKAGES) for p in packages) or re.search(r"\.?Tests?$", stem):
            tests.append((_folder(path), references))
            continue
        candidate = Candidate(stem, "csharp", _folder(path), path, _line_of(text, r"<Project\b"))
        if sdk.endswith(".Web"):
            candidate.kind, candidate.entry = "service", True
        elif sdk.endswith(".Worker"):
            candidate.kind, candidate.entry = "worker", True
        elif output.lower() in ("exe", "winexe"):
            candidate.entry = True
        projects.append(candidate)
    by_manifest = {c.manifest: c for c in projects}
    for folder, references in tests:
        prefix = "" if folder == "." else folder + "/"
        sources = [p for p in files if p.startswith(prefix) and p.endswith(".cs")]
        for ref in references:
            if ref in by_manifest:
                by_manifest[ref].test_paths.extend(sources)
    return projects
