"""Staleness of generated Python gRPC code by regenerating it with grpcio-tools and comparing what it
defines. Stubs are produced here by the real ``python -m grpc_tools.protoc`` from protos this test
writes; then the proto changes (or only the generator's version boilerplate does)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import RepoConfig
from anops_policy.pipeline.collect import collect_facts

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("grpc_tools") is None, reason="grpcio-tools is not installed: cannot regenerate stubs"
)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
PROTO = """syntax = "proto3";

package shop.v1;

service Shop {
  rpc Buy(Order) returns (Receipt);
  rpc Track(Order) returns (stream Status);
}

message Order {
  string id = 1;
}

message Receipt {
  string order_id = 1;
}

message Status {
  string state = 1;
}
"""


def generate(root: Path, include: str, proto: str, dest: str) -> None:
    """Generate the stubs of ``include/proto`` the way a project would and put them in ``dest``."""
    out = root / ".." / "generated"
    out.mkdir(exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{root / include}", f"--python_out={out}",
         f"--grpc_python_out={out}", str(root / include / proto)],
        check=True, capture_output=True,
    )  # fmt: skip
    stem = proto[: -len(".proto")]
    (root / dest).mkdir(parents=True, exist_ok=True)
    for suffix in ("_pb2.py", "_pb2_grpc.py"):
        produced = out / f"{stem}{suffix}"
        (root / dest / produced.name.split("/")[-1]).write_text(produced.read_text())


def repo_with_stubs(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "api" / "shop" / "v1").mkdir(parents=True)
    (root / "api" / "shop" / "v1" / "shop.proto").write_text(PROTO)
    # generated with `-Iapi`, so the descriptor names the file "shop/v1/shop.proto"
    generate(root, "api", "shop/v1/shop.proto", "service")
    return root


def facts(root: Path, config: RepoConfig | None = None) -> dict[str, Any]:
    doc = collect_facts(root, config or RepoConfig(), now=NOW, only=["grpc"], use_git=False)
    assert doc["meta"]["collectors"]["grpc"]["status"] == "ok", doc["meta"]["collectors"]["grpc"]
    section: dict[str, Any] = doc["grpc"]
    return section


def stale(section: dict[str, Any]) -> dict[str, bool | None]:
    return {s["path"]: s["stale_by_regeneration"] for s in section["stubs"]}


def test_current_stubs_are_fresh(tmp_path: Path) -> None:
    section = facts(repo_with_stubs(tmp_path))
    assert section["staleness"]["regeneration"] == {"available": True, "reason": None, "regenerated": 1}
    assert stale(section) == {"service/shop_pb2.py": False, "service/shop_pb2_grpc.py": False}
    assert section["stale_stubs"] == []


def test_a_new_field_makes_the_messages_stale(tmp_path: Path) -> None:
    root = repo_with_stubs(tmp_path)
    proto = root / "api" / "shop" / "v1" / "shop.proto"
    proto.write_text(PROTO.replace("  string id = 1;\n", "  string id = 1;\n  int64 cents = 2;\n"))
    section = facts(root)
    assert stale(section) == {"service/shop_pb2.py": True, "service/shop_pb2_grpc.py": False}
    assert section["stale_stubs"] == [
        {
            "path": "service/shop_pb2.py",
            "proto": "api/shop/v1/shop.proto",
            "reasons": [
                "regenerated from api/shop/v1/shop.proto: the serialized descriptor (messages, enums, services) differs"
            ],
        }
    ]
    assert section["protos"]["api/shop/v1/shop.proto"]["stale"] is True


def test_a_new_rpc_makes_both_stale(tmp_path: Path) -> None:
    root = repo_with_stubs(tmp_path)
    proto = root / "api" / "shop" / "v1" / "shop.proto"
    proto.write_text(PROTO.replace("  rpc Track", "  rpc Cancel(Order) returns (Receipt);\n  rpc Track"))
    section = facts(root)
    assert stale(section) == {"service/shop_pb2.py": True, "service/shop_pb2_grpc.py": True}
    grpc_stub = next(s for s in section["stubs"] if s["path"] == "service/shop_pb2_grpc.py")
    assert grpc_stub["reasons"] == ["regenerated from api/shop/v1/shop.proto: the service methods differ"]


def test_generator_version_boilerplate_is_not_a_change(tmp_path: Path) -> None:
    """Stubs from another grpcio-tools/protobuf release differ in headers and version checks only."""
    root = repo_with_stubs(tmp_path)
    messages = root / "service" / "shop_pb2.py"
    text = messages.read_text()
    assert "# Protobuf Python Version: " in text
    assert "ValidateProtobufRuntimeVersion" in text
    text = re.sub(r"# Protobuf Python Version: .*", "# Protobuf Python Version: 5.26.0", text)
    text = re.sub(r"(ValidateProtobufRuntimeVersion\(\s*_runtime_version\.Domain\.PUBLIC,\s*)\d+", r"\g<1>5", text)
    messages.write_text("# regenerated on a laptop\n" + text)
    services = root / "service" / "shop_pb2_grpc.py"
    text = services.read_text()
    assert "GRPC_GENERATED_VERSION = " in text
    text = re.sub(r"GRPC_GENERATED_VERSION = '[^']*'", "GRPC_GENERATED_VERSION = '1.62.0'", text)
    assert "_registered_method=True" in text
    text = text.replace(", _registered_method=True", "").replace("_registered_method=True", "")  # older generators
    services.write_text(text)
    assert stale(facts(root)) == {"service/shop_pb2.py": False, "service/shop_pb2_grpc.py": False}


def test_a_proto_that_does_not_compile_is_a_problem_not_a_verdict(tmp_path: Path) -> None:
    root = repo_with_stubs(tmp_path)
    (root / "api" / "shop" / "v1" / "shop.proto").write_text(PROTO.replace("message Status {", "message Status {{"))
    section = facts(root)
    assert stale(section) == {"service/shop_pb2.py": None, "service/shop_pb2_grpc.py": None}
    [problem] = section["problems"]
    assert problem["path"] == "api/shop/v1/shop.proto"
    assert problem["message"].startswith("regeneration failed: shop/v1/shop.proto:")
    assert "tmp" not in problem["message"]


def test_regeneration_can_be_switched_off(tmp_path: Path) -> None:
    config = RepoConfig(raw={"collect": {"options": {"grpc": {"regenerate": False}}}})
    section = facts(repo_with_stubs(tmp_path), config)
    assert section["staleness"]["regeneration"]["available"] is False
    assert set(stale(section).values()) == {None}
