"""Where a decision log lives: a file (the embedded default) or a stream of a PostgreSQL store, chosen
by the target's form — a ``postgresql://`` URL is never taken for a path (``Path`` would fold its
``//``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from anops_policy.audit import store as log_store
from anops_policy.audit.decision_log import DEFAULT_LOG, DecisionLog, objects_dir, read_events
from anops_policy.audit.pg_log import PgLog
from anops_policy.audit.streams import detect_stream
from anops_policy.audit.verify import VerifyOptions, VerifyResult, verify_log
from anops_policy.errors import InputError
from anops_policy.store.url import is_store_url

Log = DecisionLog | PgLog
Target = str | Path


def resolve_target(root: Path, configured: str | None, explicit: Target | None) -> Target:
    """``--decision-log`` wins; then the config's ``decision_log``; else ``.anops-policy/decisions.jsonl``.
    Relative paths are relative to the evaluated directory; URLs are kept as they are."""
    if explicit is not None:
        return explicit if is_store_url(explicit) else Path(explicit)
    if configured and is_store_url(configured):
        return configured
    rel = Path(configured) if configured else Path(DEFAULT_LOG)
    return rel if rel.is_absolute() else root / rel


def open_log(target: Target, root: Path | None = None, stream: str | None = None) -> Log:
    """The log at ``target``; for a store, the stream of ``root`` (or ``stream``)."""
    if is_store_url(target):
        return PgLog(str(target), detect_stream(root or Path.cwd(), stream))
    return DecisionLog(Path(target))


def log_name(log: Log) -> str:
    return log.location if isinstance(log, PgLog) else str(log.path)


# ---------------------------------------------------------------- reading either kind of log


def require(log: Log) -> Log:
    """The log, after checking there is something to read (a missing file is a usage error)."""
    if isinstance(log, DecisionLog) and not log.path.is_file():
        raise InputError(f"decision log {log.path}: no such file")
    return log


def events_of(log: Log) -> list[dict[str, Any]]:
    return log.events() if isinstance(log, PgLog) else read_events(log.path)


def verify(log: Log, options: VerifyOptions | None = None) -> VerifyResult:
    if isinstance(log, PgLog):
        return log.verify(options)
    require(log)
    return verify_log(log.path, options)


def stored_object(log: Log, address: str) -> Any:
    return log.get_object(address) if isinstance(log, PgLog) else log_store.get(objects_dir(log.path), address)


def as_log(target: Log | Path) -> Log:
    return DecisionLog(target) if isinstance(target, Path) else target
