"""The file decision log seen through collection's ``DecisionLogReader``: what the ``signoff`` collector reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from anops_policy.audit.decision_log import event_hash, read_events, resolve_log_path
from anops_policy.keys import load_public_key, signature_ok


class FileLogReader:
    def log_path(self, root: Path, configured: str | None) -> Path:
        return resolve_log_path(root, configured, None)

    def events(self, log: Path) -> list[dict[str, Any]]:
        return read_events(log)

    def event_hash(self, event: Mapping[str, Any]) -> str:
        return event_hash(event)

    def public_key(self, data: bytes, source: str) -> Any:
        return load_public_key(data, source)

    def signature_ok(self, keys: Sequence[Any], signature: Any, message: bytes) -> bool:
        return signature_ok(keys, signature, message)
