"""Assembling the ``grpc`` fact section: protos with their stubs, services, stale and orphan stubs, the
artifact checks, per-directory counts and problems, in a stable order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from anops_policy.collectors.grpc.proto import Proto
from anops_policy.collectors.grpc.stubs import Stub


def build_section(
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


def _check_key(c: dict[str, Any]) -> tuple[str, int, str]:
    return (c["path"], c["line"], c["kind"])


def _ancestors(path: str) -> Iterator[str]:
    parts = path.split("/")[:-1]
    yield "."
    for n in range(1, len(parts) + 1):
        yield "/".join(parts[:n])
