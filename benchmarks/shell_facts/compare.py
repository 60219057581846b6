"""Compare two freezes (``freeze.py --out``) repository by repository: identical, or each difference in the
test commands (with their masking reasons), the package installs and the piped installers, then any other
difference in the two sections as a JSON path.

    python benchmarks/shell_facts/compare.py OLD_DIR NEW_DIR"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _paths(old: Any, new: Any, at: str, out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            _paths(old.get(key), new.get(key), f"{at}.{key}", out)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            _paths(a, b, f"{at}[{i}]", out)
    elif old != new:
        out.append(f"{at}: {json.dumps(old)[:300]} -> {json.dumps(new)[:300]}")


def _commands(facts: dict[str, Any]) -> dict[tuple[str, int, str], Any]:
    ci = facts.get("ci") or {}
    return {(t["path"], t["line"], t["command"]): t.get("masking") for t in ci.get("test_commands", [])}


def main() -> int:
    old_dir, new_dir = Path(sys.argv[1]), Path(sys.argv[2])
    identical = differing = 0
    for old_file in sorted(old_dir.glob("*/*.json")):
        name = str(old_file.relative_to(old_dir))
        new_file = new_dir / name
        old = json.loads(old_file.read_text())
        new = json.loads(new_file.read_text()) if new_file.is_file() else {}
        if old == new:
            identical += 1
            continue
        differing += 1
        print(f"== {name}")
        a, b = _commands(old), _commands(new)
        for key in sorted(set(a) | set(b)):
            if a.get(key, "absent") != b.get(key, "absent"):
                print(f"  test command {key}: {json.dumps(a.get(key, 'absent'))} -> {json.dumps(b.get(key, 'absent'))}")
        diffs: list[str] = []
        _paths(old, new, "", diffs)
        for line in diffs[:40]:
            print(f"  {line}")
        if len(diffs) > 40:
            print(f"  … {len(diffs) - 40} more")
    print(f"{identical} identical, {differing} differing")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
