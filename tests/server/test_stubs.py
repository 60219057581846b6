"""The committed gRPC stubs are what the generator makes from the .proto today."""

from __future__ import annotations

from pathlib import Path

from anops_policy.server import generate_stubs

from .conftest import ROOT

# the checkout's files (CI runs the tests against an installed copy of the package)
PROTO_ROOT = ROOT / "proto"
COMMITTED = ROOT / "src" / "anops_policy" / "server"


def test_committed_stubs_are_current(tmp_path: Path) -> None:
    written = generate_stubs.generate(tmp_path, PROTO_ROOT)
    assert sorted(p.name for p in written) == sorted(generate_stubs.STUBS)
    stale = [
        p.name for p in written
        if p.read_text(encoding="utf-8") != (COMMITTED / p.name).read_text(encoding="utf-8")
    ]
    assert not stale, f"stale stubs {stale}: run `python -m anops_policy.server.generate_stubs` and commit them"


def test_stubs_import_the_package_not_the_proto_path(tmp_path: Path) -> None:
    text = (COMMITTED / "policy_pb2_grpc.py").read_text(encoding="utf-8")
    assert generate_stubs.PACKAGE_IMPORT in text and generate_stubs.GENERATED_IMPORT not in text
