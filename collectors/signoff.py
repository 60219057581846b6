"""``signoff``: the engineer sign-offs recorded in the decision log, and whether the current commit has
a valid one. The only collector that reads the log (``.anops-policy/`` is invisible to the others), through
the run's ``DecisionLogReader`` (supplied by ``audit``; collectors never import it).

A sign-off is valid when its own hash matches its content, it is bound (``decision_hash``) to an eval
event of the same log whose hash matches too and which evaluated the same commit, and, when the config
names public keys (``collect.options.signoff.public_key``: a path or a list), its signature verifies with
one of them. No log yet is not an error: the list is empty and the sign-off is pending."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from anops_policy.collection.collector import CollectContext
from anops_policy.collection.log_reader import DecisionLogReader
from anops_policy.errors import CollectorFailed

MAX_LOG_BYTES = 512 * 1024 * 1024
MAX_LISTED = 200


class SignoffCollector:
    name = "signoff"
    version = "1"
    depends_on: tuple[str, ...] = ("git",)

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        reader = ctx.log_reader
        if reader is None:
            raise CollectorFailed("no decision-log reader was supplied to this run (an API caller must pass one)")
        root = ctx.repo.root
        log = reader.log_path(root, ctx.config.decision_log)
        options = ctx.options("signoff")
        if options.get("log"):
            log = reader.log_path(root, str(options["log"]))
        configured = options.get("public_key") or []
        public_keys = []
        for name in [configured] if isinstance(configured, str) else configured:
            key_file = Path(str(name))
            key_file = key_file if key_file.is_absolute() else root / key_file
            try:
                public_keys.append(reader.public_key(key_file.read_bytes(), str(name)))
            except OSError as exc:
                raise CollectorFailed(f"collect.options.signoff.public_key {key_file}: {exc.strerror or exc}") from None
        commit = (ctx.facts.get("git") or {}).get("commit")
        target = str(options.get("log") or ctx.config.decision_log or "") or None
        stream = ctx.config.raw.get("decision_log_stream")
        stored = reader.store_events(root, target, str(stream) if stream else None)
        if stored is not None:  # a central store: the repository's stream
            return _judged(reader, stored[1], stored[0], commit, tuple(public_keys))
        shown = _display(log, root)
        if not log.is_file():
            return _section(shown, False, commit, [], None)
        if log.stat().st_size > MAX_LOG_BYTES:
            raise CollectorFailed(f"decision log {shown} is over {MAX_LOG_BYTES} bytes")
        return _judged(reader, reader.events(log), shown, commit, tuple(public_keys))


def _judged(reader: DecisionLogReader, events: list[dict[str, Any]], shown: str, commit: Any,
            public_keys: tuple[Any, ...]) -> dict[str, Any]:
    evals: dict[str, dict[str, Any]] = {}
    signoffs: list[dict[str, Any]] = []
    latest_for_commit = None
    for event in events:
        kind = event.get("kind")
        if kind == "eval":
            evals[str(event.get("decision_id"))] = event
            if _evaluated_commit(event) == commit:
                latest_for_commit = _text(event.get("decision_id"))
        elif kind == "signoff":
            signoffs.append(_judge(reader, event, evals, public_keys))
    return _section(shown, True, commit, signoffs, latest_for_commit)



def _display(log: Path, root: Path) -> str:
    try:
        return log.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(log)


def _text(value: Any) -> str:
    """``str(value)`` with lone surrogates (JSON's ``\\ud800`` escapes) replaced: the fact document must
    stay valid Unicode, or it has no canonical form and no digest."""
    return str(value).encode("utf-8", "replace").decode("utf-8")


def _evaluated_commit(event: dict[str, Any]) -> Any:
    repo = event.get("repo")  # the log is read as found: an edited record may hold anything here
    return repo.get("commit") if isinstance(repo, dict) else None


def _hash_of(reader: DecisionLogReader, event: dict[str, Any]) -> str | None:
    try:
        return reader.event_hash(event)
    except ValueError:  # a lone surrogate or an integer beyond 2^53: no canonical form, so no valid hash
        return None


def _judge(
    reader: DecisionLogReader, event: dict[str, Any], evals: dict[str, dict[str, Any]], public_keys: tuple[Any, ...]
) -> dict[str, Any]:
    target = evals.get(str(event.get("decision_id")))
    problem = None
    own, bound = _hash_of(reader, event), _hash_of(reader, target) if target is not None else None
    if own is None or own != event.get("hash"):
        problem = "the sign-off record does not match its hash"
    elif target is None:
        problem = "bound to an evaluation that is not in the log"
    elif bound is None or bound != target.get("hash") or target.get("hash") != event.get("decision_hash"):
        problem = "bound to an evaluation whose record does not match the bound hash"
    elif _evaluated_commit(target) != event.get("commit"):
        problem = "the sign-off's commit differs from the evaluated commit"
    elif public_keys and not reader.signature_ok(public_keys, event.get("signature"), str(event["hash"]).encode()):
        problem = "missing or bad signature for the configured public key"
    commit = event.get("commit")
    return {
        "commit": _text(commit) if isinstance(commit, str) else None,
        "decision_id": _text(event.get("decision_id")),
        "by": _text(event.get("by", "")),
        "time": _text(event.get("time", "")),
        "signed": isinstance(event.get("signature"), dict),
        "valid": problem is None,
        "problem": problem,
        "override": event.get("override") is not None,
    }


def _section(log: str, present: bool, commit: str | None, signoffs: list[dict[str, Any]],
             latest: Any) -> dict[str, Any]:
    signoffs = sorted(signoffs, key=lambda s: (s["time"], s["decision_id"]))
    by_commit: dict[str, list[dict[str, Any]]] = {}
    for entry in signoffs:
        if entry["commit"]:
            by_commit.setdefault(entry["commit"], []).append(entry)
    mine = [s for s in signoffs if s["commit"] == commit]
    valid = [s for s in mine if s["valid"]]
    decision = str(latest) if latest else "latest"
    return {
        "log": log,
        "log_present": present,
        "commit": commit,
        "signoffs": signoffs[-MAX_LISTED:],
        "by_commit": {k: v[-MAX_LISTED:] for k, v in sorted(by_commit.items())},
        "counts": {"signoffs": len(signoffs), "valid": sum(1 for s in signoffs if s["valid"])},
        "current": {
            "signed_off": bool(valid),
            "by": sorted({s["by"] for s in valid}),
            "invalid": len(mine) - len(valid),
        },
        "pending": {
            "decision_id": str(latest) if latest else None,
            "command": f"anops-policy signoff --decision {decision} --as <your name>",
        },
    }
