"""``grpc``: ``.proto`` contracts, the code generated from them, whether that code is stale, and which
tests check that generated code and built images exist.

* Protos: package, imports, services and their rpcs (request/response types, streaming flags), messages
  (nested ones by dotted name) and enums, each with its line. Comments and strings never match.
* Stubs: Python ``<stem>_pb2.py``/``_pb2_grpc.py``/``_pb2.pyi`` and Go ``<stem>.pb.go``/``_grpc.pb.go``
  anywhere in the repository, matched to the proto by file name (and, when names collide, by the
  source name recorded in the descriptor); Rust codegen through build scripts (``tonic_build``,
  ``prost_build``, …, naming the proto), ``include_proto!("<package>")`` and checked-in ``@generated``
  modules named after the package.
* Staleness: by git history (the proto committed after a stub; uncommitted changes count as newest) and,
  when ``grpc_tools`` is importable, by regenerating the Python stubs into a temporary directory and
  comparing what they define — the serialized file descriptor of ``_pb2.py`` and the method table of
  ``_pb2_grpc.py`` — so version headers and generator-version boilerplate never count as a change.
* Artifact checks in tests: Python (``ast``) and Rust (lexical) tests asserting that generated files
  exist, running ``docker image inspect``/``docker images`` or the Docker SDK's ``images.get``,
  asserting image tags, or asserting on a fake ``docker``'s call log. Assertions in helpers are credited
  to the tests that call them.
"""

from __future__ import annotations

import ast
import importlib.util
import posixpath
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from anops_policy.collectors.grpc.python import GENERATED_PATH, module_checks
from anops_policy.collectors.grpc.python import is_test_file as is_python_test_file
from anops_policy.collectors.rust.asserts import test_file_checks_of
from anops_policy.collectors.rust.lexer import IDENT, STR
from anops_policy.collectors.rust.scan import scan

from anops_policy.collection.collector import CollectContext
from anops_policy.collection.repo import GitError

PY_SUFFIXES = (("_pb2_grpc.py", "python_grpc"), ("_pb2.pyi", "python_types"), ("_pb2.py", "python_messages"))
GO_SUFFIXES = (("_grpc.pb.go", "go_grpc"), (".pb.go", "go_messages"))
BUILD_CRATES = ("tonic_build", "prost_build", "tonic_prost_build", "protobuf_codegen", "protoc_rust", "grpcio_compiler")
REGEN_TIMEOUT_S = 60.0
MAX_REGENERATED = 50
MAX_NESTING = 64  # nested message levels followed (protoc itself stops at 100)


# ---- .proto parsing -------------------------------------------------------------------------------------

_PROTO_TOKEN = re.compile(
    r"""(?P<nl>\n)|(?P<comment>//[^\n]*|/\*.*?\*/)|(?P<open_comment>/\*)
      |(?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
      |(?P<ident>\.?[A-Za-z_][\w.]*)|(?P<num>[-+]?\d[\w.+-]*)|(?P<punct>[^\s])""",
    re.VERBOSE | re.DOTALL,
)


def _proto_tokens(text: str) -> tuple[list[tuple[str, str, int]], list[tuple[int, str]]]:
    """(kind, text, line) tokens without comments, and problems (an unterminated block comment ends
    the file, as it does for protoc)."""
    out: list[tuple[str, str, int]] = []
    problems: list[tuple[int, str]] = []
    line = 1
    for m in _PROTO_TOKEN.finditer(text):
        kind = m.lastgroup or "punct"
        value = m.group()
        if kind == "open_comment":
            problems.append((line, "unterminated block comment"))
            break
        if kind not in {"nl", "comment"}:
            out.append((kind, value[1:-1] if kind == "str" else value, line))
        line += value.count("\n")
    return out, problems


@dataclass
class Proto:
    path: str
    syntax: str | None = None
    package: str | None = None
    package_line: int | None = None
    imports: list[str] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    enums: list[dict[str, Any]] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)


def parse_proto(path: str, text: str) -> Proto:
    toks, problems = _proto_tokens(text)
    proto = Proto(path, problems=problems)
    n = len(toks)

    def block_end(start: int) -> int:
        """Index of the ``}`` closing the ``{`` at ``start``."""
        depth = 0
        for j in range(start, n):
            if toks[j][1] == "{" and toks[j][0] == "punct":
                depth += 1
            elif toks[j][1] == "}" and toks[j][0] == "punct":
                depth -= 1
                if depth == 0:
                    return j
        return n - 1

    def body(start: int, end: int, scope: str, depth: int = 0) -> None:
        if depth > MAX_NESTING:
            proto.problems.append((toks[start][2] if start < n else 0, f"messages nested deeper than {MAX_NESTING}"))
            return
        j = start
        while j < end:
            kind, value, line = toks[j]
            nxt = toks[j + 1] if j + 1 < end else ("", "", 0)
            if kind == "ident" and value in ("message", "enum", "service") and nxt[0] == "ident":
                k = j + 2
                while k < end and toks[k][1] != "{":
                    k += 1
                close = block_end(k)
                full = f"{scope}.{nxt[1]}" if scope else nxt[1]
                if value == "message":
                    proto.messages.append({"name": full, "line": line})
                    body(k + 1, close, full, depth + 1)
                elif value == "enum":
                    proto.enums.append({"name": full, "line": line})
                else:
                    proto.services.append({"name": nxt[1], "line": line, "rpcs": _rpcs(toks, k + 1, close)})
                j = close + 1
                continue
            if kind == "ident" and value in ("oneof", "extend") and nxt[0] == "ident":
                k = j + 2
                while k < end and toks[k][1] != "{":
                    k += 1
                close = block_end(k)
                if value == "oneof":
                    body(k + 1, close, scope, depth + 1)  # fields of a oneof belong to the message
                j = close + 1
                continue
            if not scope and kind == "ident" and value in ("syntax", "edition") and nxt[1] == "=":
                if j + 2 < end and toks[j + 2][0] == "str":
                    proto.syntax = toks[j + 2][1] if value == "syntax" else f"edition {toks[j + 2][1]}"
            elif not scope and kind == "ident" and value == "package" and nxt[0] == "ident":
                proto.package, proto.package_line = nxt[1], line
            elif not scope and kind == "ident" and value == "import":
                k = j + 1
                if k < end and toks[k][1] in ("public", "weak"):
                    k += 1
                if k < end and toks[k][0] == "str":
                    proto.imports.append(toks[k][1])
            elif kind == "punct" and value == "{":
                j = block_end(j) + 1  # option values and other braces
                continue
            j += 1

    body(0, n, "")
    return proto


def _rpcs(toks: list[tuple[str, str, int]], start: int, end: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    j = start
    while j < end:
        kind, value, line = toks[j]
        if kind == "ident" and value == "rpc" and j + 1 < end:
            name = toks[j + 1][1]
            sig: list[tuple[str, str, int]] = []
            k = j + 2
            while k < end and toks[k][1] not in (";", "{"):
                sig.append(toks[k])
                k += 1
            groups: list[list[str]] = [[]]
            for tk in sig:
                if tk[1] == "(":
                    groups.append([])
                elif tk[0] == "ident" and tk[1] != "returns":
                    groups[-1].append(tk[1])
            request = groups[1] if len(groups) > 1 else []
            response = groups[2] if len(groups) > 2 else []
            out.append(
                {
                    "name": name,
                    "line": line,
                    "request": request[-1].lstrip(".") if request else None,
                    "response": response[-1].lstrip(".") if response else None,
                    "client_streaming": "stream" in request[:-1],
                    "server_streaming": "stream" in response[:-1],
                }
            )
            if k < end and toks[k][1] == "{":  # an options block instead of `;`
                depth = 0
                while k < end:
                    depth += toks[k][1] == "{"
                    depth -= toks[k][1] == "}"
                    k += 1
                    if depth == 0:
                        break
                j = k
                continue
            j = k
        j += 1
    return out


# ---- generated Python code ------------------------------------------------------------------------------


_PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError)  # deep nesting ends in the last two


def descriptor_of(text: str) -> bytes | None:
    """The serialized FileDescriptorProto a ``_pb2.py`` registers (``AddSerializedFile(b'…')`` or the
    older ``FileDescriptor(serialized_pb=b'…')``)."""
    try:
        tree = ast.parse(text)
    except _PARSE_ERRORS:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name == "AddSerializedFile" and node.args and isinstance(node.args[0], ast.Constant):
            value = node.args[0].value
            return value if isinstance(value, bytes) else None
        if name == "FileDescriptor":
            for kw in node.keywords:
                if (
                    kw.arg == "serialized_pb"
                    and isinstance(kw.value, ast.Constant)
                    and isinstance(kw.value.value, bytes)
                ):
                    return kw.value.value
    return None


def descriptor_name(data: bytes) -> str | None:
    """Field 1 (``name``) of a serialized FileDescriptorProto: the proto's path as protoc saw it."""
    if len(data) < 2 or data[0] != 0x0A:
        return None
    length, shift, k = 0, 0, 1
    while k < len(data):
        byte = data[k]
        length |= (byte & 0x7F) << shift
        k += 1
        if not byte & 0x80:
            break
        shift += 7
    try:
        return data[k : k + length].decode("utf-8")
    except UnicodeDecodeError:
        return None


def grpc_signature(text: str) -> list[tuple[str, str, str, str]] | None:
    """What a ``_pb2_grpc.py`` defines, independent of the generator version: for each client method,
    (method path, cardinality, request type, response type)."""
    try:
        tree = ast.parse(text)
    except _PARSE_ERRORS:
        return None
    out: set[tuple[str, str, str, str]] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in ("unary_unary", "unary_stream", "stream_unary", "stream_stream"):
            continue
        if not (node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            continue
        kw = {k.arg: _dotted(k.value).rsplit(".", 1)[0] for k in node.keywords if k.arg}
        out.add(
            (node.args[0].value, node.func.attr, kw.get("request_serializer", ""), kw.get("response_deserializer", ""))
        )
    return sorted(out)


def _dotted(node: ast.AST) -> str:
    """``a.b.C.SerializeToString`` → its dotted text (iterative; anything else → "")."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


# ---- the collector --------------------------------------------------------------------------------------


@dataclass
class Stub:
    path: str
    kind: str
    proto: str | None
    line: int | None = None
    matched_by: str = "file_name"
    stale_by_git: bool | None = None
    stale_by_regeneration: bool | None = None
    reasons: list[str] = field(default_factory=list)
    last_commit: str | None = None

    def fact(self) -> dict[str, Any]:
        stale = None
        if self.stale_by_git is not None or self.stale_by_regeneration is not None:
            stale = bool(self.stale_by_git) or bool(self.stale_by_regeneration)
        return {
            "path": self.path,
            "line": self.line,
            "kind": self.kind,
            "proto": self.proto,
            "matched_by": self.matched_by,
            "last_commit": self.last_commit,
            "stale_by_git": self.stale_by_git,
            "stale_by_regeneration": self.stale_by_regeneration,
            "stale": stale,
            "reasons": self.reasons,
        }


class _ReadOnce(CollectContext):
    """The run's context, recording an unreadable file as skipped once however often it is asked for,
    and keeping the texts read more than once (protos and Python stubs; every Rust file is read for
    codegen markers, so those are not kept). Skips land in the original context's list."""

    _KEEP = (".proto", ".py", ".pyi")

    @classmethod
    def wrap(cls, ctx: CollectContext) -> _ReadOnce:
        return cls(repo=ctx.repo, config=ctx.config, now=ctx.now, facts=ctx.facts, skips=ctx.skips, memo=ctx.memo)

    def read_text(self, path: str, *, max_bytes: int | None = None) -> str | None:
        texts: dict[str, str] = self.__dict__.setdefault("_texts", {})
        unreadable: set[str] = self.__dict__.setdefault("_unreadable", set())
        if path in texts:
            return texts[path]
        if path in unreadable:
            return None
        text = super().read_text(path, max_bytes=max_bytes)
        if text is None:
            unreadable.add(path)
        elif path.endswith(self._KEEP):
            texts[path] = text
        return text


class GrpcCollector:
    name = "grpc"
    version = "1"
    depends_on: tuple[str, ...] = ()

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        ctx = _ReadOnce.wrap(ctx)
        files = ctx.files()
        problems: list[dict[str, Any]] = []
        protos: dict[str, Proto] = {}
        for path in (p for p in files if p.endswith(".proto")):
            text = ctx.read_text(path)
            if text is not None:
                protos[path] = parse_proto(path, text)
                problems.extend({"path": path, "line": ln, "message": msg} for ln, msg in protos[path].problems)
        stubs = self._python_and_go_stubs(ctx, files, protos)
        stubs.extend(self._rust_codegen(ctx, files, protos))
        git_state = self._git_staleness(ctx, protos, stubs)
        regen_state = self._regeneration(ctx, protos, stubs, problems)
        generated = _generated_matcher(protos)
        checks = _python_checks(ctx, files, generated, problems) + _rust_checks(ctx, files, generated)
        return self._section(protos, stubs, checks, git_state, regen_state, problems)

    # ---- stubs ------------------------------------------------------------------------------------------
    @staticmethod
    def _python_and_go_stubs(ctx: CollectContext, files: list[str], protos: dict[str, Proto]) -> list[Stub]:
        by_stem: dict[str, list[str]] = {}
        for path in protos:
            by_stem.setdefault(posixpath.basename(path)[: -len(".proto")], []).append(path)
        out: list[Stub] = []
        for path in files:
            base = posixpath.basename(path)
            kind = stem = None
            for suffix, k in (*PY_SUFFIXES, *GO_SUFFIXES):
                if base.endswith(suffix):
                    kind, stem = k, base[: -len(suffix)]
                    break
            if kind is None or stem is None:
                continue
            candidates = by_stem.get(stem, [])
            matched_by = "file_name"
            if len(candidates) > 1 and kind == "python_messages":
                text = ctx.read_text(path)
                data = descriptor_of(text) if text is not None else None
                source = descriptor_name(data) if data is not None else None
                if source is not None:
                    narrowed = [c for c in candidates if c == source or c.endswith("/" + source)]
                    if narrowed:
                        candidates, matched_by = narrowed, "descriptor"
            if len(candidates) > 1:  # still ambiguous: the proto whose directory is closest to the stub
                candidates = sorted(candidates, key=lambda c: (-_shared_dirs(c, path), c))[:1]
                matched_by = "nearest"
            out.append(
                Stub(path, kind, candidates[0] if candidates else None, matched_by=matched_by if candidates else "none")
            )
        return out

    @staticmethod
    def _rust_codegen(ctx: CollectContext, files: list[str], protos: dict[str, Proto]) -> list[Stub]:
        by_package: dict[str, list[str]] = {}
        for p in protos.values():
            if p.package:
                by_package.setdefault(p.package, []).append(p.path)
        out: list[Stub] = []
        for path in (f for f in files if f.endswith(".rs")):
            base = posixpath.basename(path)
            text = ctx.read_text(path)
            if text is None:
                continue
            is_build = base == "build.rs"
            wanted = ("include_proto", "OUT_DIR", "@generated")
            if not (is_build or any(w in text for w in wanted) or base[:-3] in by_package):
                continue
            sc = scan(text)
            toks = sc.tokens
            idents = {t.text for t in toks if t.kind == IDENT}
            if is_build and idents & set(BUILD_CRATES):
                crate_dir = posixpath.dirname(path)
                named = [(t.text, t.line) for t in toks if t.kind == STR and t.text.endswith(".proto")]
                for literal, line in named:
                    target = (
                        posixpath.normpath(posixpath.join(crate_dir, literal))
                        if crate_dir
                        else posixpath.normpath(literal)
                    )
                    match = (
                        target
                        if target in protos
                        else next((p for p in protos if p.endswith("/" + literal.lstrip("./"))), None)
                    )
                    out.append(Stub(path, "rust_build_script", match, line, "build_script" if match else "none"))
                if not named:  # the list of protos is computed: credit every proto under the crate
                    first = next((t.line for t in toks if t.kind == IDENT and t.text in BUILD_CRATES), None)
                    under = [p for p in protos if not crate_dir or p.startswith(crate_dir + "/")]
                    out.extend(Stub(path, "rust_build_script", p, first, "directory") for p in sorted(under))
                continue
            for i, t in enumerate(toks[:-3]):
                package: str | None = None
                if t.is_ident("include_proto") and toks[i + 1].is_punct("!") and toks[i + 3].kind == STR:
                    package = toks[i + 3].text
                elif t.is_ident("include") and toks[i + 1].is_punct("!") and (i + 2) in sc.match:
                    # include!(concat!(env!("OUT_DIR"), "/<package>.rs"))
                    inner = toks[i + 3 : sc.match[i + 2]]
                    if any(x.kind == STR and x.text == "OUT_DIR" for x in inner):
                        name = next((x.text for x in inner if x.kind == STR and x.text.endswith(".rs")), "")
                        # only a module named after a proto package is generated gRPC/protobuf code
                        package = posixpath.basename(name)[:-3] if posixpath.basename(name)[:-3] in by_package else None
                if package is not None:
                    matches: list[str | None] = [*by_package.get(package, [])] or [None]
                    for proto_path in matches:
                        matched_by = "package" if proto_path else "none"
                        out.append(Stub(path, "rust_include_proto", proto_path, t.line, matched_by))
            head = text[:2000]
            if base[:-3] in by_package and ("@generated" in head or "prost" in head or "tonic" in head):
                out.extend(Stub(path, "rust_generated", p, None, "package") for p in by_package[base[:-3]])
        return out

    # ---- staleness --------------------------------------------------------------------------------------
    @staticmethod
    def _git_staleness(ctx: CollectContext, protos: dict[str, Proto], stubs: list[Stub]) -> dict[str, Any]:
        checked = [
            s for s in stubs if s.proto is not None and s.kind not in ("rust_build_script", "rust_include_proto")
        ]
        git = ctx.git
        if git is None:
            return {"available": False, "reason": "not a git repository (or git disabled)"}
        if not checked:
            return {"available": True, "reason": None}
        paths = sorted({s.path for s in checked} | {s.proto for s in checked if s.proto})
        top = {git.to_top_path(p): p for p in paths}
        try:
            log = git.run("log", "--format=%x00%ct", "--name-only", "--", *top)
            status = git.run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *top)
        except GitError as exc:
            return {"available": False, "reason": str(exc)}
        last: dict[str, int] = {}
        stamp = 0
        for chunk in log.split("\0"):
            lines = [x for x in chunk.strip().splitlines() if x]
            if not lines:
                continue
            if lines[0].isdigit():
                stamp = int(lines[0])
                lines = lines[1:]
            for name in lines:
                if name in top and top[name] not in last:
                    last[top[name]] = stamp
        dirty = {top[e[3:]] for e in status.split("\0") if len(e) > 3 and e[3:] in top}
        for stub in checked:
            assert stub.proto is not None
            stub.last_commit = _iso(last.get(stub.path))
            if stub.proto in dirty and stub.path not in dirty:
                stub.stale_by_git = True
                stub.reasons.append(f"{stub.proto} has uncommitted changes; {stub.path} does not")
            elif stub.proto in dirty or stub.path in dirty or stub.proto not in last or stub.path not in last:
                stub.stale_by_git = None
                stub.reasons.append("git history cannot order them (uncommitted or untracked)")
            elif last[stub.proto] > last[stub.path]:
                stub.stale_by_git = True
                when, then = _iso(last[stub.proto]), _iso(last[stub.path])
                stub.reasons.append(f"{stub.proto} was committed at {when}, after {stub.path} ({then})")
            else:
                stub.stale_by_git = False
        return {"available": True, "reason": None}

    @staticmethod
    def _regeneration(
        ctx: CollectContext, protos: dict[str, Proto], stubs: list[Stub], problems: list[dict[str, Any]]
    ) -> dict[str, Any]:
        py = [s for s in stubs if s.proto is not None and s.kind in ("python_messages", "python_grpc")]
        if ctx.options("grpc").get("regenerate", True) is False:
            return {"available": False, "reason": "disabled by collect.options.grpc.regenerate", "regenerated": 0}
        if importlib.util.find_spec("grpc_tools") is None:
            return {"available": False, "reason": "grpc_tools (grpcio-tools) is not importable", "regenerated": 0}
        if not py:
            return {"available": True, "reason": None, "regenerated": 0}
        by_proto: dict[str, list[Stub]] = {}
        for s in py:
            assert s.proto is not None
            by_proto.setdefault(s.proto, []).append(s)
        regenerated = 0
        with tempfile.TemporaryDirectory(prefix="anops-grpc-") as tmp:
            for proto_path, group in sorted(by_proto.items())[:MAX_REGENERATED]:
                result = _regenerate(ctx, proto_path, group, Path(tmp) / str(regenerated))
                regenerated += 1
                if isinstance(result, str):
                    problems.append({"path": proto_path, "line": None, "message": f"regeneration failed: {result}"})
                    for s in group:
                        s.reasons.append(f"could not regenerate: {result}")
                    continue
                for s in group:
                    fresh = result.get(s.kind)
                    current = ctx.read_text(s.path)
                    if fresh is None or current is None:
                        continue
                    if s.kind == "python_messages":
                        same = descriptor_of(current) == descriptor_of(fresh) and descriptor_of(fresh) is not None
                        what = "the serialized descriptor (messages, enums, services) differs"
                    else:
                        same = grpc_signature(current) == grpc_signature(fresh)
                        what = "the service methods differ"
                    s.stale_by_regeneration = not same
                    if not same:
                        s.reasons.append(f"regenerated from {proto_path}: {what}")
        skipped = len(by_proto) - regenerated
        return {
            "available": True,
            "reason": f"{skipped} proto(s) not regenerated (limit {MAX_REGENERATED})" if skipped > 0 else None,
            "regenerated": regenerated,
        }

    # ---- assembly ---------------------------------------------------------------------------------------
    @staticmethod
    def _section(
        protos: dict[str, Proto],
        stubs: list[Stub],
        checks: list[dict[str, Any]],
        git_state: dict[str, Any],
        regen_state: dict[str, Any],
        problems: list[dict[str, Any]],
    ) -> dict[str, Any]:
        stub_facts = sorted((s.fact() for s in stubs), key=lambda s: (s["path"], s["line"] or 0, s["proto"] or ""))
        proto_facts: dict[str, Any] = {}
        services: dict[str, Any] = {}
        for path, p in sorted(protos.items()):
            mine = [s for s in stub_facts if s["proto"] == path]
            kinds = {s["kind"] for s in mine}
            for svc in p.services:
                full = f"{p.package}.{svc['name']}" if p.package else svc["name"]
                services[full] = {
                    "proto": path,
                    "path": path,
                    "line": svc["line"],
                    "rpcs": [r["name"] for r in svc["rpcs"]],
                }
            proto_facts[path] = {
                "path": path,
                "syntax": p.syntax,
                "package": p.package,
                "line": p.package_line,
                "imports": p.imports,
                "services": [
                    {**svc, "path": path, "rpcs": [{**r, "path": path} for r in svc["rpcs"]]} for svc in p.services
                ],
                "messages": [{**m, "path": path} for m in p.messages],
                "enums": [{**e, "path": path} for e in p.enums],
                "stubs": [s["path"] for s in mine],
                "has_python_stubs": bool(kinds & {"python_messages", "python_grpc"}),
                "has_rust_codegen": any(k.startswith("rust_") for k in kinds),
                "stale": any(s["stale"] for s in mine) if any(s["stale"] is not None for s in mine) else None,
            }
        stale = [s for s in stub_facts if s["stale"]]
        code_checks = sorted((c for c in checks if c["kind"] == "generated_code_exists"), key=_check_key)
        image_checks = sorted((c for c in checks if c["kind"] != "generated_code_exists"), key=_check_key)
        by_dir: dict[str, dict[str, int]] = {}

        def bump(path: str, key: str) -> None:
            for d in _ancestors(path):
                entry = by_dir.setdefault(
                    d, {"protos": 0, "stubs": 0, "stale_stubs": 0, "generated_code_checks": 0, "image_checks": 0}
                )
                entry[key] += 1

        for path in protos:
            bump(path, "protos")
        for s in stub_facts:
            bump(s["path"], "stubs")
            if s["stale"]:
                bump(s["path"], "stale_stubs")
        for c in code_checks:
            bump(c["path"], "generated_code_checks")
        for c in image_checks:
            bump(c["path"], "image_checks")
        return {
            "protos": proto_facts,
            "services": dict(sorted(services.items())),
            "stubs": stub_facts,
            "stale_stubs": [{"path": s["path"], "proto": s["proto"], "reasons": s["reasons"]} for s in stale],
            "orphan_stubs": [s["path"] for s in stub_facts if s["proto"] is None],
            "tests_verifying_generated_code": code_checks,
            "tests_verifying_images": image_checks,
            "by_dir": dict(sorted(by_dir.items())),
            "counts": {
                "protos": len(protos),
                "services": len(services),
                "rpcs": sum(len(s["rpcs"]) for s in services.values()),
                "messages": sum(len(p.messages) for p in protos.values()),
                "stubs": len(stub_facts),
                "stale_stubs": len(stale),
                "tests_verifying_generated_code": len({t for c in code_checks for t in c["tests"]}),
                "tests_verifying_images": len({t for c in image_checks for t in c["tests"]}),
            },
            "staleness": {"git": git_state, "regeneration": regen_state},
            "problems": sorted(problems, key=lambda p: (p["path"], p["line"] or 0, p["message"])),
        }


def _shared_dirs(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.split("/")[:-1], b.split("/")[:-1], strict=False):
        if x != y:
            break
        n += 1
    return n


def _check_key(c: dict[str, Any]) -> tuple[str, int, str]:
    return (c["path"], c["line"], c["kind"])


def _ancestors(path: str) -> Iterator[str]:
    parts = path.split("/")[:-1]
    yield "."
    for n in range(1, len(parts) + 1):
        yield "/".join(parts[:n])


def _iso(stamp: int | None) -> str | None:
    if stamp is None:
        return None
    return datetime.fromtimestamp(stamp, UTC).isoformat().replace("+00:00", "Z")


def _regenerate(ctx: CollectContext, proto_path: str, group: list[Stub], out_dir: Path) -> dict[str, str] | str:
    """Run ``python -m grpc_tools.protoc`` on a copy of the protos (read through ``ctx``) and return the
    generated texts by stub kind, or why it failed."""
    include_root = posixpath.dirname(proto_path)
    messages = next((s for s in group if s.kind == "python_messages"), None)
    if messages is not None:
        text = ctx.read_text(messages.path)
        data = descriptor_of(text) if text is not None else None
        source = descriptor_name(data) if data is not None else None
        if source and (proto_path == source or proto_path.endswith("/" + source)):
            include_root = proto_path[: -len(source)].rstrip("/")
    src_dir = out_dir / "src"
    gen_dir = out_dir / "gen"
    gen_dir.mkdir(parents=True)
    prefix = include_root + "/" if include_root else ""
    for path in ctx.glob([f"{prefix}**/*.proto"] if prefix else ["**/*.proto"]):
        text = ctx.read_text(path)
        if text is not None:
            dest = src_dir / path[len(prefix) :]
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text)
    relative = proto_path[len(prefix) :]
    try:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "grpc_tools.protoc",
                f"-I{src_dir}",
                f"--python_out={gen_dir}",
                f"--grpc_python_out={gen_dir}",
                str(src_dir / relative),
            ],
            capture_output=True,
            text=True,
            timeout=REGEN_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{type(exc).__name__}: {exc}"
    if run.returncode != 0:  # protoc's first message, with the temporary directory taken out
        first = next((x for x in run.stderr.splitlines() if x.strip()), "protoc failed")
        return first.replace(f"{src_dir}/", "").strip()[:300]
    stem = relative[: -len(".proto")]
    out: dict[str, str] = {}
    for kind, suffix in (("python_messages", "_pb2.py"), ("python_grpc", "_pb2_grpc.py")):
        produced = gen_dir / f"{stem}{suffix}"
        if produced.is_file():
            out[kind] = produced.read_text()
    return out


# ---- artifact checks in tests ---------------------------------------------------------------------------


def _generated_matcher(protos: dict[str, Proto]) -> Callable[[str], bool]:
    packages = {p.package for p in protos.values() if p.package}

    def generated(literal: str) -> bool:
        if not literal or any(ch.isspace() for ch in literal):  # messages, not paths
            return False
        if GENERATED_PATH.search(literal):
            return True
        base = literal.rsplit("/", 1)[-1]
        return base.endswith(".rs") and base[:-3] in packages

    return generated


def _python_checks(
    ctx: CollectContext, files: list[str], generated: Callable[[str], bool], problems: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Checks in Python test files; a check in a helper or fixture is credited to the tests (in any test
    file: fixtures live in conftest.py) that reach it by call or fixture parameter."""
    found: list[tuple[str, str, int, str, str]] = []  # (path, function, line, kind, evidence)
    callers: dict[str, set[str]] = {}
    tests: dict[str, set[str]] = {}  # test function name → "path::name" ids
    for path in (f for f in files if is_python_test_file(f)):
        text = ctx.read_text(path)
        if text is None:
            continue
        summary = module_checks(ctx, path, text)
        if isinstance(summary, tuple):
            line, why = summary
            problems.append({"path": path, "line": line, "message": f"not valid Python, not scanned: {why}"})
            continue
        for name in summary.tests:
            tests.setdefault(name, set()).add(f"{path}::{name}")
        found.extend(summary.found(path, generated))
        for name, who in summary.callers.items():
            callers.setdefault(name, set()).update(who)
    out: list[dict[str, Any]] = []
    for path, function, line, kind, evidence in sorted(set(found)):
        reach = _reaching(function, callers)
        ids = sorted(i for name in reach for i in tests.get(name, ()))
        out.append({"path": path, "line": line, "kind": kind, "function": function, "evidence": evidence, "tests": ids})
    return out


def _reaching(function: str, callers: dict[str, set[str]]) -> set[str]:
    """``function`` and every function that reaches it through calls (bounded breadth-first)."""
    seen = {function}
    frontier = [function]
    while frontier and len(seen) < 500:
        current = frontier.pop()
        for caller in callers.get(current, ()):
            if caller not in seen:
                seen.add(caller)
                frontier.append(caller)
    return seen


def _rust_test_files(files: list[str]) -> list[str]:
    return [f for f in files if f.endswith(".rs") and ("/tests/" in f"/{f}")]


def _rust_checks(ctx: CollectContext, files: list[str], generated: Callable[[str], bool]) -> list[dict[str, Any]]:
    """Checks in Rust files under ``tests/``; a check in a helper (also one in a shared ``mod common``)
    is credited to the #[test] functions that reach it."""
    found: list[tuple[str, Any]] = []
    callers: dict[str, set[str]] = {}
    tests: dict[str, set[str]] = {}
    for path in _rust_test_files(files):
        text = ctx.read_text(path)
        if text is None:
            continue
        checks = test_file_checks_of(ctx.memo, path, text)
        found.extend((path, v) for v in checks.verifications(generated))
        for name in checks.tests:
            tests.setdefault(name, set()).add(f"{path}::{name}")
        for name, who in checks.callers.items():
            callers.setdefault(name, set()).update(who)
    out: list[dict[str, Any]] = []
    for path, v in found:
        reach = _reaching(v.function, callers)
        ids = sorted(i for name in reach for i in tests.get(name, ()))
        out.append(
            {"path": path, "line": v.line, "kind": v.kind, "function": v.function, "evidence": v.evidence, "tests": ids}
        )
    return out
