"""The decision log: append-only JSON Lines, one event per line, hash-chained and optionally signed.

Each event's ``hash`` is SHA-256 over the RFC 8785 canonical JSON of the event without ``hash`` and
``signature``; ``prev_hash`` links it to the event before. Lines are written in canonical form, so any
edited byte changes either the parsed value (hash mismatch) or the form (not canonical). A head file
beside the log (``<log>.head``) holds the last seq and hash, so removing trailing records is detected.

Writers take an exclusive ``flock`` on ``<log>.lock``, check that the tail is intact and agrees with the
head, append one line with a single ``write``, ``fsync`` it, then replace the head atomically. Anything
that prevents this raises ``LogWriteError``: an evaluation that cannot be recorded fails closed (exit 3).
A torn last line (a crash mid-write) is never dropped here: ``anops-policy audit repair`` moves it aside.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import math
import os
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anops_policy.canonical import dumps as canonical_json
from anops_policy.errors import LogWriteError

if TYPE_CHECKING:  # cryptography loads only for a signed log (start-up)
    from anops_policy.keys import Signer

LOG_API = "anops.dev/decision-log/v1"
DEFAULT_LOG = ".anops-policy/decisions.jsonl"
LOCK_TIMEOUT_S = 120.0
MAX_LINE_BYTES = 64 * 1024 * 1024
UNHASHED = ("hash", "signature")
SAFE_INT = 2**53 - 1


# ---------------------------------------------------------------- canonical form and hashing


def jsonable(value: Any) -> Any:
    """The value as plain JSON that RFC 8785 accepts: integers beyond 2**53 and non-finite floats
    become strings (RFC 8785 refuses them), tuples become lists, other objects their ``str``."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if -SAFE_INT <= value <= SAFE_INT else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)


def canonical(value: Any) -> bytes:
    return canonical_json(jsonable(value))


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def event_hash(event: Mapping[str, Any]) -> str:
    return sha256(canonical({k: v for k, v in event.items() if k not in UNHASHED}))


def event_line(event: Mapping[str, Any]) -> bytes:
    return canonical(event) + b"\n"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(8)}"


def short(digest: Any, n: int = 12) -> str:
    """The hex part of a digest for messages; anything else an edited log holds (a number, a list) is
    shown as its JSON-ish text, never raised on."""
    if not digest:
        return "-"
    return str(digest).split(":", 1)[-1][:n]


def head_message(seq: int, digest: str | None) -> bytes:
    return canonical({"seq": seq, "hash": digest})


# ---------------------------------------------------------------- paths


def head_path(log: Path) -> Path:
    return log.with_name(log.name + ".head")


def lock_path(log: Path) -> Path:
    return log.with_name(log.name + ".lock")


def objects_dir(log: Path) -> Path:
    return log.parent / "objects"


def resolve_log_path(root: Path, configured: str | None, explicit: Path | None) -> Path:
    """``--decision-log`` wins; then the config's ``decision_log``; else ``.anops-policy/decisions.jsonl``.
    Relative paths are relative to the evaluated directory."""
    if explicit is not None:
        return explicit
    rel = Path(configured) if configured else Path(DEFAULT_LOG)
    return rel if rel.is_absolute() else root / rel


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class Tail:
    seq: int
    hash: str | None


def read_head(log: Path) -> dict[str, Any] | None:
    path = head_path(log)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return {"error": f"unreadable head file {path.name}: {exc}"}
    return data if isinstance(data, dict) else {"error": f"head file {path.name} is not a JSON object"}


def last_line(log: Path) -> bytes | None:
    """The log's last line including its newline (``b""`` for an empty log, None when absent). A last
    line without a newline is returned as is: the caller decides it is torn."""
    try:
        fh = log.open("rb")
    except FileNotFoundError:
        return None
    with fh:
        end = fh.seek(0, os.SEEK_END)
        if end == 0:
            return b""
        block, pos, buf = 65536, end, b""
        while pos > 0:
            step = min(block, pos)
            pos -= step
            fh.seek(pos)
            buf = fh.read(step) + buf
            cut = buf.rfind(b"\n", 0, len(buf) - 1)
            if cut >= 0:
                return buf[cut + 1:]
            if len(buf) > MAX_LINE_BYTES:
                raise LogWriteError(f"decision log {log}: last record is over {MAX_LINE_BYTES} bytes")
        return buf


def iter_lines(log: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes with newline) for every line; the last may lack its newline (torn)."""
    with log.open("rb") as fh:
        yield from enumerate(fh, 1)


def read_events(log: Path) -> list[dict[str, Any]]:
    """Every parseable event, in file order (for listing; ``audit verify`` judges integrity)."""
    if not log.is_file():
        return []
    out = []
    for _number, line in iter_lines(log):
        if not line.endswith(b"\n"):
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            out.append(event)
    return out


# ---------------------------------------------------------------- writing


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


class DecisionLog:
    """One log file and its head, lock and object store."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def failure(self, what: str, exc: OSError | None = None) -> LogWriteError:
        why = f": {exc.strerror or exc}" if exc is not None else ""
        return LogWriteError(
            f"decision log {self.path}: {what}{why} (nothing was recorded; the evaluation fails closed — "
            "fix the log or pass --no-decision-log to evaluate without recording)"
        )

    def prepare(self) -> None:
        """Create the folder and check the log can be locked and written, before any expensive work."""
        folder = self.path.parent
        if folder.exists() and not folder.is_dir():
            raise self.failure(f"cannot be written: {folder} is not a folder")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with self.locked():
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                os.close(fd)
        except OSError as exc:
            raise self.failure("cannot be written", exc) from None

    @contextlib.contextmanager
    def locked(self, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
        try:
            fd = os.open(lock_path(self.path), os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise self.failure("cannot create its lock file", exc) from None
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        raise self.failure("cannot be locked", exc) from None
                    if time.monotonic() > deadline:
                        raise self.failure(f"still locked by another process after {timeout_s:.0f} s") from None
                    time.sleep(0.005)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def tail(self) -> Tail:
        """The last record's seq and hash, after checking it is whole, unedited and matches the head."""
        line = last_line(self.path)
        head = read_head(self.path)
        if head is not None and "error" in head:
            raise self.failure(str(head["error"]))
        if not line:
            if head is not None and int(head.get("seq", 0)) > 0:
                raise self.failure(f"the log is empty but its head file records seq {head.get('seq')}: "
                                 "the log was truncated; run `anops-policy audit verify`")
            return Tail(0, None)
        if not line.endswith(b"\n"):
            raise self.failure("its last line is torn (an interrupted write); run `anops-policy audit verify`, "
                             "then `anops-policy audit repair` to move the torn line aside")
        try:
            event = json.loads(line)
            seq, digest, prev = int(event["seq"]), str(event["hash"]), event.get("prev_hash")
            actual = event_hash(event)  # ValueError when the record has no canonical form
        except (ValueError, KeyError, TypeError):
            raise self.failure("its last record is not a valid event; run `anops-policy audit verify`") from None
        if actual != digest:
            raise self.failure(f"its last record (seq {seq}) does not match its hash; run `anops-policy audit verify`")
        if head is None:
            raise self.failure("its head file is missing, so truncation cannot be ruled out; run "
                             "`anops-policy audit verify` and then `anops-policy audit repair` to rewrite the head")
        head_seq, head_hash = head.get("seq"), head.get("hash")
        lagging = head_seq == seq - 1 and head_hash == prev  # interrupted between the append and the head
        if not (head_seq == seq and head_hash == digest) and not lagging:
            raise self.failure(f"its head file records seq {head_seq} ({short(str(head_hash))}) but the log ends at "
                             f"seq {seq} ({short(digest)}): records were removed or replaced; run "
                             "`anops-policy audit verify`")
        return Tail(seq, digest)

    def append(self, build: Callable[[Tail], dict[str, Any]], signer: Signer | None = None) -> dict[str, Any]:
        """Append the event ``build(tail)`` returns, chained to the tail; returns it with seq and hash."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self.failure("cannot create its folder", exc) from None
        with self.locked():
            tail = self.tail()
            event = dict(build(tail))
            event.update(seq=tail.seq + 1, prev_hash=tail.hash, time=now_iso())
            event.pop("signature", None)
            event["hash"] = event_hash(event)
            if signer is not None:
                event["signature"] = signer.sign(event["hash"].encode())
            data = event_line(event)
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    written = 0
                    while written < len(data):
                        written += os.write(fd, data[written:])
                    os.fsync(fd)
                finally:
                    os.close(fd)
                self.write_head(event["seq"], event["hash"], signer)
            except OSError as exc:
                raise self.failure("write failed", exc) from None
        return event

    def write_head(self, seq: int, digest: str | None, signer: Signer | None) -> None:
        head: dict[str, Any] = {"apiVersion": LOG_API, "log": self.path.name, "seq": seq, "hash": digest,
                                "time": now_iso()}
        if signer is not None:
            head["signature"] = signer.sign(head_message(seq, digest))
        write_atomic(head_path(self.path), json.dumps(head, indent=2).encode() + b"\n")
