"""What a candidate component is, from its sources: ``service`` when its code starts a server (Go's
``http.ListenAndServe``/``net.Listen``/``grpc.NewServer``, a Node ``app.listen``/``createServer``, a Java
``HttpServer.create``/``SpringApplication.run``/gRPC ``ServerBuilder``…), ``cli`` for a program with an entry
point and no image, ``worker`` for a deployable program that serves nothing (an entry point and its own
Dockerfile: a queue consumer, a load generator, a batch job), ``library`` otherwise. The manifest's word wins
where it has one (a ``bin`` entry, a .NET web or worker SDK).

Server calls are found by pattern rules over syntax trees (``syntax``), so a call quoted in a comment or a
string does not make a service; a cheap text filter first keeps the parser to the few files that could hold
one. Each component also gets its test files (by its language's conventions) and its Dockerfile."""

from __future__ import annotations

import bisect
import posixpath
import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from anops_policy.collectors.layout.manifests import Candidate

from anops_policy.collection.collector import CollectContext
from anops_policy.syntax.languages import Language, language
from anops_policy.syntax.rules import CompiledRule, compile_rule
from anops_policy.syntax.trees import source_trees

MAX_LISTED_TESTS = 200
MAX_SCANNED_FILES = 400  # per component: the server call is in the first few files that pass the filter

# the server-starting calls of each language, and a text filter that every one of them passes
SERVERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "go": (r"ListenAndServe|net\.Listen|NewServer|\.Listen\(|\.Serve\(", (
        "http.ListenAndServe($$$)", "http.ListenAndServeTLS($$$)", "$S.ListenAndServe()", "$S.ListenAndServeTLS($$$)",
        "net.Listen($$$)", "grpc.NewServer($$$)", "$S.Serve($L)", "$APP.Listen($ADDR)",
    )),
    "typescript": (r"\.listen\(|createServer|[Ff]astify\(|NestFactory|Bun\.serve|serve\(", (
        "$APP.listen($$$)", "http.createServer($$$)", "https.createServer($$$)", "createServer($$$)",
        "fastify($$$)", "Fastify($$$)", "NestFactory.create($$$)", "Bun.serve($$$)", "serve($$$)",
    )),
    "java": (r"HttpServer|SpringApplication|ServerBuilder|ServerSocket|Javalin|\.start\(", (
        "HttpServer.create($$$)", "SpringApplication.run($$$)", "ServerBuilder.forPort($$$)",
        "new ServerSocket($$$)", "Javalin.create($$$)",
    )),
    "csharp": (r"WebApplication|UseKestrel|CreateBuilder|\.Run\(|MapGrpcService", (
        "WebApplication.CreateBuilder($$$)", "$B.UseKestrel($$$)", "$APP.MapGrpcService<$T>()",
    )),
}
SERVERS["javascript"] = SERVERS["typescript"]
SERVERS["kotlin"] = (r"embeddedServer|SpringApplication|runApplication", ("embeddedServer($$$)",))
ENTRY = {
    "go": re.compile(r"^package\s+main\b", re.MULTILINE),
    "java": re.compile(r"\bstatic\s+(?:final\s+)?void\s+main\s*\("),
    "kotlin": re.compile(r"^\s*fun\s+main\s*\(", re.MULTILINE),
    "csharp": re.compile(
        r"\bstatic\s+(?:async\s+)?[\w<>]+\s+Main\s*\(|^\s*(?:var\s+\w+\s*=\s*)?WebApplication\.", re.MULTILINE
    ),
}
DOCKERFILE = re.compile(r"(^|/)(Dockerfile(\.[\w.-]+)?|[\w.-]+\.Dockerfile|Containerfile)$")


@cache
def _server_rule(lang: str) -> CompiledRule | None:
    spec = SERVERS.get(lang)
    if spec is None:
        return None
    rule = {"any": [{"pattern": p} for p in spec[1]]}
    return compile_rule({"id": f"{lang}_server", "language": lang, "rule": rule})


def describe(ctx: CollectContext, candidate: Candidate, owned: list[str]) -> dict[str, Any]:
    """The component entry for ``candidate``, whose folder holds the files ``owned`` (nested components'
    files left out)."""
    lang = language(candidate.language)
    sources = [p for p in owned if lang is not None and lang.owns(p)]
    if candidate.language == "typescript":  # a TypeScript package often keeps some JavaScript
        sources += [p for p in owned if p.endswith((".js", ".mjs", ".cjs")) and p not in sources]
    tests = [p for p in owned if lang is not None and lang.is_test(p) and (p in sources or p.endswith(lang.extensions))]
    tests += [p for p in candidate.test_paths if p not in tests]
    code = [p for p in sources if lang is not None and not lang.is_test(p)]
    dockerfiles = sorted(p for p in owned if DOCKERFILE.search(p))
    server = _serves(ctx, candidate.language, code)
    entry = candidate.entry or _has_entry(ctx, candidate.language, code)
    kind = candidate.kind or (
        "service" if server else "worker" if entry and dockerfiles else "cli" if entry else "library"
    )
    found_at = server or {"path": candidate.manifest, "line": candidate.line}
    entry_out: dict[str, Any] = {
        "name": candidate.name,
        "kind": kind,
        "language": candidate.language,
        "path": candidate.path,
        "source": "discovered",
        "manifest": candidate.manifest,
        "found_at": found_at,
        "tests": sorted(tests)[:MAX_LISTED_TESTS],
        "test_files": len(tests),
    }
    if dockerfiles:
        entry_out["dockerfile"] = dockerfiles[0]
    return entry_out


def _serves(ctx: CollectContext, lang_name: str, files: Iterable[str]) -> dict[str, Any] | None:
    """``{path, line}`` of the first server-starting call in ``files``, or None."""
    spec, rule = SERVERS.get(lang_name), _server_rule(lang_name)
    if spec is None or rule is None:
        return None
    pre = re.compile(spec[0])
    trees = source_trees(ctx.memo)
    for scanned, path in enumerate(sorted(files)):
        if scanned >= MAX_SCANNED_FILES:
            break
        text = ctx.read_text(path)
        if text is None or not pre.search(text):
            continue
        file_lang = _language_of(path, lang_name)
        tree = trees.tree(path, text, file_lang)
        matches, _ = (rule if file_lang.name == lang_name else _server_rule(file_lang.name) or rule).find(
            tree.root, text, keep=1
        )
        if matches:
            return {"path": path, "line": matches[0].line}
    return None


def _language_of(path: str, fallback: str) -> Language:
    for name in ("typescript", "tsx", "javascript"):
        lang = language(name)
        if lang is not None and lang.owns(path):
            return lang
    found = language(fallback)
    assert found is not None
    return found


def _has_entry(ctx: CollectContext, lang_name: str, files: Iterable[str]) -> bool:
    pattern = ENTRY.get(lang_name)
    if pattern is None:
        return False
    for scanned, path in enumerate(sorted(files)):
        if scanned >= MAX_SCANNED_FILES:
            break
        text = ctx.read_text(path)
        if text is not None and pattern.search(text):
            return True
    return False


def owned_files(files: list[str], folder: str, nested: Iterable[str]) -> list[str]:
    """The files under ``folder`` that no nested component folder claims; ``files`` sorted (``ctx.files()``)."""
    prefix = "" if folder == "." else folder + "/"
    inner = tuple(sorted((n + "/" for n in nested if n != folder and (folder == "." or n.startswith(prefix))), key=len))
    under = files_under(files, prefix)
    return [p for p in under if not p.startswith(inner)] if inner else under


def files_under(files: list[str], prefix: str) -> list[str]:
    """The paths of sorted ``files`` that start with ``prefix`` (a folder with its ``/``, or "" for all):
    one contiguous slice, found by bisection (a component per folder of a monorepo made the scans quadratic)."""
    if not prefix:
        return list(files)
    # every path starting with "a/b/" sorts at or after "a/b/" and before "a/b0" ("0" follows "/")
    return files[bisect.bisect_left(files, prefix) : bisect.bisect_left(files, prefix[:-1] + chr(ord(prefix[-1]) + 1))]


def python_workers(files: list[str], claimed: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Folders with their own Dockerfile and Python code that no component claims: deployable programs that
    serve nothing (a worker, a load generator, a batch job)."""
    out = []
    py = language("python")
    assert py is not None
    for dockerfile in sorted(p for p in files if DOCKERFILE.search(p)):
        folder = posixpath.dirname(dockerfile)
        if not folder or any(folder == c or folder.startswith(c + "/") for c in claimed if c != "."):
            continue
        owned = files_under(files, folder + "/")
        code = [p for p in owned if p.endswith(".py") and not py.is_test(p)]
        if not code:
            continue
        out.append({
            "name": posixpath.basename(folder),
            "kind": "worker",
            "language": "python",
            "path": folder,
            "source": "discovered",
            "found_at": {"path": dockerfile, "line": 1},
            "dockerfile": dockerfile,
            "tests": sorted(p for p in owned if py.is_test(p))[:MAX_LISTED_TESTS],
            "test_files": sum(1 for p in owned if py.is_test(p)),
        })
    return out
