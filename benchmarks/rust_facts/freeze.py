"""Golden facts of the rust collector: freeze the ``rust`` section of ``anops-policy facts`` on a set of
repositories, compare two freezes, and digest one so a freeze of third-party code can be cited without
copying it.

    python benchmarks/rust_facts/freeze.py freeze /tmp/rust-freeze/base REPO...       # one JSON per repo
    python benchmarks/rust_facts/freeze.py compare /tmp/rust-freeze/base /tmp/rust-freeze/new
    python benchmarks/rust_facts/freeze.py digest /tmp/rust-freeze/base -o benchmarks/rust_facts/real-code.json

``freeze`` runs ``python -m anops_policy facts REPO --only rust --no-cache --jobs 1 --now …`` with the
interpreter and ``PYTHONPATH`` it is given, so the same script freezes another checkout (``--python``,
``PYTHONPATH``). A repository's file is named after its folder (``--name`` for a single one); a run that
produces no ``rust`` section keeps the collector's status and error instead.

``compare`` prints, per repository, the ``.rs`` files the section mentions and either ``identical`` or
every differing JSON path with both values (``--limit`` per repository)."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

NOW = "2026-11-26T00:00:00Z"


def facts_section(repo: Path, python: str) -> dict[str, Any]:
    """The rust section of ``facts --only rust`` on ``repo`` (or the collector's status and error)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "facts.json"
        cmd = [python, "-m", "anops_policy", "facts", str(repo), "--only", "rust", "--no-cache", "--jobs", "1"]
        cmd += ["--now", NOW, "-o", str(out)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if not out.is_file():
            raise SystemExit(f"facts failed on {repo} ({proc.returncode}): {proc.stderr[-2000:]}")
        document: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    if "rust" in document:
        section: dict[str, Any] = document["rust"]
        return section
    meta = document["meta"]["collectors"]["rust"]
    return {"status": meta["status"], "error": meta["error"]}


def canonical(value: Any) -> str:
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def rs_files(section: dict[str, Any]) -> int:
    """The ``.rs`` files the section names as a crate's source or a test target's files."""
    found: set[str] = set()
    for crate in section.get("crates", {}).values():
        found.update(crate.get("source_files", []))
        for target in crate.get("tests", {}).get("integration", []):
            found.update(target.get("files", []))
    return len(found)


def diff(a: Any, b: Any, path: str = "") -> list[str]:
    """Every JSON path where ``a`` and ``b`` differ, with both values."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in sorted(set(a) | set(b)):
            where = f"{path}.{key}" if path else str(key)
            if key not in a:
                out.append(f"{where}: only in new: {json.dumps(b[key])[:300]}")
            elif key not in b:
                out.append(f"{where}: only in base: {json.dumps(a[key])[:300]}")
            else:
                out.extend(diff(a[key], b[key], where))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for n, (x, y) in enumerate(zip(a, b, strict=True)) for d in diff(x, y, f"{path}[{n}]")]
    if a != b:
        return [f"{path}: base {json.dumps(a)[:300]} / new {json.dumps(b)[:300]}"]
    return []


def freeze(out: Path, repos: list[Path], python: str, name: str | None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for repo in repos:
        section = facts_section(repo, python)
        target = out / f"{name or repo.resolve().name}.json"
        target.write_text(canonical(section), encoding="utf-8")
        print(f"{target.name}: {rs_files(section)} .rs files", flush=True)


def compare(base: Path, new: Path, limit: int) -> int:
    different = 0
    for old_file in sorted(base.glob("*.json")):
        new_file = new / old_file.name
        if not new_file.is_file():
            print(f"{old_file.stem}: missing in {new}")
            different += 1
            continue
        a = json.loads(old_file.read_text(encoding="utf-8"))
        b = json.loads(new_file.read_text(encoding="utf-8"))
        found = diff(a, b)
        verdict = "identical" if not found else f"{len(found)} differences"
        print(f"{old_file.stem}: {rs_files(a)} .rs files, {verdict}")
        for line in found[:limit]:
            print(f"  {line}")
        different += bool(found)
    return 1 if different else 0


def digest(folder: Path) -> dict[str, Any]:
    """Per repository: the section's SHA-256 (of ``canonical``), its ``.rs`` files and its totals."""
    out: dict[str, Any] = {}
    for f in sorted(folder.glob("*.json")):
        section = json.loads(f.read_text(encoding="utf-8"))
        out[f.stem] = {
            "sha256": hashlib.sha256(canonical(section).encode()).hexdigest(),
            "rs_files": rs_files(section),
            "totals": section.get("totals"),
            "problems": len(section.get("problems", [])),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("freeze")
    f.add_argument("out", type=Path)
    f.add_argument("repos", type=Path, nargs="+")
    f.add_argument("--python", default=sys.executable)
    f.add_argument("--name", help="the file name (without .json) for a single repository")
    c = sub.add_parser("compare")
    c.add_argument("base", type=Path)
    c.add_argument("new", type=Path)
    c.add_argument("--limit", type=int, default=20)
    d = sub.add_parser("digest")
    d.add_argument("folder", type=Path)
    d.add_argument("-o", "--output", type=Path)
    args = parser.parse_args(argv)
    if args.command == "freeze":
        freeze(args.out, args.repos, args.python, args.name)
        return 0
    if args.command == "compare":
        return compare(args.base, args.new, args.limit)
    text = json.dumps(digest(args.folder), indent=2, sort_keys=True) + "\n"
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    raise SystemExit(main())
