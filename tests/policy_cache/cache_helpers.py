"""Exact comparison of loaded policies (syntax trees with every token and node position) and helpers to
run the CLI cold and warm."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import lark

from anops_policy.policy.model import Expr, Policy

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "policies" / "production-readiness"
TOKEN_FIELDS = ("type", "value", "start_pos", "line", "column", "end_line", "end_column", "end_pos")


def tree_differences(a: Any, b: Any, where: str = "") -> list[str]:
    """Where two syntax trees differ: node names, token types, values and positions, node positions."""
    if type(a) is not type(b):
        return [f"{where}: {type(a).__name__} vs {type(b).__name__}"]
    if isinstance(a, lark.Token):
        mine = [getattr(a, f) for f in TOKEN_FIELDS]
        theirs = [getattr(b, f) for f in TOKEN_FIELDS]
        return [] if mine == theirs and str(a) == str(b) else [f"{where}: token {mine} vs {theirs}"]
    if not isinstance(a, lark.Tree):
        return [] if a == b else [f"{where}: {a!r} vs {b!r}"]
    out = tree_differences(a.data, b.data, f"{where}/data") if isinstance(a.data, lark.Token) else (
        [] if a.data == b.data and type(a.data) is type(b.data) else [f"{where}: node {a.data!r} vs {b.data!r}"]
    )
    meta_a = None if a._meta is None else vars(a._meta)
    meta_b = None if b._meta is None else vars(b._meta)
    if meta_a != meta_b:
        out.append(f"{where}/{a.data}: positions {meta_a} vs {meta_b}")
    if len(a.children) != len(b.children):
        return [*out, f"{where}/{a.data}: {len(a.children)} vs {len(b.children)} children"]
    for index, (x, y) in enumerate(zip(a.children, b.children, strict=True)):
        out.extend(tree_differences(x, y, f"{where}/{a.data}[{index}]"))
    return out


def policy_differences(a: Policy, b: Policy) -> list[str]:
    out: list[str] = []

    def compare(x: Any, y: Any, where: str) -> None:
        if isinstance(x, Expr) and isinstance(y, Expr):
            if (x.source, x.file, x.where) != (y.source, y.file, y.where):
                out.append(f"{where}: {(x.source, x.file, x.where)} vs {(y.source, y.file, y.where)}")
            out.extend(tree_differences(x.tree, y.tree, where))
        elif isinstance(x, tuple | list) and isinstance(y, tuple | list) and type(x) is type(y) and len(x) == len(y):
            for index, (u, v) in enumerate(zip(x, y, strict=True)):
                compare(u, v, f"{where}[{index}]")
        elif hasattr(x, "__dataclass_fields__") and type(x) is type(y):
            for f in fields(x):
                compare(getattr(x, f.name), getattr(y, f.name), f"{where}.{f.name}")
        elif type(x) is not type(y) or x != y:
            out.append(f"{where}: {x!r} vs {y!r}")

    compare(a, b, a.id)
    return out


def run(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The real entry point in a fresh interpreter (a repeated CLI run is a new process)."""
    return subprocess.run(
        [sys.executable, "-m", "anops_policy", *args],
        cwd=cwd, capture_output=True, text=True, check=False, env={**os.environ, **(env or {})},
    )


def without_timings(report: Any) -> Any:
    """A JSON report without what legitimately differs between two runs (durations)."""
    if isinstance(report, dict):
        return {k: without_timings(v) for k, v in report.items() if k != "duration_ms"}
    if isinstance(report, list):
        return [without_timings(v) for v in report]
    return report


def json_report(proc: subprocess.CompletedProcess[str]) -> Any:
    return without_timings(json.loads(proc.stdout))


def differences(a: Any, b: Any, where: str = "") -> list[str]:
    """The paths at which two JSON values differ (for a readable failure)."""
    if type(a) is not type(b):
        return [f"{where}: {a!r:.200} vs {b!r:.200}"]
    if isinstance(a, dict):
        out = [f"{where}/{k}: only on one side" for k in sorted(set(a) ^ set(b))]
        for k in sorted(set(a) & set(b)):
            out.extend(differences(a[k], b[k], f"{where}/{k}"))
        return out
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} vs {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{where}[{i}]")]
    return [] if a == b else [f"{where}: {a!r:.200} vs {b!r:.200}"]


def entries(folder: Path) -> list[Path]:
    """The compiled-policy cache's entries (the collectors' summary stores share the folder)."""
    return sorted(folder.glob("compiled-v*/*.json"))
