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

from typing import Any

from anops_policy.collectors.grpc.artifact_checks import generated_matcher, python_checks, rust_checks
from anops_policy.collectors.grpc.proto import Proto, parse_proto
from anops_policy.collectors.grpc.section import build_section
from anops_policy.collectors.grpc.staleness import git_staleness, regeneration
from anops_policy.collectors.grpc.stubs import python_and_go_stubs, rust_codegen

from anops_policy.collection.collector import CollectContext


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
        stubs = python_and_go_stubs(ctx, files, protos)
        stubs.extend(rust_codegen(ctx, files, protos))
        git_state = git_staleness(ctx, protos, stubs)
        regen_state = regeneration(ctx, protos, stubs, problems)
        generated = generated_matcher(protos)
        checks = python_checks(ctx, files, generated, problems) + rust_checks(ctx, files, generated)
        return build_section(protos, stubs, checks, git_state, regen_state, problems)
