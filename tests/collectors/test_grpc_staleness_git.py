"""Staleness of generated gRPC code by git history, on temporary repositories with dated commits."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import RepoConfig
from anops_policy.pipeline.collect import collect_facts

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
# regeneration is tested on its own (test_grpc_regeneration.py); here only history decides
CONFIG = RepoConfig(raw={"collect": {"options": {"grpc": {"regenerate": False}}}})
PROTO_V1 = (
    'syntax = "proto3";\npackage shop.v1;\n'
    "service Shop {\n  rpc Buy(Order) returns (Order);\n}\n"
    "message Order {\n  string id = 1;\n}\n"
)
PROTO_V2 = PROTO_V1.replace("  string id = 1;\n", "  string id = 1;\n  int64 cents = 2;\n")


def git(root: Path, *args: str, date: str | None = None) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null"}
    if date is not None:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=root, env=env, check=True, capture_output=True,
    )  # fmt: skip


def commit(root: Path, message: str, date: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, date=date)


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def stubs_of(root: Path) -> dict[str, dict[str, Any]]:
    doc = collect_facts(root, CONFIG, now=NOW, only=["grpc"], use_git=True)
    assert doc["meta"]["collectors"]["grpc"]["status"] == "ok", doc["meta"]["collectors"]["grpc"]
    assert doc["grpc"]["staleness"]["git"] == {"available": True, "reason": None}
    return {s["path"]: s for s in doc["grpc"]["stubs"]}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, "proto/shop.proto", PROTO_V1)
    write(root, "shop/shop_pb2.py", "# generated from v1\n")
    write(root, "shop/shop_pb2_grpc.py", "# generated from v1\n")
    commit(root, "shop v1 with its stubs", "2026-01-05T10:00:00+00:00")
    return root


def test_stubs_committed_with_the_proto_are_fresh(repo: Path) -> None:
    stubs = stubs_of(repo)
    assert {p: s["stale_by_git"] for p, s in stubs.items()} == {
        "shop/shop_pb2.py": False,
        "shop/shop_pb2_grpc.py": False,
    }
    assert stubs["shop/shop_pb2.py"]["last_commit"] == "2026-01-05T10:00:00Z"
    assert stubs["shop/shop_pb2.py"]["stale"] is False


def test_proto_committed_after_the_stubs_is_stale(repo: Path) -> None:
    write(repo, "proto/shop.proto", PROTO_V2)
    commit(repo, "add cents", "2026-02-01T09:30:00+01:00")
    stubs = stubs_of(repo)
    for path in ("shop/shop_pb2.py", "shop/shop_pb2_grpc.py"):
        assert stubs[path]["stale_by_git"] is True
        assert stubs[path]["stale"] is True
        assert stubs[path]["reasons"] == [
            f"proto/shop.proto was committed at 2026-02-01T08:30:00Z, after {path} (2026-01-05T10:00:00Z)"
        ]
    # regenerating and committing the stubs makes them current again
    write(repo, "shop/shop_pb2.py", "# generated from v2\n")
    write(repo, "shop/shop_pb2_grpc.py", "# generated from v2\n")
    commit(repo, "regenerate", "2026-02-02T00:00:00+00:00")
    assert {s["stale_by_git"] for s in stubs_of(repo).values()} == {False}


def test_only_the_stub_left_behind_is_stale(repo: Path) -> None:
    write(repo, "proto/shop.proto", PROTO_V2)
    write(repo, "shop/shop_pb2.py", "# generated from v2\n")
    commit(repo, "add cents, regenerate messages only", "2026-03-01T12:00:00+00:00")
    stubs = stubs_of(repo)
    assert stubs["shop/shop_pb2.py"]["stale_by_git"] is False
    assert stubs["shop/shop_pb2_grpc.py"]["stale_by_git"] is True


def test_uncommitted_proto_change_is_newer_than_committed_stubs(repo: Path) -> None:
    write(repo, "proto/shop.proto", PROTO_V2)
    stubs = stubs_of(repo)
    assert stubs["shop/shop_pb2.py"]["stale_by_git"] is True
    assert stubs["shop/shop_pb2.py"]["reasons"] == [
        "proto/shop.proto has uncommitted changes; shop/shop_pb2.py does not"
    ]


def test_untracked_stub_cannot_be_ordered(repo: Path) -> None:
    write(repo, "client/shop_pb2.py", "# generated somewhere else\n")
    stubs = stubs_of(repo)
    assert stubs["client/shop_pb2.py"]["stale_by_git"] is None
    assert stubs["client/shop_pb2.py"]["stale"] is None
    assert stubs["client/shop_pb2.py"]["reasons"] == ["git history cannot order them (uncommitted or untracked)"]


def test_evaluated_subdirectory_of_a_larger_repository(tmp_path: Path) -> None:
    top = tmp_path / "mono"
    top.mkdir()
    git(top, "init", "-q", "-b", "main")
    write(top, "services/shop/proto/shop.proto", PROTO_V1)
    write(top, "services/shop/gen/shop_pb2.py", "# v1\n")
    write(top, "other/unrelated.txt", "x\n")
    commit(top, "v1", "2026-01-01T00:00:00+00:00")
    write(top, "services/shop/proto/shop.proto", PROTO_V2)
    commit(top, "v2", "2026-01-02T00:00:00+00:00")
    stubs = stubs_of(top / "services" / "shop")
    assert list(stubs) == ["gen/shop_pb2.py"]
    assert stubs["gen/shop_pb2.py"]["proto"] == "proto/shop.proto"
    assert stubs["gen/shop_pb2.py"]["stale_by_git"] is True


def test_without_git_staleness_by_history_is_unknown(repo: Path) -> None:
    doc = collect_facts(repo, CONFIG, now=NOW, only=["grpc"], use_git=False)
    assert doc["grpc"]["staleness"]["git"]["available"] is False
    assert {s["stale_by_git"] for s in doc["grpc"]["stubs"]} == {None}
