"""``audit migrate SRC DST``: copy a decision log between a file and a store's stream (either way, or
store to store) with every record byte, hash, signature and head preserved, and the inputs beside it;
then verify both sides and compare them. A source that fails verification is not copied (a copy would
launder the damage); a destination that already has records is refused (nothing is merged)."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from typing import Any

from anops_policy.audit import sinks
from anops_policy.audit import store as log_store
from anops_policy.audit.decision_log import LOG_API, DecisionLog, head_path, iter_lines, objects_dir, write_atomic
from anops_policy.audit.pg_log import PgLog
from anops_policy.audit.sinks import Log
from anops_policy.audit.verify import VerifyFailed, VerifyOptions, VerifyResult
from anops_policy.errors import ConfigError, InputError
from anops_policy.store.records import NewRecord, StreamHead


@dataclass
class MigrateResult:
    source: VerifyResult
    destination: VerifyResult
    objects: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return (self.source.ok and self.destination.ok
                and [e.get("hash") for e in self.source.events] == [e.get("hash") for e in self.destination.events])

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source.to_json(), "destination": self.destination.to_json(), "objects": self.objects,
                "identical": self.identical, "notes": list(self.notes)}


def _addresses(events: list[dict[str, Any]]) -> list[str]:
    out: dict[str, None] = {}
    for event in events:
        objects = event.get("objects")
        if isinstance(objects, dict):
            for address in [objects.get("facts"), objects.get("config"), *(objects.get("packs") or [])]:
                if isinstance(address, str):
                    out[address] = None
    return list(out)


def _object_bytes(log: Log, address: str) -> bytes:
    if isinstance(log, PgLog):
        return log.object_bytes(address)
    return log_store.get_bytes(objects_dir(log.path), address)


def _destination_empty(log: Log) -> None:
    if isinstance(log, DecisionLog):
        if log.path.exists() and log.path.stat().st_size > 0:
            raise ConfigError(f"migrate: {log.path} already has records; the destination must be new or empty")
    elif log.store.ensure_schema() is not None and (log.store.rows(log.stream) or log.head() is not None):
        raise ConfigError(f"migrate: {log.name} already has records; migrate copies into an empty stream only "
                          "(pick another with --stream)")


def migrate(source: Log, destination: Log) -> MigrateResult:
    checked = sinks.verify(source, VerifyOptions(check_objects=False))
    if not checked.ok:
        raise VerifyFailed(f"migrate: the source {checked.name} fails verification, so it is not copied: "
                           f"{checked.problems[0].describe()}")
    if not checked.events:
        raise InputError(f"migrate: the source {checked.name} has no records")
    _destination_empty(destination)
    head = checked.head or {}
    signature = head.get("signature")
    result_notes: list[str] = []
    blobs: dict[str, bytes] = {}
    for address in _addresses(checked.events):
        try:
            blobs[address] = _object_bytes(source, address)
        except InputError as exc:
            result_notes.append(f"not copied: {exc}")
    raw_lines = _raw_lines(source)
    if isinstance(destination, PgLog):
        destination.store.ensure_schema()
        destination.store.put_objects({a: gzip.compress(b, compresslevel=6, mtime=0) for a, b in blobs.items()})
        records = [(NewRecord(seq=int(e["seq"]), hash=str(e["hash"]), prev_hash=e.get("prev_hash"),
                              kind=str(e.get("kind")), time=str(e.get("time")), decision_id=e.get("decision_id"),
                              line=raw.decode("utf-8").rstrip("\n")), None)
                   for e, raw in zip(checked.events, raw_lines, strict=True)]
        destination.store.import_stream(destination.stream, records, StreamHead(
            destination.stream, int(head.get("seq") or 0), head.get("hash"),
            json.dumps(signature) if signature is not None else None) if head else None)
    else:
        path = destination.path
        path.parent.mkdir(parents=True, exist_ok=True)
        store = objects_dir(path)
        for address, data in blobs.items():
            target = log_store.object_path(store, address)
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, gzip.compress(data, compresslevel=6, mtime=0))
        write_atomic(path, b"".join(raw_lines))
        if head:
            out: dict[str, Any] = {"apiVersion": LOG_API, "log": path.name, "seq": head.get("seq"),
                                   "hash": head.get("hash"), "time": checked.events[-1].get("time")}
            if signature is not None:
                out["signature"] = signature
            write_atomic(head_path(path), json.dumps(out, indent=2).encode() + b"\n")
    after = sinks.verify(destination)
    return MigrateResult(sinks.verify(source), after, len(blobs), result_notes)


def _raw_lines(log: Log) -> list[bytes]:
    """The records exactly as stored (a verified source: every line whole and canonical)."""
    if isinstance(log, PgLog):
        return [raw for _id, raw in log.lines()]
    return [raw for _n, raw in iter_lines(log.path)]
