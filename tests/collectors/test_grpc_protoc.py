"""The .proto facts against protoc itself: for every proto in the grpc case repositories and in
examples/anops, ``protoc --include_source_info --descriptor_set_out`` gives package, services, rpcs
(types and streaming flags), messages and enums — nested ones included — each with its source line."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import RepoConfig
from anops_policy.pipeline.collect import collect_facts

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("grpc_tools") is None, reason="grpcio-tools is not installed: no protoc to compare with"
)
HERE = Path(__file__).parent
ROOT = HERE.parent.parent
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
# (repository, include root of its protos relative to the repository)
PROTO_SETS = [
    (HERE / "grpc" / "cases" / "python-stubs" / "repo", "protos"),
    (HERE / "grpc" / "cases" / "python-stubs" / "repo", "legacy"),
    (HERE / "grpc" / "cases" / "rust-tonic" / "repo", "billing-rs/proto"),
    (HERE / "grpc" / "cases" / "rust-tonic" / "repo", "events/proto"),
    (ROOT / "examples" / "anops", "model-service/proto"),
]
# FileDescriptorProto / DescriptorProto / ServiceDescriptorProto field numbers used in SourceCodeInfo paths
MESSAGE_TYPE, ENUM_TYPE, SERVICE = 4, 5, 6
NESTED_TYPE, NESTED_ENUM = 3, 4
METHOD = 2


def protoc_view(include: Path) -> dict[str, dict[str, Any]]:
    from google.protobuf import descriptor_pb2  # noqa: PLC0415 - installed with grpcio-tools

    protos = sorted(p.relative_to(include).as_posix() for p in include.rglob("*.proto"))
    out_file = include.parent / ".." / "descriptors.pb"
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{include}", "--include_source_info",
         f"--descriptor_set_out={out_file}", *protos],
        check=True, capture_output=True,
    )  # fmt: skip
    fds = descriptor_pb2.FileDescriptorSet.FromString(out_file.read_bytes())
    out_file.unlink()
    view: dict[str, dict[str, Any]] = {}
    for f in fds.file:
        lines = {tuple(loc.path): loc.span[0] + 1 for loc in f.source_code_info.location}
        messages: list[tuple[str, int]] = []
        enums: list[tuple[str, int]] = [(e.name, lines[(ENUM_TYPE, i)]) for i, e in enumerate(f.enum_type)]
        _walk(f.message_type, "", (MESSAGE_TYPE,), lines, messages, enums)
        services = [
            (
                s.name,
                lines[(SERVICE, i)],
                [
                    (
                        m.name,
                        lines[(SERVICE, i, METHOD, j)],
                        m.input_type.rsplit(".", 1)[-1],
                        m.output_type.rsplit(".", 1)[-1],
                        m.client_streaming,
                        m.server_streaming,
                    )
                    for j, m in enumerate(s.method)
                ],
            )
            for i, s in enumerate(f.service)
        ]
        view[f.name] = {
            "package": f.package or None,
            "messages": sorted(messages),
            "enums": sorted(enums),
            "services": services,
        }
    return view


def _walk(
    msgs: Any,
    prefix: str,
    path: tuple[int, ...],
    lines: dict[tuple[int, ...], int],
    messages: list[tuple[str, int]],
    enums: list[tuple[str, int]],
) -> None:
    """Messages (map entries are protoc's, not the author's) and enums nested in ``msgs``, dotted."""
    for i, m in enumerate(msgs):
        here = (*path, i)
        if m.options.map_entry:
            continue
        messages.append((prefix + m.name, lines[here]))
        for j, e in enumerate(m.enum_type):
            enums.append((f"{prefix}{m.name}.{e.name}", lines[(*here, NESTED_ENUM, j)]))
        _walk(m.nested_type, f"{prefix}{m.name}.", (*here, NESTED_TYPE), lines, messages, enums)


def our_view(proto: dict[str, Any]) -> dict[str, Any]:
    return {
        "package": proto["package"],
        "messages": sorted((m["name"], m["line"]) for m in proto["messages"]),
        "enums": sorted((e["name"], e["line"]) for e in proto["enums"]),
        "services": [
            (
                s["name"],
                s["line"],
                [
                    (
                        r["name"],
                        r["line"],
                        r["request"].rsplit(".", 1)[-1],
                        r["response"].rsplit(".", 1)[-1],
                        r["client_streaming"],
                        r["server_streaming"],
                    )
                    for r in s["rpcs"]
                ],
            )
            for s in proto["services"]
        ],
    }


@pytest.mark.parametrize("repo, include", PROTO_SETS, ids=[f"{r.parent.name}:{i}" for r, i in PROTO_SETS])
def test_proto_facts_match_protoc(repo: Path, include: str) -> None:
    doc = collect_facts(repo, RepoConfig(raw={"collect": {"options": {"grpc": {"regenerate": False}}}}),
                        now=NOW, only=["grpc"], use_git=False)  # fmt: skip
    ours = doc["grpc"]["protos"]
    expected = protoc_view(repo / include)
    assert expected, "protoc described no files"
    for name, view in expected.items():
        path = f"{include}/{name}"
        assert our_view(ours[path]) == view, path
