"""``audit export``: the records of a decision log or of every stream of a store as flat rows for
analysis tools (DuckDB, pandas, a warehouse), as JSON Lines or Parquet with one schema.

One row per record. The columns an auditor filters on are typed and flat (stream, kind, time, commit,
blocking failures, sign-off binding …); the decisions and waivers of an evaluation are nested lists;
``record`` keeps the whole record as RFC 8785 canonical JSON (the form its hash covers, with ``hash`` and
``signature`` beside it), so anything the columns leave out is still there and a row's hash can be
checked again. Records come from hand-editable files and rows, so
every value is coerced to its column's type (a wrong type becomes null, never a crash or a wrong
column type). ``chain_ok`` says whether the record's stream verified when it was exported (null with
``--no-verify``): an analysis of a damaged chain must be able to tell. ``signed`` only says a signature is
present; ``signature_ok`` (with ``--public-key``, else null) says whether the record's content matches its
hash and that hash carries a valid signature by one of the keys: a correctly chained record written
without the signing key (an INSERT by anyone with write access) is not a valid sign-off.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from anops_policy.audit.decision_log import canonical, event_hash
from anops_policy.keys import signature_ok

# (column, DuckDB type): the one schema of both formats (the Parquet writer declares exactly these)
DECISION_FIELDS = (("policy", "VARCHAR"), ("subject", "VARCHAR"), ("outcome", "VARCHAR"), ("severity", "VARCHAR"),
                   ("enforcement", "VARCHAR"), ("blocking", "BOOLEAN"), ("checklist", "VARCHAR"),
                   ("pack", "VARCHAR"), ("message", "VARCHAR"), ("fingerprint", "VARCHAR"))
WAIVER_FIELDS = (("policy", "VARCHAR"), ("subject", "VARCHAR"), ("fingerprint", "VARCHAR"), ("owner", "VARCHAR"),
                 ("ticket", "VARCHAR"), ("reason", "VARCHAR"), ("expires", "DATE"), ("status", "VARCHAR"),
                 ("expiring_soon", "BOOLEAN"))
ITEM_FIELDS = (("pack", "VARCHAR"), ("id", "VARCHAR"), ("section", "VARCHAR"), ("title", "VARCHAR"),
               ("status", "VARCHAR"))


def _struct(fields: Iterable[tuple[str, str]]) -> str:
    return "STRUCT(" + ", ".join(f'"{name}" {kind}' for name, kind in fields) + ")[]"


COLUMNS: tuple[tuple[str, str], ...] = (
    ("stream", "VARCHAR"), ("seq", "BIGINT"), ("kind", "VARCHAR"), ("time", "TIMESTAMPTZ"), ("hash", "VARCHAR"),
    ("prev_hash", "VARCHAR"), ("decision_id", "VARCHAR"), ("signoff_id", "VARCHAR"), ("commit", "VARCHAR"),
    ("branch", "VARCHAR"), ("dirty", "BOOLEAN"), ("actor", "VARCHAR"), ("actor_source", "VARCHAR"),
    ("now", "TIMESTAMPTZ"), ("packs", "VARCHAR"), ("summary", "VARCHAR"), ("items_total", "INTEGER"),
    ("items_applicable", "INTEGER"), ("items_satisfied", "INTEGER"), ("blocking_failures", "INTEGER"),
    ("signoff_by", "VARCHAR"), ("signoff_decision_hash", "VARCHAR"), ("signoff_override", "BOOLEAN"),
    ("signoff_override_reason", "VARCHAR"), ("signed", "BOOLEAN"), ("signature_ok", "BOOLEAN"),
    ("chain_ok", "BOOLEAN"),
    ("items", _struct(ITEM_FIELDS)), ("decisions", _struct(DECISION_FIELDS)), ("waivers", _struct(WAIVER_FIELDS)),
    ("record", "VARCHAR"),
)


@dataclass(frozen=True)
class ExportFilter:
    since: str | None = None  # YYYY-MM-DD, inclusive, on the record's time (UTC)
    until: str | None = None

    def keeps(self, event: Mapping[str, Any]) -> bool:
        day = str(event.get("time", ""))[:10]
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**31 else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


# the instants the tool writes (and DuckDB's TIMESTAMPTZ reads): Python reads more ISO 8601 forms, such as
# week dates or the basic format, that would fail the Parquet writer
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})", re.ASCII)


def _time(value: Any) -> str | None:
    """An ISO 8601 instant as written by the tool (anything else is null rather than a failed export)."""
    from datetime import datetime  # noqa: PLC0415

    if not isinstance(value, str) or not _INSTANT.fullmatch(value):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if parsed.tzinfo is not None else None


def _date(value: Any) -> str | None:
    from datetime import date  # noqa: PLC0415

    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _nested(values: Any, fields: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    convert = {"VARCHAR": _text, "BOOLEAN": _bool, "DATE": _date}
    return [{name: convert[kind](v.get(name)) for name, kind in fields} for v in _list(values)]


def _signature_ok(event: Mapping[str, Any], public_keys: tuple[Any, ...]) -> bool | None:
    """Null without keys; else whether the content matches ``hash`` and ``hash`` is signed by one of the keys."""
    if not public_keys:
        return None
    digest = event.get("hash")
    if not isinstance(digest, str) or not signature_ok(public_keys, event.get("signature"), digest.encode()):
        return False
    try:
        return event_hash(event) == digest
    except Exception:  # no canonical form (a lone surrogate, a huge number): nothing a signature can cover
        return False


def export_row(event: Mapping[str, Any], stream: str, chain_ok: bool | None,
               public_keys: tuple[Any, ...] = ()) -> dict[str, Any]:
    """The row of one record (see the module's docstring)."""
    kind = _text(event.get("kind"))
    repo, actor = _mapping(event.get("repo")), _mapping(event.get("actor"))
    summary = _mapping(event.get("summary"))
    signoff = kind == "signoff"
    override = _mapping(event.get("override"))
    packs = ", ".join(f"{_text(p.get('id')) or '?'} {_text(p.get('version')) or '?'}"
                      for p in _list(event.get("packs")))
    evaluation = kind == "eval"
    return {
        "stream": stream, "seq": _int(event.get("seq")), "kind": kind, "time": _time(event.get("time")),
        "hash": _text(event.get("hash")), "prev_hash": _text(event.get("prev_hash")),
        "decision_id": _text(event.get("decision_id")), "signoff_id": _text(event.get("signoff_id")),
        "commit": _text(event.get("commit") if signoff else repo.get("commit")),
        "branch": _text(repo.get("branch")),
        "dirty": _bool(event.get("dirty") if signoff else repo.get("dirty")),
        "actor": _text(actor.get("name")), "actor_source": _text(actor.get("source")),
        "now": _time(event.get("now")), "packs": packs or None,
        "summary": _text(summary.get("line")) if evaluation else None,
        "items_total": _int(summary.get("items_total")),
        "items_applicable": _int(summary.get("items_applicable", summary.get("items_total"))),
        "items_satisfied": _int(summary.get("items_satisfied")),
        "blocking_failures": _int(summary.get("blocking_failures")),
        "signoff_by": _text(event.get("by")) if signoff else None,
        "signoff_decision_hash": _text(event.get("decision_hash")) if signoff else None,
        "signoff_override": bool(_text(override.get("reason"))) if signoff else None,
        "signoff_override_reason": _text(override.get("reason")) or None if signoff else None,
        "signed": isinstance(event.get("signature"), Mapping),
        "signature_ok": _signature_ok(event, public_keys), "chain_ok": chain_ok,
        "items": _nested(event.get("items"), ITEM_FIELDS) if evaluation else [],
        "decisions": _nested(event.get("decisions"), DECISION_FIELDS) if evaluation else [],
        "waivers": _nested(event.get("waivers"), WAIVER_FIELDS) if evaluation else [],
        "record": _canonical(event),
    }


def _canonical(event: Mapping[str, Any]) -> str:
    try:
        return canonical(event).decode("utf-8")
    except Exception:  # a hand-written record RFC 8785 cannot encode (NaN, huge numbers): kept as plain JSON
        return json.dumps(event, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def rows_of(events: Iterable[Mapping[str, Any]], stream: str, chain_ok: bool | None,
            keep: ExportFilter, public_keys: tuple[Any, ...] = ()) -> Iterator[dict[str, Any]]:
    for event in events:
        if keep.keeps(event):
            yield export_row(event, stream, chain_ok, public_keys)


def write_jsonl(rows: Iterable[Mapping[str, Any]], out: IO[str]) -> int:
    count = 0
    for row in rows:
        line = json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"
        try:
            out.write(line)
        except UnicodeEncodeError:  # a lone surrogate (a "\ud800" escape in a hand-written record) has no UTF-8 form
            out.write(line.encode("utf-8", "replace").decode("utf-8"))
        count += 1
    return count
