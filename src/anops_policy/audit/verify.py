"""``audit verify``: check a decision log record by record, and ``audit repair`` for the one damage an
honest crash leaves (a torn last line, a head one record behind).

Checks per record: whole line, valid JSON, canonical form, expected ``seq``, ``hash`` matches the
content, ``prev_hash`` matches the record before, signature (with ``--public-key``), sign-offs bound to
a real eval event, stored objects present and matching. Then the head file (or ``--expect-head``)
against the chain, which is what catches removed trailing records. Without a signing key or a head
recorded elsewhere, someone who rewrites the whole log and head cannot be detected: the log is
tamper-evident against edits, not against a full rewrite.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from anops_policy.audit import store as log_store
from anops_policy.audit.decision_log import (
    LOG_API,
    DecisionLog,
    event_hash,
    event_line,
    head_message,
    iter_lines,
    now_iso,
    objects_dir,
    read_head,
    short,
)
from anops_policy.errors import EXIT_BLOCKING, AnopsError, InputError
from anops_policy.keys import Signer, signature_ok

if TYPE_CHECKING:  # cryptography loads with the keys that check signatures (anops_policy.keys)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

REQUIRED_FIELDS = ("apiVersion", "kind", "seq", "time", "prev_hash", "hash")


class VerifyFailed(AnopsError):
    exit_code = EXIT_BLOCKING


@dataclass(frozen=True)
class Problem:
    line: int | None
    seq: int | None
    reason: str
    unit: str = "line"  # "row" for a store's record: line is then the row's id

    def describe(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"{self.unit} {self.line}")
        if self.seq is not None:
            where.append(f"seq {self.seq}")
        return f"record at {', '.join(where)}: {self.reason}" if where else self.reason


@dataclass
class VerifyResult:
    name: str  # the log's path, or the store (without credentials) and stream
    events: list[dict[str, Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    head: dict[str, Any] | None = None
    torn: bytes | None = None
    signed: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def last(self) -> dict[str, Any] | None:
        return self.events[-1] if self.events else None

    def to_json(self) -> dict[str, Any]:
        last = self.last
        return {
            "log": self.name, "ok": self.ok, "records": len(self.events), "signed": self.signed,
            "last_seq": last.get("seq") if last else 0, "last_hash": last.get("hash") if last else None,
            "problems": [{p.unit: p.line, "seq": p.seq, "reason": p.reason, "text": p.describe()}
                         for p in self.problems],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class VerifyOptions:
    public_keys: tuple[Ed25519PublicKey, ...] = ()
    require_signed: bool = False
    expect_head: str | None = None
    check_objects: bool = True
    require_signoff: str | None = None


class ChainSource(Protocol):
    """Where a chain's records come from: a log file's lines or a store's rows."""

    name: str
    unit: str
    head_name: str
    head_may_lag: bool  # a crash between the record and the head leaves the head one behind (files only)

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """(line number or row id, the record's canonical bytes with a newline) in written order."""

    def head(self) -> dict[str, Any] | None:
        """The recorded head ({"seq", "hash", "signature"}), {"error": why} when unreadable, None when absent."""

    def object_problem(self, address: str) -> str | None:
        """Why a stored input cannot be used, or None."""

    def row_problem(self, event: Mapping[str, Any], number: int) -> str | None:
        """A store's own check of a record (its indexed columns agree with it), or None."""


class FileSource:
    unit = "line"
    head_name = "head file"
    head_may_lag = True

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)

    def lines(self) -> Iterator[tuple[int, bytes]]:
        return iter_lines(self.path)

    def head(self) -> dict[str, Any] | None:
        return read_head(self.path)

    def object_problem(self, address: str) -> str | None:
        return log_store.problem(objects_dir(self.path), address)

    def row_problem(self, event: Mapping[str, Any], number: int) -> str | None:
        return None


class _Walk:
    def __init__(self, source: ChainSource, options: VerifyOptions) -> None:
        self.source = source
        self.options = options
        self.result = VerifyResult(source.name)
        self.expected_seq = 1
        self.prev_hash: str | None = None
        self.evals: dict[str, dict[str, Any]] = {}
        self.object_cache: dict[str, str | None] = {}

    def problem(self, line: int | None, seq: int | None, reason: str) -> None:
        self.result.problems.append(Problem(line, seq, reason, self.source.unit))

    def run(self) -> VerifyResult:
        parsed: list[tuple[int, bytes, dict[str, Any] | None]] = []
        for number, raw in self.source.lines():
            if not raw.endswith(b"\n"):
                self.result.torn = raw
                self.problem(number, None, f"torn line: {len(raw)} bytes without a final newline (an interrupted "
                                           "write); `anops-policy audit repair` moves it aside")
                break
            try:
                event = json.loads(raw)
            except json.JSONDecodeError as exc:
                parsed.append((number, raw, None))
                self.problem(number, None, f"not valid JSON ({exc.msg} at column {exc.colno}): corrupt or edited")
                continue
            except ValueError:
                parsed.append((number, raw, None))
                self.problem(number, None, "not valid UTF-8 JSON: corrupt or edited")
                continue
            if not isinstance(event, dict) or any(k not in event for k in REQUIRED_FIELDS):
                missing = [k for k in REQUIRED_FIELDS if not isinstance(event, dict) or k not in event]
                parsed.append((number, raw, None))
                self.problem(number, None, f"not a log event (missing {', '.join(missing)})")
                continue
            try:  # a lone surrogate (\ud800) or an integer beyond 2^53 has no canonical form, so no hash
                event_hash(event)
            except ValueError as exc:
                parsed.append((number, raw, None))
                self.problem(number, None, f"has no canonical JSON form ({exc}): corrupt or edited")
                continue
            parsed.append((number, raw, event))
        seq_lines = {e["seq"]: n for n, _r, e in parsed if e is not None and isinstance(e.get("seq"), int)}
        for number, raw, event in parsed:
            if event is not None:
                self.record(number, raw, event, seq_lines)
        self.check_head()
        self.check_signoff()
        return self.result

    def record(self, number: int, raw: bytes, event: dict[str, Any], seq_lines: Mapping[int, int]) -> None:
        seq = event["seq"]
        self.result.events.append(event)
        self.result.lines.append(number)
        expected = self.expected_seq
        if seq != expected:
            if expected in seq_lines and seq_lines[expected] > number:
                self.problem(number, seq, f"reordered: expected seq {expected} here, found seq {seq} "
                                          f"(seq {expected} is at {self.source.unit} {seq_lines[expected]})")
            elif isinstance(seq, int) and seq > expected:
                gone = f"seq {expected}" if seq == expected + 1 else f"seqs {expected}..{seq - 1}"
                self.problem(number, seq, f"missing {gone} before this record (records deleted)")
            else:
                self.problem(number, seq, f"seq {seq} repeats or goes backwards (expected {expected})")
        elif event_hash(event) != event["hash"]:
            self.problem(number, seq, "hash mismatch: the content does not match the record's hash (edited)")
        elif event_line(event) != raw:
            self.problem(number, seq, "not in canonical form: the line was edited (its parsed content still "
                                      "matches its hash)")
        elif event["prev_hash"] != self.prev_hash:
            self.problem(number, seq, f"prev_hash {short(event['prev_hash'])} does not match the hash of the "
                                      f"previous record ({short(self.prev_hash)}): the chain is broken")
        column = self.source.row_problem(event, number)
        if column:
            self.problem(number, seq, column)
        self.check_signature(number, seq, event)
        self.check_kind(number, seq, event)
        self.expected_seq = (seq if isinstance(seq, int) else expected) + 1
        self.prev_hash = event["hash"]

    def check_signature(self, number: int, seq: int, event: Mapping[str, Any]) -> None:
        signature = event.get("signature")
        if signature is not None:
            self.result.signed += 1
        keys = self.options.public_keys
        if not keys:
            return
        if signature is None:
            if self.options.require_signed:
                self.problem(number, seq, "unsigned record (--require-signed)")
            return
        if not signature_ok(keys, signature, str(event["hash"]).encode()):
            self.problem(number, seq, "bad signature: the record was changed or re-hashed without the signing key, "
                                      "or signed with another key")

    def check_kind(self, number: int, seq: int, event: Mapping[str, Any]) -> None:
        kind = event.get("kind")
        if kind == "eval":
            self.evals[str(event.get("decision_id"))] = dict(event)
            if self.options.check_objects:
                self.check_objects(number, seq, event.get("objects") or {})
        elif kind == "signoff":
            target = self.evals.get(str(event.get("decision_id")))
            if target is None:
                self.problem(number, seq, f"sign-off refers to decision {event.get('decision_id')}, which is not an "
                                          "earlier eval record of this log")
            elif target.get("hash") != event.get("decision_hash"):
                self.problem(number, seq, f"sign-off is bound to hash {short(event.get('decision_hash'))}, but "
                                          f"decision {event.get('decision_id')} has hash {short(target.get('hash'))}")
        elif kind != "repair":
            self.problem(number, seq, f"unknown record kind {kind!r}")

    def check_objects(self, number: int, seq: int, objects: Any) -> None:
        packs = objects.get("packs") if isinstance(objects, Mapping) else None
        if not isinstance(objects, Mapping) or not isinstance(packs or [], list):  # an edited record's odd shapes
            self.problem(number, seq, "objects is not a mapping of stored object addresses: corrupt or edited")
            return
        addresses = [objects.get("facts"), objects.get("config"), *(packs or [])]
        for address in addresses:
            if not isinstance(address, str):
                continue
            if address not in self.object_cache:
                try:
                    self.object_cache[address] = self.source.object_problem(address)
                except InputError as exc:
                    self.object_cache[address] = str(exc)
            issue = self.object_cache[address]
            if issue:
                self.problem(number, seq, f"{issue} (replay impossible; --no-objects skips this check)")

    def check_head(self) -> None:
        last = self.result.last
        last_seq = int(last["seq"]) if last and isinstance(last.get("seq"), int) else 0
        last_hash = last.get("hash") if last else None
        hn = self.source.head_name
        head = self.source.head()
        self.result.head = head
        line = self.result.lines[-1] if self.result.lines else None
        if head is None:
            if last is not None:
                self.problem(None, None, f"{hn} missing: removed trailing records cannot be ruled out "
                                         "(`anops-policy audit repair` rewrites it after a clean verify)")
        elif "error" in head:
            self.problem(None, None, str(head["error"]))
        else:
            head_seq, head_hash = head.get("seq"), head.get("hash")
            if isinstance(head_seq, int) and head_seq > last_seq:
                gone = f"record {head_seq}" if head_seq == last_seq + 1 else f"records {last_seq + 1}..{head_seq}"
                self.problem(line, last_seq or None, f"truncated: the {hn} records seq {head_seq} "
                                                     f"({short(head_hash)}) but the log ends at seq {last_seq}: "
                                                     f"{gone} missing")
            elif head_seq == last_seq and head_hash != last_hash:
                self.problem(line, last_seq, f"the {hn} records hash {short(head_hash)} for seq {head_seq}, "
                                             f"but the record has {short(last_hash)}: the log's end was replaced")
            elif (self.source.head_may_lag and head_seq == last_seq - 1 and last is not None
                  and head_hash == last.get("prev_hash")):
                self.result.notes.append(f"the {hn} is one record behind (a write was interrupted before the "
                                         "head was updated); the next eval or `audit repair` updates it")
            elif head_seq != last_seq:
                self.problem(line, last_seq, f"the {hn} records seq {head_seq}, but the log ends at seq "
                                             f"{last_seq}: records were appended without updating the head")
            signature = head.get("signature")
            keys = self.options.public_keys
            try:
                message = head_message(head_seq if isinstance(head_seq, int) else -1, head_hash)
            except ValueError as exc:  # no canonical form (see run): nothing a signature can cover
                self.problem(None, None, f"the {hn} holds a value with no canonical JSON form: {exc}")
                message = b""
            if keys and signature is not None and not signature_ok(keys, signature, message):
                self.problem(None, None, f"bad signature on the {hn}")
            elif keys and signature is None and self.options.require_signed:
                self.problem(None, None, f"unsigned {hn} (--require-signed)")
        expect = self.options.expect_head
        if expect:
            positions = [i for i, e in enumerate(self.result.events) if e.get("hash") == expect]
            if not positions:
                self.problem(None, None, f"the expected head {short(expect)} is not in the log: it was rewritten or "
                                         "truncated since that head was recorded")
            elif positions[-1] != len(self.result.events) - 1:
                after = len(self.result.events) - 1 - positions[-1]
                self.result.notes.append(f"expected head found at seq {self.result.events[positions[-1]]['seq']}; "
                                         f"{after} record{'s' if after != 1 else ''} appended since")

    def check_signoff(self) -> None:
        commit = self.options.require_signoff
        if not commit:
            return
        keys = self.options.public_keys if self.options.require_signed else ()
        found = valid_signoffs(self.result.events, commit, keys)
        if not found:
            need = " signed and valid" if self.options.require_signed else " valid"
            self.problem(None, None, f"no{need} sign-off for commit {commit}")
        else:
            names = ", ".join(sorted({str(s.get("by")) for s in found}))
            self.result.notes.append(f"commit {commit} signed off by {names}")


def commit_matches(recorded: Any, wanted: str) -> bool:
    return isinstance(recorded, str) and len(wanted) >= 7 and recorded.startswith(wanted.lower())


def valid_signoffs(events: list[dict[str, Any]], commit: str,
                   public_keys: tuple[Ed25519PublicKey, ...] = ()) -> list[dict[str, Any]]:
    """Sign-offs for ``commit`` bound to an earlier eval record of the same commit (and, with keys, signed)."""
    evals: dict[str, dict[str, Any]] = {}
    out = []
    for event in events:
        if event.get("kind") == "eval":
            evals[str(event.get("decision_id"))] = event
        elif event.get("kind") == "signoff" and commit_matches(event.get("commit"), commit):
            target = evals.get(str(event.get("decision_id")))
            if target is None or target.get("hash") != event.get("decision_hash"):
                continue
            repo = target.get("repo")
            if not isinstance(repo, Mapping) or not commit_matches(repo.get("commit"), commit):
                continue
            if public_keys and not signature_ok(public_keys, event.get("signature"), str(event.get("hash")).encode()):
                continue
            out.append(event)
    return out


def verify_log(path: Path, options: VerifyOptions | None = None) -> VerifyResult:
    if not path.exists():
        raise InputError(f"decision log {path}: no such file")
    return verify_source(FileSource(path), options)


def verify_source(source: ChainSource, options: VerifyOptions | None = None) -> VerifyResult:
    """Verify one chain, wherever its records live (the same checks and messages for every store)."""
    return _Walk(source, options or VerifyOptions()).run()


def repair_log(path: Path, signer: Signer | None = None) -> list[str]:
    """Move a torn last line aside (to ``<log>.torn-<time>``), rewrite a missing or lagging head, and
    record the repair as an event. Anything else is refused: other damage is evidence, not a crash."""
    log = DecisionLog(path)
    done: list[str] = []
    with log.locked():
        result = verify_log(path, VerifyOptions(check_objects=False))
        fixable = ("torn line", "head file missing")
        other = [p for p in result.problems if not p.reason.startswith(fixable)]
        if other:
            raise VerifyFailed("repair fixes only a torn last line or a missing or lagging head file; this log has "
                               f"other damage, which is evidence to keep: {other[0].describe()}")
        if result.torn is not None:
            aside = path.with_name(f"{path.name}.torn-{now_iso().replace(':', '')}")
            aside.write_bytes(result.torn)
            with path.open("r+b") as fh:
                fh.truncate(path.stat().st_size - len(result.torn))
                fh.flush()
                os.fsync(fh.fileno())
            done.append(f"moved the torn last line ({len(result.torn)} bytes) to {aside.name}")
        last = result.last
        if result.problems or result.notes:
            log.write_head(int(last["seq"]) if last else 0, last.get("hash") if last else None, signer)
            done.append("rewrote the head file from the last intact record")
    if not done:
        return ["nothing to repair: the log verifies"]
    event = log.append(lambda _tail: {"apiVersion": LOG_API, "kind": "repair", "actions": list(done)}, signer)
    done.append(f"recorded the repair as seq {event['seq']}")
    return done
