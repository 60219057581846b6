"""Whether generated stubs are stale: by git history (the proto committed after the stub) and by
regenerating the Python stubs with ``grpc_tools`` and comparing what they define."""

from __future__ import annotations

import importlib.util
import posixpath
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from anops_policy.collectors.grpc.descriptors import descriptor_name, descriptor_of, grpc_signature
from anops_policy.collectors.grpc.proto import Proto
from anops_policy.collectors.grpc.stubs import Stub

from anops_policy.collection.collector import CollectContext
from anops_policy.collection.git import GitError

REGEN_TIMEOUT_S = 60.0
MAX_REGENERATED = 50


def git_staleness(ctx: CollectContext, protos: dict[str, Proto], stubs: list[Stub]) -> dict[str, Any]:
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


def regeneration(
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
