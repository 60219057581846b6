"""Finding the code generated from the protos: Python and Go stub files matched to their proto (by file
name, descriptor or nearest directory), and Rust codegen (build scripts, ``include_proto!``, ``@generated``)."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from anops_policy.collectors.grpc.descriptors import descriptor_name, descriptor_of
from anops_policy.collectors.grpc.proto import Proto
from anops_policy.collectors.rust.scan import scan
from anops_policy.collectors.rust.tokens import IDENT, STR

from anops_policy.collection.collector import CollectContext

PY_SUFFIXES = (("_pb2_grpc.py", "python_grpc"), ("_pb2.pyi", "python_types"), ("_pb2.py", "python_messages"))
GO_SUFFIXES = (("_grpc.pb.go", "go_grpc"), (".pb.go", "go_messages"))
BUILD_CRATES = ("tonic_build", "prost_build", "tonic_prost_build", "protobuf_codegen", "protoc_rust", "grpcio_compiler")


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


def python_and_go_stubs(ctx: CollectContext, files: list[str], protos: dict[str, Proto]) -> list[Stub]:
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


def rust_codegen(ctx: CollectContext, files: list[str], protos: dict[str, Proto]) -> list[Stub]:
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


def _shared_dirs(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.split("/")[:-1], b.split("/")[:-1], strict=False):
        if x != y:
            break
        n += 1
    return n
