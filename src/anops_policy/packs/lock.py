"""``anops-policy.lock``: each pack source pinned to the content it resolved to (pack digest and version)
and to the immutable place it came from (an OCI manifest digest, a git commit). JSON, written with sorted
keys so a change reads as a small diff; read with the safe YAML loader so an error names its line."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from anops_policy.errors import ConfigError
from anops_policy.validation import validate
from anops_policy.yamlsafe import load_yaml_file

LOCK_NAME = "anops-policy.lock"
LOCK_API = "anops.dev/lock/v1"


@dataclass(frozen=True)
class LockEntry:
    source: str
    id: str
    version: str
    digest: str  # the pack digest: every file of the pack (what the decision log and servers name)
    pinned: str = ""  # oci: the manifest digest; git: the commit; https and archives: nothing to pin besides
    signed_by: tuple[str, ...] = ()  # key ids whose signatures verified when it was locked

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"id": self.id, "version": self.version, "digest": self.digest}
        if self.pinned:
            out["pinned"] = self.pinned
        out["signed_by"] = list(self.signed_by)
        return out


def read_lock(path: Path) -> dict[str, LockEntry]:
    """The entries of the lock file at ``path`` by source (none when it does not exist)."""
    if not path.is_file():
        return {}
    data, marks = load_yaml_file(str(path))
    validate(data, "lock", marks, str(path), what="read lock file")
    return {
        source: LockEntry(
            source, e["id"], e["version"], e["digest"], e.get("pinned", ""), tuple(e.get("signed_by", []))
        )
        for source, e in data["packs"].items()
    }


def write_lock(path: Path, entries: Mapping[str, LockEntry]) -> None:
    body = {"apiVersion": LOCK_API, "packs": {s: entries[s].to_json() for s in sorted(entries)}}
    text = json.dumps(body, indent=2, sort_keys=True) + "\n"
    try:
        fd, tmp = tempfile.mkstemp(prefix=".anops-policy.lock.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        Path(tmp).replace(path)
    except OSError as exc:
        raise ConfigError(f"pack lock: cannot write {path}: {exc.strerror or exc}") from None
