"""What the decision store's rows are, apart from the database driver: ``audit/`` builds and reads these
without importing psycopg (a run that never touches a store never loads it)."""

from __future__ import annotations

from dataclasses import dataclass

from anops_policy.errors import LogWriteError


@dataclass(frozen=True)
class StoredRow:
    id: int
    stream: str
    seq: int
    hash: str
    prev_hash: str | None
    line: str


@dataclass(frozen=True)
class StreamHead:
    stream: str
    seq: int
    hash: str | None
    signature: str | None


@dataclass(frozen=True)
class NewRecord:
    seq: int
    hash: str
    prev_hash: str | None
    kind: str
    time: str
    decision_id: str | None
    line: str
    head_signature: str | None = None


@dataclass(frozen=True)
class StreamSummary:
    stream: str
    records: int
    head_seq: int | None
    head_hash: str | None
    last_seq: int | None
    first_time: str | None
    last_time: str | None


class StoreUnavailable(LogWriteError):
    """The database cannot be reached or refused the work (exit 3; the server answers UNAVAILABLE)."""
