"""Read access to the decision log for the ``signoff`` collector. Collection defines the interface and
``audit`` supplies the implementation at run time, so that no collector imports ``audit`` (the log's
format and hash chain have one owner)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol


class DecisionLogReader(Protocol):
    def log_path(self, root: Path, configured: str | None) -> Path:
        """Where the log of the evaluated directory ``root`` is (``configured``: the config's or option's path)."""
        ...

    def store_events(self, root: Path, configured: str | None,
                     stream: str | None) -> tuple[str, list[dict[str, Any]]] | None:
        """(where, events) of ``root``'s stream when ``configured`` names a central store (a URL) rather
        than a file, else None; ``stream`` overrides the detected one."""
        ...

    def events(self, log: Path) -> list[dict[str, Any]]:
        """Every parseable event of the log, in order (an absent log has none)."""
        ...

    def event_hash(self, event: Mapping[str, Any]) -> str:
        """The hash the event's content must carry; ``ValueError`` when it has no canonical form."""
        ...

    def public_key(self, data: bytes, source: str) -> Any:
        """A verification key read from a key file's bytes (``source`` names it in errors)."""
        ...

    def signature_ok(self, keys: Sequence[Any], signature: Any, message: bytes) -> bool:
        """``signature`` (as stored in an event) verifies ``message`` with one of ``keys``."""
        ...
