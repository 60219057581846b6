"""``anops-policy signoff``: the responsible engineer accepts one logged evaluation.

The sign-off event is bound to that eval event's hash, which covers its commit, fact digest and pack
digests, so a sign-off cannot be moved to another evaluation. It is refused when the evaluation had
blocking failures (the pending sign-off item itself aside) unless ``--override`` with a reason, which
is recorded; and refused on a log that fails verification (a sign-off must not launder tampering)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from anops_policy.audit import sinks
from anops_policy.audit.decision_log import LOG_API, DecisionLog, new_id, read_events
from anops_policy.audit.events import detect_actor
from anops_policy.audit.sinks import Log
from anops_policy.audit.verify import VerifyFailed, VerifyOptions
from anops_policy.errors import EXIT_BLOCKING, AnopsError, ConfigError, InputError
from anops_policy.keys import Signer

LATEST = "latest"


class SignoffRefused(AnopsError):
    exit_code = EXIT_BLOCKING


def find_eval(events: Sequence[dict[str, Any]], decision: str) -> dict[str, Any]:
    """The eval event named by ``decision``: its id, a unique id prefix, or ``latest``."""
    evals = [e for e in events if e.get("kind") == "eval"]
    if not evals:
        raise InputError("the decision log holds no evaluation to sign off; run `anops-policy eval` first")
    if decision == LATEST:
        return evals[-1]
    exact = [e for e in evals if e.get("decision_id") == decision]
    if exact:
        return exact[-1]
    prefixed = [e for e in evals if str(e.get("decision_id", "")).startswith(decision)] if len(decision) >= 4 else []
    if len(prefixed) == 1:
        return prefixed[0]
    if len(prefixed) > 1:
        names = ", ".join(str(e["decision_id"]) for e in prefixed[:5])
        raise InputError(f"decision '{decision}' is ambiguous: {names}")
    raise InputError(f"no evaluation with decision id '{decision}' in the log (see `anops-policy audit list`)")


def blocking_failures(event: dict[str, Any]) -> list[dict[str, Any]]:
    exempt = set(event.get("signoff_policies") or [])
    return [d for d in event.get("decisions", []) if d.get("blocking") and d.get("policy") not in exempt]


def sign_off(log_target: Path | Log, decision: str, by: str, *, signer: Signer | None = None, override: bool = False,
             reason: str | None = None) -> dict[str, Any]:
    if not by.strip():
        raise ConfigError("--as: the name of the engineer signing off is required")
    if override and not (reason and reason.strip()):
        raise ConfigError("--override needs --reason \"…\": an override without a recorded reason is not allowed")
    if reason and not override:
        raise ConfigError("--reason is only used with --override")
    log = sinks.as_log(log_target)
    if isinstance(log, DecisionLog) and not log.path.is_file():
        raise InputError(f"decision log {log.path}: no such file; run `anops-policy eval` first")
    result = sinks.verify(log, VerifyOptions(check_objects=False))
    if not result.ok:
        raise VerifyFailed(f"refusing to sign off: the decision log fails verification: "
                           f"{result.problems[0].describe()}")
    target = find_eval(result.events, decision)
    blocking = blocking_failures(target)
    if blocking and not override:
        listed = "; ".join(f"{d.get('policy')}{' [' + str(d['subject']) + ']' if d.get('subject') else ''}"
                           for d in blocking[:8])
        more = f" and {len(blocking) - 8} more" if len(blocking) > 8 else ""
        raise SignoffRefused(
            f"refusing to sign off decision {target['decision_id']}: it has {len(blocking)} blocking "
            f"failure{'s' if len(blocking) != 1 else ''} ({listed}{more}); fix them and evaluate again, or sign "
            "off anyway with --override --reason \"…\" (the override and reason are recorded)"
        )
    repo = target.get("repo") or {}
    event: dict[str, Any] = {
        "apiVersion": LOG_API,
        "kind": "signoff",
        "signoff_id": new_id("s"),
        "decision_id": target["decision_id"],
        "decision_hash": target["hash"],
        "decision_seq": target["seq"],
        "commit": repo.get("commit"),
        "dirty": repo.get("dirty"),
        "facts_digest": target.get("facts_digest"),
        "packs": [{k: p.get(k) for k in ("id", "version", "digest")} for p in target.get("packs", [])],
        "by": by.strip(),
        "actor": detect_actor(log.path.parent if isinstance(log, DecisionLog) else Path.cwd()),
        "override": {"reason": reason.strip() if reason else "",
                     "blocking": [{k: d.get(k) for k in ("policy", "subject", "fingerprint")} for d in blocking]}
        if override else None,
    }
    return log.append(lambda _tail: event, signer)


def latest_eval(log_path: Path) -> dict[str, Any] | None:
    evals = [e for e in read_events(log_path) if e.get("kind") == "eval"]
    return evals[-1] if evals else None
