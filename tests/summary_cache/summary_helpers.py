"""Running ``facts`` cold, warm and off, and reading or forging the summary cache's store files."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from anops_policy.cli.main import cli
from anops_policy.collection import summary_cache

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-26T12:00:00Z"


def comparable(document: str) -> str:
    """The fact document without what may differ between two runs of the same tree (the time of the run
    and the durations, which its digest leaves out too)."""
    data = json.loads(document)
    data["meta"].pop("generated_at", None)
    for run in data["meta"]["collectors"].values():
        run.pop("duration_ms", None)
    return json.dumps(data, indent=1)


def facts(path: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["facts", str(path), "--now", NOW, *args])
    assert result.exit_code == 0, result.output
    return comparable(result.stdout)


def stores(cache: Path) -> dict[str, Path]:
    """The store files of the cache folder by collector."""
    folder = cache / summary_cache.SUBDIR
    if not folder.is_dir():
        return {}
    return {p.name.rsplit("-", 1)[0]: p for p in sorted(folder.glob("*.json"))}


def rewrite(store: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Change a store's entries and write it back with a valid header and checksum (a forged entry that
    only the decoder can refuse)."""
    head, _, payload = store.read_bytes().partition(b"\n")
    header = json.loads(head)
    entries = json.loads(payload)
    change(entries)
    payload = json.dumps(entries).encode()
    header["sha256"] = hashlib.sha256(payload).hexdigest()
    store.write_bytes(json.dumps(header).encode() + b"\n" + payload)
