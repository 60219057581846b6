"""A crate's manifest as facts: its dependencies (by kind, and one detail record each) and its targets
(lib, bins, tests, examples, benches, build script)."""

from __future__ import annotations

from typing import Any

from anops_policy.collectors.rust.manifest import Dependency, Manifest, Target


def str_or_none(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int | float) else None


def dep_map(deps: list[Dependency], kind: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for d in sorted(deps, key=lambda d: (d.target is not None, d.target or "")):
        if d.kind == kind:
            out.setdefault(d.name, d.spec)
    return dict(sorted(out.items()))


def dep_fact(man: Manifest, d: Dependency) -> dict[str, Any]:
    return {
        "name": d.name,
        "key": d.key,
        "kind": d.kind,
        "version": d.version,
        "spec": d.spec,
        "source": d.source,
        "dep_path": d.path,
        "git": d.git,
        "optional": d.optional,
        "inherited": d.inherited,
        "target": d.target,
        "path": man.path,
        "line": d.line,
    }


def _target_fact(man: Manifest, t: Target) -> dict[str, Any]:
    out: dict[str, Any] = {"name": t.name, "kind": t.kind, "path": t.path, "declared": t.declared}
    out["manifest_line"] = t.line
    return out


def targets_fact(man: Manifest, tgts: list[Target]) -> dict[str, Any]:
    lib = next((t for t in tgts if t.kind == "lib"), None)
    build = next((t for t in tgts if t.kind == "custom-build"), None)
    return {
        "lib": _target_fact(man, lib) if lib else None,
        "bins": [_target_fact(man, t) for t in sorted((t for t in tgts if t.kind == "bin"), key=lambda t: t.name)],
        "tests": [_target_fact(man, t) for t in sorted((t for t in tgts if t.kind == "test"), key=lambda t: t.name)],
        "examples": [
            _target_fact(man, t) for t in sorted((t for t in tgts if t.kind == "example"), key=lambda t: t.name)
        ],
        "benches": [_target_fact(man, t) for t in sorted((t for t in tgts if t.kind == "bench"), key=lambda t: t.name)],
        "build_script": build.path if build else None,
    }
