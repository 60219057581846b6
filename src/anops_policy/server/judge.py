"""What one ``Evaluate`` call does, without gRPC: check the request's JSON (fact document, params, config),
judge the document with the server's packs and build the same report ``anops-policy eval`` builds.

It runs inside a worker process (workers.py), on that process's main thread, so the CEL deadline (a
``setitimer`` signal) works. Everything a client can get wrong raises ``BadRequest`` with a message that
names what was wrong; anything else is an internal error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePath
from typing import Any

from anops_policy.config import RepoConfig, config_from_data
from anops_policy.errors import AnopsError
from anops_policy.evaluation.evaluate import DEFAULT_DEADLINE_S, RunSettings, evaluate_packs
from anops_policy.evaluation.report import Report
from anops_policy.evaluation.unjudged import unjudged_notes
from anops_policy.facts import digest_of, document_errors, iso, parse_timestamp
from anops_policy.policy.model import Level, Pack, Policy
from anops_policy.validation import suggest


class BadRequest(Exception):
    """The request cannot be judged as sent (INVALID_ARGUMENT); the message says what and where."""


@dataclass(frozen=True)
class Job:
    """The parts of an EvaluateRequest the evaluation needs (plain data: it is pickled to a worker)."""

    facts_json: bytes
    packs: tuple[str, ...] = ()
    policies: tuple[str, ...] = ()
    params_json: bytes = b""
    config_json: bytes = b""
    now: str = ""
    fail_on: str = ""
    policy_deadline_s: float = 0.0
    display_path: str = ""
    display_config: str = ""
    repo_prefix: str = ""
    trace_id: str | None = None  # the RPC's trace (when the server traces): into the report and the log
    stream: str = ""  # the repository's stream in a decision store (empty: display_path's last component)
    request_id: str = ""  # idempotency key: a retried request_id is recorded once
    caller: dict[str, str] | None = None  # the verified identity that asked (issuer, subject, repository)


@dataclass(frozen=True)
class Judgement:
    """One evaluation and what it judged (what the decision log records)."""

    report: Report
    document: dict[str, Any]
    config: RepoConfig
    packs: list[Pack]
    settings: dict[str, Any]


@dataclass(frozen=True)
class Judged:
    """The result sent back from a worker: the JSON report and its summary fields."""

    report_json: bytes
    exit_code: int
    items_total: int
    items_applicable: int
    items_satisfied: int
    blocking_failures: int
    summary: str
    outcomes: dict[str, int]
    facts_digest: str
    packs: tuple[tuple[str, str, str, str], ...]  # (id, version, digest, source)
    decision_id: str = ""


def parse_json(data: bytes, what: str) -> Any:
    """JSON from request bytes; errors name the field and the line:column."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"{what}: not UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"{what}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise BadRequest(f"{what}: nested too deeply") from None


def parse_facts(data: bytes) -> dict[str, Any]:
    """The fact document, checked as ``eval --facts`` checks a saved one: schema, meta.now and digest."""
    if not data:
        raise BadRequest("facts_json: empty; send the fact document `anops-policy facts` prints")
    document = parse_json(data, "facts_json")
    problems = document_errors(document)
    if problems:
        raise BadRequest("facts_json does not match the fact schema:\n  " + "\n  ".join(problems))
    try:
        parse_timestamp(document["meta"]["now"])
    except ValueError:
        raise BadRequest(f"facts_json: meta.now '{document['meta']['now']}' is not an ISO timestamp") from None
    actual = digest_of(document)
    if document["meta"]["digest"] != actual:
        raise BadRequest(
            f"facts_json: meta.digest {document['meta']['digest']} does not match its content ({actual}); "
            "the document was changed after it was collected"
        )
    assert isinstance(document, dict)
    return document


def select_packs(loaded: Sequence[Pack], pack_ids: Sequence[str], policy_ids: Sequence[str]) -> list[Pack]:
    """The requested packs in the requested order, narrowed to the requested policies."""
    by_id = {p.id: p for p in loaded}
    chosen = []
    for pid in pack_ids or list(by_id):
        if pid not in by_id:
            raise BadRequest(f"packs: unknown pack '{pid}'{suggest(pid, by_id)}; loaded: {', '.join(by_id)}")
        chosen.append(by_id[pid])
    if not policy_ids:
        return chosen
    known = {p.id for pack in chosen for p in pack.policies}
    for wanted in policy_ids:
        if wanted not in known:
            raise BadRequest(f"policies: unknown policy '{wanted}'{suggest(wanted, known)}")
    keep = set(policy_ids)
    return [replace(pack, policies=tuple(p for p in pack.policies if p.id in keep)) for pack in chosen]


def _object(data: bytes, what: str) -> dict[str, Any]:
    if not data:
        return {}
    value = parse_json(data, what)
    if not isinstance(value, dict):
        raise BadRequest(f"{what}: expected a JSON object, found {type(value).__name__}")
    return value


def judge(job: Job, loaded: Sequence[Pack], max_policy_deadline_s: float) -> Judgement:
    """Evaluate one request."""
    document = parse_facts(job.facts_json)
    packs = select_packs(loaded, job.packs, job.policies)
    try:
        config = config_from_data(_object(job.config_json, "config_json"), None, job.display_config or "config_json")
    except AnopsError as exc:
        raise BadRequest(str(exc)) from None
    params = _object(job.params_json, "params_json")
    overrides = {pid: config.params_for(pid) for pid in config.raw.get("params", {})}
    for pid, values in params.items():
        if not isinstance(values, dict):
            raise BadRequest(f"params_json: {pid} must map parameter names to values")
        overrides[pid] = {**overrides.get(pid, {}), **values}
    known = {p.id for pack in packs for p in pack.policies}
    for pid in overrides:
        if pid not in known:
            raise BadRequest(f"params for unknown policy '{pid}'{suggest(pid, known)}")
    try:
        now = parse_timestamp(job.now or document["meta"]["now"])
    except ValueError:
        raise BadRequest(f"now: '{job.now}' is not an ISO timestamp") from None
    evaluation = config.raw.get("evaluation", {})
    try:
        fail_on = Level(job.fail_on or evaluation.get("fail_on", "soft"))
    except ValueError:
        raise BadRequest(f"fail_on: '{job.fail_on}' is not one of advisory, soft, hard") from None
    deadline = job.policy_deadline_s or float(evaluation.get("deadline_s", DEFAULT_DEADLINE_S))
    if not math.isfinite(deadline) or deadline <= 0:  # NaN passes the schema's bounds and breaks the timer
        raise BadRequest(f"policy_deadline_s: {deadline} is not a positive number of seconds")
    settings = RunSettings(now=now, fail_on=fail_on, deadline_s=min(deadline, max_policy_deadline_s))
    from anops_policy.evaluation import waivers  # noqa: PLC0415

    try:
        decisions = evaluate_packs(packs, document, overrides, settings, where=config.file or "config")
        waived = waivers.apply_waivers(decisions, waivers.parse_waivers(config, now, known), now)
    except AnopsError as exc:
        raise BadRequest(str(exc)) from None
    run = {
        "path": job.display_path or ".",
        "now": iso(now),
        "fail_on": fail_on.value,
        "facts_digest": document["meta"]["digest"],
        "commit": document["meta"]["repo"].get("commit"),
        "config": job.display_config or None,
        "repo_prefix": job.repo_prefix,
    }
    report = Report(
        packs=packs,
        decisions=decisions,
        run=run,
        collectors=document["meta"]["collectors"],
        waivers=waived.entries,
    )
    report.notes.extend([*unjudged_notes(document), *waived.notes])
    report.trace_id = job.trace_id
    settings_used = {"fail_on": fail_on.value, "deadline_s": settings.deadline_s, "baseline": None}
    return Judgement(report, document, config, packs, settings_used)


def record_stream(stream: str, display_path: str, *, store: bool = False) -> str:
    """The stream a request's record goes to (what the authorisation policy is asked about). ``store``: the
    server records to a store, which keeps only well-formed stream names, so any other is refused here,
    before anything is judged (BadRequest), rather than after the evaluation, when it is recorded."""
    name = stream or PurePath(display_path or "unnamed").name or "unnamed"
    if store:
        from anops_policy.audit.streams import STREAM_PATTERN  # noqa: PLC0415

        if not STREAM_PATTERN.match(name):
            what = "stream" if stream else "stream (display_path's last component)"
            raise BadRequest(f"{what} {name[:300]!r}: a stream is 1-255 characters of letters, digits and ._:/@+- "
                             "(for example github.com/acme/payments)")
    return name


def record(log_path: Path | str, judgement: Judgement, job: Job | None = None) -> str:
    """Append the evaluation to the server's decision log or store (fail closed: LogWriteError); its
    decision id (the first call's, for a retried request_id)."""
    from anops_policy.audit.events import record_eval  # noqa: PLC0415
    from anops_policy.audit.sinks import open_log  # noqa: PLC0415

    stream = record_stream(job.stream, job.display_path) if job else "unnamed"
    event = record_eval(
        open_log(log_path, Path.cwd(), stream), judgement.report, judgement.document, judgement.config,
        judgement.packs, root=Path.cwd(), signer=None, config_source={"source": "request"},
        settings=judgement.settings, trace_id=judgement.report.trace_id,
        request_id=(job.request_id or None) if job else None, caller=job.caller if job else None,
    )
    return str(event["decision_id"])


def summarize(report: Report, decision_id: str = "") -> Judged:
    data = report.to_json()
    return Judged(
        report_json=json.dumps(data, ensure_ascii=False).encode("utf-8"),
        exit_code=report.exit_code,
        items_total=len(report.items),
        items_applicable=report.applicable_count,
        items_satisfied=report.satisfied_count,
        blocking_failures=len(report.blocking),
        summary=report.summary_line(),
        outcomes=report.outcome_counts(),
        facts_digest=str(report.run["facts_digest"]),
        packs=tuple((p.id, p.version, p.digest, p.source) for p in report.packs),
        decision_id=decision_id,
    )


def pack_metadata(packs: Sequence[Pack]) -> list[dict[str, Any]]:
    """Plain data describing the loaded packs (ListPolicies/GetPolicy)."""
    out: list[dict[str, Any]] = []
    for pack in packs:
        out.append({
            "id": pack.id, "version": pack.version, "title": pack.title, "digest": pack.digest, "source": pack.source,
            "sections": list(pack.sections),
            "items": [{"id": i.id, "title": i.title, "section": i.section} for i in pack.items],
            "policies": [policy_metadata(pack.id, p) for p in pack.policies],
            "inputs": {name: dict(spec) for name, spec in pack.inputs.items()},
            "patterns": [dict(rule.spec) for rule in pack.patterns],
        })
    return out


def policy_metadata(pack_id: str, policy: Policy) -> dict[str, Any]:
    return {
        "id": policy.id, "pack": pack_id, "title": policy.title, "description": policy.description,
        "checklist": policy.checklist, "severity": policy.severity,
        "phases": [
            {"level": ph.level.value, "until": ph.until.isoformat() if ph.until else ""} for ph in policy.phases
        ],
        "requires": list(policy.requires),
        "params": [{"name": p.name, "type": p.type, "default_json": json.dumps(p.default).encode(),
                    "description": p.description} for p in policy.params],
        "remediation": policy.remediation, "references": list(policy.references), "tags": list(policy.tags),
        "digest": policy.digest, "rule": policy.rule.source,
        "for_each": policy.for_each.source if policy.for_each else "",
        "applies_when": policy.applies_when.source if policy.applies_when else "",
        # the file's name only: the server's folder layout is not the client's business
        "file": PurePath(policy.file).name,
    }
