"""A stream of the PostgreSQL decision store with the file log's interface and semantics: the same
events, canonical form, SHA-256 chain, optional Ed25519 signatures and content-addressed inputs; the
head in its own table (so a truncated stream is caught); appends serialised by ``store/`` per stream.
Verification reads the rows through the same walk as the file log (``verify.verify_source``)."""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from anops_policy.audit.decision_log import (
    Tail,
    canonical,
    event_hash,
    event_line,
    head_message,
    now_iso,
    sha256,
    short,
)
from anops_policy.audit.verify import VerifyOptions, VerifyResult, verify_source
from anops_policy.errors import InputError, LogWriteError
from anops_policy.keys import Signer
from anops_policy.store.records import NewRecord, StoredRow, StreamHead


class PgLog:
    """One stream of one store."""

    unit = "row"
    head_name = "head row"
    head_may_lag = False  # a record and its head commit in one transaction

    def __init__(self, url: str, stream: str) -> None:
        from anops_policy.store.postgres import PgStore  # noqa: PLC0415 - psycopg only when a store is used

        self.store = PgStore(url)
        self.stream = stream
        self.name = f"{self.store.where} stream {stream}"
        self.location = self.name
        self._rows: dict[int, StoredRow] = {}

    def failure(self, what: str, exc: OSError | None = None) -> LogWriteError:
        why = f": {exc.strerror or exc}" if exc is not None else ""
        return LogWriteError(f"decision store {self.name}: {what}{why} (nothing was recorded; the evaluation fails "
                             "closed — run `anops-policy audit verify` on the store, or pass --no-decision-log)")

    def prepare(self) -> None:
        """Reach the store and make sure its schema is current (created on first use when the role may)."""
        self.store.ensure_schema()

    # ------------------------------------------------------------ writing

    def put_objects(self, values: list[Any]) -> list[str]:
        blobs: dict[str, bytes] = {}
        addresses = []
        for value in values:
            data = canonical(value)
            address = sha256(data)
            addresses.append(address)
            blobs.setdefault(address, gzip.compress(data, compresslevel=6, mtime=0))
        self.store.put_objects(blobs)
        return addresses

    def _tail(self, last: StoredRow | None, head: StreamHead | None) -> Tail:
        """The last record, checked whole, unedited and agreeing with the head row (as the file log's tail)."""
        if last is None:
            if head is not None and head.seq > 0:
                raise self.failure(f"the stream has no records but its head row records seq {head.seq}: records "
                                   "were deleted; run `anops-policy audit verify`")
            return Tail(0, None)
        try:
            event = json.loads(last.line)
            actual = event_hash(event)
        except (ValueError, TypeError):
            raise self.failure(f"its last record (row {last.id}) is not a valid event; run `anops-policy audit "
                               "verify`") from None
        if actual != last.hash or event.get("hash") != last.hash or event.get("seq") != last.seq:
            raise self.failure(f"its last record (row {last.id}, seq {last.seq}) does not match its hash; run "
                               "`anops-policy audit verify`")
        if head is None or (head.seq, head.hash) != (last.seq, last.hash):
            recorded = f"seq {head.seq} ({short(head.hash)})" if head else "nothing"
            raise self.failure(f"its head row records {recorded} but the stream ends at seq {last.seq} "
                               f"({short(last.hash)}): records were removed or replaced; run `anops-policy audit "
                               "verify`")
        return Tail(last.seq, last.hash)

    def append(self, build: Callable[[Tail], dict[str, Any]], signer: Signer | None = None,
               request_id: str | None = None) -> dict[str, Any]:
        """Append ``build(tail)`` chained to the stream's tail; with a ``request_id`` already recorded,
        the recorded event is returned (with ``"duplicate": True`` beside it, outside the record)."""
        def make(last: StoredRow | None, head: StreamHead | None) -> NewRecord:
            tail = self._tail(last, head)
            event = dict(build(tail))
            event.update(seq=tail.seq + 1, prev_hash=tail.hash, time=now_iso())
            event.pop("signature", None)
            event["hash"] = event_hash(event)
            head_signature = None
            if signer is not None:
                event["signature"] = signer.sign(event["hash"].encode())
                head_signature = json.dumps(signer.sign(head_message(event["seq"], event["hash"])))
            return NewRecord(seq=event["seq"], hash=event["hash"], prev_hash=tail.hash, kind=str(event.get("kind")),
                             time=event["time"], decision_id=event.get("decision_id"),
                             line=event_line(event).decode("utf-8").rstrip("\n"), head_signature=head_signature)

        row, duplicate = self.store.append(self.stream, request_id, make)
        event: dict[str, Any] = json.loads(row.line)
        return {**event, "duplicate": True} if duplicate else event

    # ------------------------------------------------------------ reading (a verify.ChainSource)

    def lines(self) -> Iterator[tuple[int, bytes]]:
        rows = self.store.rows(self.stream)
        self._rows = {row.id: row for row in rows}
        for row in rows:
            yield row.id, row.line.encode("utf-8") + b"\n"

    def head(self) -> dict[str, Any] | None:
        found = self.store.head(self.stream)
        if found is None or (found.seq == 0 and found.hash is None):
            return None
        out: dict[str, Any] = {"seq": found.seq, "hash": found.hash}
        if found.signature:
            try:
                out["signature"] = json.loads(found.signature)
            except ValueError:
                return {"error": f"the head row's signature of stream {self.stream} is not JSON (edited)"}
        return out

    def row_problem(self, event: Mapping[str, Any], number: int) -> str | None:
        row = self._rows.get(number)
        if row is None:
            return None
        for column, value in (("seq", row.seq), ("hash", row.hash), ("prev_hash", row.prev_hash)):
            if event.get(column) != value:
                return (f"the row's {column} column ({short(value) if column != 'seq' else value}) disagrees with "
                        f"its record ({short(event.get(column)) if column != 'seq' else event.get(column)}): edited")
        return None

    def object_bytes(self, address: str) -> bytes:
        data = self.store.get_object(address)
        if data is None:
            raise InputError(f"stored object {address} is missing from {self.store.where}")
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"stored object {address} in {self.store.where} is unreadable: {exc}") from None

    def object_problem(self, address: str) -> str | None:
        try:
            data = self.object_bytes(address)
        except InputError as exc:
            return str(exc)
        if "sha256:" + hashlib.sha256(data).hexdigest() != address:
            return f"stored object {address} does not match its address (corrupt or edited)"
        return None

    def get_object(self, address: str) -> Any:
        if self.object_problem(address):
            raise InputError(str(self.object_problem(address)))
        return json.loads(self.object_bytes(address))

    def events(self) -> list[dict[str, Any]]:
        out = []
        for _id, raw in self.lines():
            try:
                event = json.loads(raw)
            except ValueError:
                continue
            if isinstance(event, dict):
                out.append(event)
        return out

    def verify(self, options: VerifyOptions | None = None) -> VerifyResult:
        return verify_source(self, options)


def streams_of(url: str) -> list[str]:
    from anops_policy.store.postgres import PgStore  # noqa: PLC0415

    return [s.stream for s in PgStore(url).streams()]
