"""PostgreSQL as the decision store: per-stream chains of records, their heads and the content-addressed
inputs, with appends serialised per stream.

Concurrency, chosen: one transaction per append that locks the stream's head row (``SELECT … FOR
UPDATE`` at READ COMMITTED). The head row must be updated by every append anyway, so its row lock is
the natural mutex: appends to one stream queue behind it (never two records with the same ``seq`` or
``prev_hash``; ``UNIQUE (stream, seq)`` backs that up), appends to different streams never wait for
each other, and nobody retries. SERIALIZABLE would give the same safety but turns every contended
append into a serialization failure and a retry; an advisory lock would serialise without tying the
lock to the data it protects (and is used only for the schema migrations, which have no row yet).

Connections: one cached connection per process and URL. A connection lost before the commit is retried
once on a fresh connection (the server rolled the transaction back, so nothing was written); a failure
during the commit is reported as unknown, never retried blindly (a retried ``request_id`` makes the
caller's retry safe).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import psycopg

from anops_policy.errors import ConfigError, LogWriteError
from anops_policy.store import schema
from anops_policy.store.records import NewRecord, StoredRow, StoreUnavailable, StreamHead, StreamSummary
from anops_policy.store.url import redacted, scrub

CONNECT_TIMEOUT_S = 5
APPLICATION = "anops-policy"
ROW_COLUMNS = "id, stream, seq, hash, prev_hash, line"


# the cached connections of this process: url → connection (a server worker appends many times)
_CONNECTIONS: dict[str, psycopg.Connection[Any]] = {}
_LOCK = threading.Lock()


class PgStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.where = redacted(url)

    # ------------------------------------------------------------ connections and errors

    def failure(self, what: str, exc: BaseException | None = None) -> StoreUnavailable:
        why = f": {scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, self.url)}" \
            if exc is not None else ""
        return StoreUnavailable(f"decision store {self.where}: {what}{why}")

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT_S, application_name=APPLICATION)
        except psycopg.ProgrammingError as exc:  # a malformed URL or option: the user's to fix
            raise ConfigError(f"decision store {self.where}: not a usable connection URL: "
                              f"{scrub(str(exc), self.url)}") from None
        except psycopg.Error as exc:
            raise self.failure("cannot connect", exc) from None

    def connection(self, fresh: bool = False) -> psycopg.Connection[Any]:
        with _LOCK:
            conn = _CONNECTIONS.get(self.url)
            if conn is not None and (fresh or conn.closed or conn.broken):
                conn.close()
                conn = None
            if conn is None:
                conn = self._connect()
                _CONNECTIONS[self.url] = conn
            return conn

    def _run(self, what: str, work: Callable[[psycopg.Connection[Any]], Any]) -> Any:
        """``work`` in one transaction; retried once on a fresh connection when the connection was lost
        before the commit (the server rolled it back)."""
        for attempt in (1, 2):
            conn = self.connection(fresh=attempt == 2)
            committing = False
            try:
                with conn.transaction():
                    out = work(conn)
                    committing = True
                return out
            except (LogWriteError, ConfigError):
                raise
            except psycopg.errors.InsufficientPrivilege as exc:
                raise self.failure(f"{what} refused (privileges)", exc) from None
            except psycopg.errors.UndefinedTable:  # a reader pointed at an empty or another database
                raise ConfigError(f"decision store {self.where}: has no anops-policy tables — nothing has been "
                                  "recorded in this database yet, or the URL names another database") from None
            except psycopg.OperationalError as exc:
                if committing:
                    raise self.failure(f"{what}: the connection was lost while committing, so whether it was "
                                       "recorded is unknown (retry with the same request id)", exc) from None
                if attempt == 2 or not conn.broken:
                    raise self.failure(f"{what} failed", exc) from None
            except psycopg.Error as exc:
                raise self.failure(f"{what} failed", exc) from None
        raise AssertionError("unreachable")

    # ------------------------------------------------------------ schema

    def ensure_schema(self, may_create: bool = True) -> list[str]:
        """Check the schema version; create or migrate it when missing or older (when the role may)."""
        def check(conn: psycopg.Connection[Any]) -> list[str]:
            version = schema.current_version(conn)
            if version == schema.LATEST:
                return []
            if version is not None and version > schema.LATEST:
                raise ConfigError(f"decision store {self.where}: schema version {version} is newer than this "
                                  f"anops-policy knows ({schema.LATEST}); upgrade anops-policy")
            if not may_create:
                raise self.failure(f"has schema version {version or 'none'}, expected {schema.LATEST}; run "
                                   f"`anops-policy audit store init {self.where}` as the database owner")
            try:
                return schema.migrate(conn)
            except psycopg.errors.InsufficientPrivilege:
                raise self.failure("has no anops-policy schema and this role may not create it; run "
                                   f"`anops-policy audit store init {self.where}` as the database owner") from None
        out: list[str] = self._run("schema check", check)
        return out

    def init(self, writer_role: str | None) -> list[str]:
        def work(conn: psycopg.Connection[Any]) -> list[str]:
            done = schema.migrate(conn) or [f"schema version {schema.LATEST} already in place"]
            if writer_role:
                try:
                    done += schema.grant_writer(conn, writer_role)
                except psycopg.errors.UndefinedObject:
                    raise ConfigError(f"--writer-role {writer_role}: no such role (create it first: CREATE ROLE "
                                      f"{writer_role} LOGIN PASSWORD '…')") from None
            return done
        out: list[str] = self._run("init", work)
        return out

    # ------------------------------------------------------------ appending

    def append(self, stream: str, request_id: str | None,
               make: Callable[[StoredRow | None, StreamHead | None], NewRecord]) -> tuple[StoredRow, bool]:
        """Append ``make(last row, head)`` to ``stream`` under the head's row lock; returns the stored row
        and whether it was already there (a repeated ``request_id``: nothing is appended)."""
        def work(conn: psycopg.Connection[Any]) -> tuple[StoredRow, bool]:
            conn.execute("INSERT INTO anops_heads (stream, seq) VALUES (%s, 0) ON CONFLICT (stream) DO NOTHING",
                         (stream,))
            found = conn.execute("SELECT stream, seq, hash, signature FROM anops_heads WHERE stream = %s FOR UPDATE",
                                 (stream,)).fetchone()
            head = StreamHead(*found) if found and (found[1] or found[2]) else None
            if request_id:
                again = conn.execute(f"SELECT {ROW_COLUMNS} FROM anops_records WHERE stream = %s AND request_id = %s",
                                     (stream, request_id)).fetchone()
                if again:
                    return StoredRow(*again), True
            last = conn.execute(f"SELECT {ROW_COLUMNS} FROM anops_records WHERE stream = %s ORDER BY seq DESC "
                                "LIMIT 1", (stream,)).fetchone()
            record = make(StoredRow(*last) if last else None, head)
            row = conn.execute(
                "INSERT INTO anops_records (stream, seq, hash, prev_hash, kind, time, decision_id, request_id, line) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING " + ROW_COLUMNS,
                (stream, record.seq, record.hash, record.prev_hash, record.kind, record.time, record.decision_id,
                 request_id, record.line)).fetchone()
            conn.execute("UPDATE anops_heads SET seq = %s, hash = %s, signature = %s, updated_at = now() "
                         "WHERE stream = %s", (record.seq, record.hash, record.head_signature, stream))
            assert row is not None
            return StoredRow(*row), False
        out: tuple[StoredRow, bool] = self._run(f"append to stream {stream!r}", work)
        return out

    def set_head(self, stream: str, seq: int, digest: str | None, signature: str | None) -> None:
        self._run("head update", lambda conn: conn.execute(
            "INSERT INTO anops_heads (stream, seq, hash, signature) VALUES (%s, %s, %s, %s) ON CONFLICT (stream) "
            "DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, signature = EXCLUDED.signature, "
            "updated_at = now()", (stream, seq, digest, signature)))

    def import_stream(self, stream: str, records: Sequence[tuple[NewRecord, str | None]],
                      head: StreamHead | None) -> int:
        """Copy records (exactly as they are) into an empty stream; refuses a stream that has records."""
        def work(conn: psycopg.Connection[Any]) -> int:
            conn.execute("INSERT INTO anops_heads (stream, seq) VALUES (%s, 0) ON CONFLICT (stream) DO NOTHING",
                         (stream,))
            conn.execute("SELECT 1 FROM anops_heads WHERE stream = %s FOR UPDATE", (stream,))
            count = conn.execute("SELECT count(*) FROM anops_records WHERE stream = %s", (stream,)).fetchone()
            if count and count[0]:
                raise ConfigError(f"decision store {self.where}: stream {stream!r} already has {count[0]} records; "
                                  "migrate copies into an empty stream only (pick another with --stream)")
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO anops_records (stream, seq, hash, prev_hash, kind, time, decision_id, request_id, "
                    "line) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [(stream, r.seq, r.hash, r.prev_hash, r.kind, r.time, r.decision_id, rid, r.line)
                     for r, rid in records])
            if head is not None:
                conn.execute("UPDATE anops_heads SET seq = %s, hash = %s, signature = %s, updated_at = now() "
                             "WHERE stream = %s", (head.seq, head.hash, head.signature, stream))
            return len(records)
        out: int = self._run(f"import into stream {stream!r}", work)
        return out

    # ------------------------------------------------------------ objects

    def put_objects(self, objects: Mapping[str, bytes]) -> None:
        def work(conn: psycopg.Connection[Any]) -> None:
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO anops_objects (address, data) VALUES (%s, %s) "
                                "ON CONFLICT (address) DO NOTHING", list(objects.items()))
        self._run("storing the evaluation's inputs", work)

    def get_object(self, address: str) -> bytes | None:
        row = self._run("object read", lambda conn: conn.execute(
            "SELECT data FROM anops_objects WHERE address = %s", (address,)).fetchone())
        return bytes(row[0]) if row else None

    # ------------------------------------------------------------ reading

    def rows(self, stream: str) -> list[StoredRow]:
        """The stream's rows in insertion order (``id``), which is the order they were appended in (one
        stream is one repository's history: read whole, in one snapshot)."""
        rows = self._run(f"reading stream {stream!r}", lambda conn: conn.execute(
            f"SELECT {ROW_COLUMNS} FROM anops_records WHERE stream = %s ORDER BY id", (stream,)).fetchall())
        return [StoredRow(*row) for row in rows]

    def head(self, stream: str) -> StreamHead | None:
        row = self._run("head read", lambda conn: conn.execute(
            "SELECT stream, seq, hash, signature FROM anops_heads WHERE stream = %s", (stream,)).fetchone())
        return StreamHead(*row) if row else None

    def streams(self) -> list[StreamSummary]:
        """Every stream that has records or a head (a head without records is a truncated stream)."""
        rows = self._run("stream listing", lambda conn: conn.execute(
            "SELECT coalesce(r.stream, h.stream), coalesce(r.n, 0), h.seq, h.hash, r.last_seq, r.first_time, "
            "r.last_time FROM (SELECT stream, count(*) AS n, max(seq) AS last_seq, min(time) AS first_time, "
            "max(time) AS last_time FROM anops_records GROUP BY stream) r FULL OUTER JOIN anops_heads h "
            "ON h.stream = r.stream WHERE coalesce(r.n, 0) > 0 OR h.seq > 0 ORDER BY 1").fetchall())
        return [StreamSummary(*row) for row in rows]

    def find(self, decision_prefix: str) -> list[tuple[str, str]]:
        """(stream, decision id) of eval and sign-off records whose decision id starts with the prefix."""
        rows = self._run("decision lookup", lambda conn: conn.execute(
            "SELECT DISTINCT stream, decision_id FROM anops_records WHERE decision_id LIKE %s ORDER BY 1, 2 LIMIT 20",
            (decision_prefix.replace("%", r"\%").replace("_", r"\_") + "%",)).fetchall())
        return [(str(s), str(d)) for s, d in rows]
