"""The rust collector against Cargo itself: on every crate in the rust case repositories and in
examples/anops, the dependencies, dev- and build-dependencies, targets (bins, integration tests, lib,
examples, benches, build script), bin names and workspace members must match
``cargo metadata --no-deps --offline --format-version 1``."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import RepoConfig
from anops_policy.pipeline.collect import collect_facts

HERE = Path(__file__).parent
REPOS = [
    HERE / "rust" / "cases" / "workspace" / "repo",
    HERE / "rust" / "cases" / "standalone-cli" / "repo",
    HERE.parent.parent / "examples" / "anops",
]
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CARGO = shutil.which("cargo")
pytestmark = pytest.mark.skipif(CARGO is None, reason="cargo is not on PATH: cannot compare with `cargo metadata`")


def cargo_req(spec: str) -> str:
    """Cargo's rendering of a requirement as written: a bare version gets its implicit caret ("1.0" →
    "^1.0") and each comparator loses the space after its operator (">= 1, < 2" → ">=1, <2")."""
    parts = []
    for raw in spec.split(","):
        part = raw.strip()
        op = part[: len(part) - len(part.lstrip("<>=~^"))]
        version = part[len(op) :].strip()
        parts.append((op or ("^" if version[:1].isdigit() else "")) + version)
    return ", ".join(parts)


def no_space(cfg: str | None) -> str | None:
    """Cargo re-renders `cfg(…)` expressions with its own spacing; compare them without whitespace."""
    return None if cfg is None else "".join(cfg.split())


def cargo_metadata(manifest: Path) -> dict[str, Any]:
    assert CARGO is not None
    out = subprocess.run(
        [CARGO, "metadata", "--no-deps", "--offline", "--format-version", "1", "--manifest-path", str(manifest)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def rel(path: str, root: Path) -> str:
    return Path(path).resolve().relative_to(root.resolve()).as_posix()


def crate_dir(manifest_path: str, root: Path) -> str:
    parent = Path(manifest_path).resolve().parent
    return "." if parent == root.resolve() else parent.relative_to(root.resolve()).as_posix()


@pytest.mark.parametrize("source", REPOS, ids=[p.parent.name if p.name == "repo" else p.name for p in REPOS])
def test_matches_cargo_metadata(source: Path, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(source, root, symlinks=True)
    facts = collect_facts(root, RepoConfig(), now=NOW, only=["rust"], use_git=False)
    assert facts["meta"]["collectors"]["rust"]["status"] == "ok", facts["meta"]["collectors"]["rust"]
    rust = facts["rust"]
    # cargo is asked once per workspace root and once per crate outside any workspace
    entry_points = sorted(
        {ws["manifest"] for ws in rust["workspaces"].values()}
        | {c["manifest"] for c in rust["crates"].values() if c["workspace"] is None}
    )
    seen: set[str] = set()
    for manifest in entry_points:
        meta = cargo_metadata(root / manifest)
        if manifest in {ws["manifest"] for ws in rust["workspaces"].values()}:
            ws_root = next(r for r, ws in rust["workspaces"].items() if ws["manifest"] == manifest)
            members = sorted(
                crate_dir(p["manifest_path"], root) for p in meta["packages"] if p["id"] in meta["workspace_members"]
            )
            assert rust["workspaces"][ws_root]["members"] == members
        for package in meta["packages"]:
            directory = crate_dir(package["manifest_path"], root)
            seen.add(directory)
            assert directory in rust["crates"], f"cargo knows {directory}, the collector does not"
            compare_package(rust["crates"][directory], package, root)
    assert seen == set(rust["crates"]), "the collector lists crates cargo does not know"


def compare_package(crate: dict[str, Any], package: dict[str, Any], root: Path) -> None:
    where = crate["path"]
    assert crate["name"] == package["name"], where
    assert crate["version"] == package["version"], where
    assert crate["edition"] == package["edition"], where

    kinds = {"normal": "dependencies", "dev": "dev_dependencies", "build": "build_dependencies"}
    for kind, key in kinds.items():
        expected = {d["name"]: d["req"] for d in package["dependencies"] if (d["kind"] or "normal") == kind}
        actual = {name: cargo_req(spec) for name, spec in crate[key].items()}
        assert actual == expected, f"{where}: {key}"
    expected_details = sorted(
        (
            d["kind"] or "normal",
            d["name"],
            d["rename"],
            d["optional"],
            no_space(d["target"]),
            rel(d["path"], root) if d.get("path") else None,
        )
        for d in package["dependencies"]
    )
    actual_details = sorted(
        (
            d["kind"],
            d["name"],
            d["key"] if d["key"] != d["name"] else None,
            d["optional"],
            no_space(d["target"]),
            d["dep_path"],
        )
        for d in crate["dependency_details"]
    )
    assert actual_details == expected_details, f"{where}: dependency details"

    cargo_targets = set()
    for t in package["targets"]:
        kind = (
            "lib"
            if any(k in ("lib", "rlib", "dylib", "cdylib", "staticlib", "proc-macro") for k in t["kind"])
            else t["kind"][0]
        )
        cargo_targets.add((kind, t["name"], rel(t["src_path"], root)))
    ours = crate["targets"]
    our_targets = {
        (t["kind"], t["name"], t["path"]) for group in ("bins", "tests", "examples", "benches") for t in ours[group]
    }
    if ours["lib"] is not None:
        our_targets.add(("lib", ours["lib"]["name"], ours["lib"]["path"]))
    if ours["build_script"] is not None:
        our_targets.add(("custom-build", "build-script-build", ours["build_script"]))
    assert our_targets == cargo_targets, f"{where}: targets"
    assert crate["bin_names"] == sorted(t["name"] for t in package["targets"] if "bin" in t["kind"])
    assert [t["name"] for t in crate["tests"]["integration"]] == sorted(
        t["name"] for t in package["targets"] if "test" in t["kind"]
    )
