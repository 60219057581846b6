"""``audit replay``: re-evaluate a logged decision from its stored inputs (fact document, packs, config,
``now`` and settings) and show what differs from what was logged. With the stored pack a replay must
reproduce the log exactly (anything else means the engine or the store changed); with ``--pack`` it
answers "what would today's pack decide on those same facts?"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from anops_policy.audit import sinks
from anops_policy.audit import store as log_store
from anops_policy.audit.events import logged_decision
from anops_policy.audit.signoff import find_eval
from anops_policy.audit.sinks import Log
from anops_policy.evaluation.evaluate import DEFAULT_DEADLINE_S, RunSettings, evaluate_packs
from anops_policy.evaluation.report import Report
from anops_policy.evaluation.unjudged import unjudged_notes
from anops_policy.evaluation.waivers import apply_waivers, parse_waivers
from anops_policy.facts import digest_of, iso
from anops_policy.policy.model import Level, Pack
from anops_policy.policy.packs import load_pack, resolve_pack_ref

COMPARED = ("outcome", "blocking", "enforcement", "message", "fingerprint", "explanation")


@dataclass
class ReplayResult:
    event: dict[str, Any]
    report: Report
    packs: list[dict[str, Any]]
    stored_pack: bool
    changes: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return not self.changes and not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "decision_id": self.event.get("decision_id"), "seq": self.event.get("seq"), "now": self.event.get("now"),
            "stored_pack": self.stored_pack, "packs": self.packs, "exact": self.exact,
            "problems": self.problems, "changes": self.changes,
            "summary": {"before": (self.event.get("summary") or {}).get("line"), "after": self.report.summary_line()},
        }


def _key(d: Mapping[str, Any]) -> tuple[str, str, str]:
    return (str(d.get("pack", "")), str(d.get("policy", "")), str(d.get("subject") or ""))


def compare(before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]],
            ignore_blocking: bool = False) -> list[dict[str, Any]]:
    """Differences between logged decisions and replayed ones, keyed by pack, policy and subject."""
    old = {_key(d): d for d in before}
    new = {_key(d): d for d in after}
    changes: list[dict[str, Any]] = []
    for key in sorted(set(old) | set(new)):
        _pack, policy, subject = key
        base = {"policy": policy, "subject": subject or None}
        if key not in new:
            changes.append({**base, "change": "removed", "before": old[key].get("outcome"), "after": None})
            continue
        if key not in old:
            changes.append({**base, "change": "added", "before": None, "after": new[key].get("outcome")})
            continue
        for name in COMPARED:
            if name == "blocking" and ignore_blocking:
                continue
            if old[key].get(name) != new[key].get(name):
                changes.append({**base, "change": name, "before": old[key].get(name), "after": new[key].get(name)})
    return changes


def _evaluate(event: Mapping[str, Any], document: dict[str, Any], config_bundle: Mapping[str, Any],
              packs: Sequence[Pack]) -> Report:
    config = log_store.restored_config(config_bundle)
    settings_raw = event.get("settings") or {}
    now = datetime.fromisoformat(str(event["now"]).replace("Z", "+00:00"))
    settings = RunSettings(now=now, fail_on=Level(settings_raw.get("fail_on", "soft")),
                           deadline_s=float(settings_raw.get("deadline_s") or DEFAULT_DEADLINE_S))
    known = {p.id for pack in packs for p in pack.policies}
    overrides = {pid: config.params_for(pid) for pid in config.raw.get("params", {}) if pid in known}
    decisions = evaluate_packs(packs, document, overrides, settings, where=config.file or "config")
    waivers = [w for w in parse_waivers(config, now) if w.policy in known]
    waived = apply_waivers(decisions, waivers, now)
    run = {"path": event.get("path", "."), "now": iso(now), "fail_on": settings.fail_on.value,
           "facts_digest": document["meta"]["digest"], "commit": document["meta"]["repo"].get("commit"),
           "config": config.file}
    report = Report(packs=packs, decisions=decisions, run=run, collectors=document["meta"]["collectors"],
                    waivers=waived.entries)
    report.notes.extend([*unjudged_notes(document), *waived.notes])
    return report


def replay(target: Path | Log, decision: str, pack_refs: Sequence[str] = ()) -> ReplayResult:
    """Re-evaluate a logged evaluation of a log file or a store's stream from its stored inputs."""
    log = sinks.require(sinks.as_log(target))
    event = find_eval(sinks.events_of(log), decision)
    objects = event.get("objects") or {}
    document = sinks.stored_object(log, str(objects.get("facts")))
    config_bundle = sinks.stored_object(log, str(objects.get("config")))
    problems = []
    if digest_of(document) != event.get("facts_digest"):
        problems.append(f"the stored fact document's digest {digest_of(document)} differs from the logged "
                        f"{event.get('facts_digest')}")
    if pack_refs:
        packs = [load_pack(resolve_pack_ref(ref, Path.cwd()), display=ref if ref.startswith("builtin:") else None)
                 for ref in pack_refs]
        report = _evaluate(event, document, config_bundle, packs)
        return _result(event, report, packs, False, problems)
    bundles = [sinks.stored_object(log, str(a)) for a in objects.get("packs", [])]
    with log_store.restored_packs(bundles) as packs:
        logged = {p.get("id"): p.get("digest") for p in event.get("packs", [])}
        for pack in packs:
            if logged.get(pack.id) != pack.digest:
                problems.append(f"the stored pack {pack.id} has digest {pack.digest}, "
                                f"the log says {logged.get(pack.id)}")
        report = _evaluate(event, document, config_bundle, packs)
        return _result(event, report, packs, True, problems)


def _result(event: dict[str, Any], report: Report, packs: Sequence[Pack], stored: bool,
            problems: list[str]) -> ReplayResult:
    after = [logged_decision(d) for d in report.decisions]
    ignore_blocking = bool((event.get("settings") or {}).get("baseline"))
    changes = compare(event.get("decisions", []), after, ignore_blocking=ignore_blocking)
    described = [{"id": p.id, "version": p.version, "digest": p.digest, "source": p.source} for p in packs]
    return ReplayResult(event, report, described, stored, changes, problems)
