"""The file decision log seen through collection's ``DecisionLogReader``: what the ``signoff`` collector reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from anops_policy.audit.decision_log import event_hash, read_events, resolve_log_path
from anops_policy.audit.sinks import events_of, log_name, open_log
from anops_policy.keys import load_public_key, signature_ok
from anops_policy.store.url import is_store_url


class FileLogReader:
    def log_path(self, root: Path, configured: str | None) -> Path:
        return resolve_log_path(root, configured, None)

    def store_events(self, root: Path, configured: str | None,
                     stream: str | None) -> tuple[str, list[dict[str, Any]]] | None:
        if not configured or not is_store_url(configured):
            return None
        log = open_log(configured, root, stream)
        return log_name(log), events_of(log)

    def events(self, log: Path) -> list[dict[str, Any]]:
        return read_events(log)

    def event_hash(self, event: Mapping[str, Any]) -> str:
        return event_hash(event)

    def public_key(self, data: bytes, source: str) -> Any:
        return load_public_key(data, source)

    def signature_ok(self, keys: Sequence[Any], signature: Any, message: bytes) -> bool:
        return signature_ok(keys, signature, message)
