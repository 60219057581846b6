"""What one evaluation writes to the decision log: the event (who, what commit, which facts, pack and
config, every decision with a short explanation, the waivers) and the stored inputs for replay."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from anops_policy import __version__
from anops_policy.audit import store as log_store
from anops_policy.audit.decision_log import LOG_API, Tail, new_id, objects_dir
from anops_policy.audit.pg_log import PgLog
from anops_policy.audit.sinks import Log, Target, log_name, open_log, resolve_target
from anops_policy.config import RepoConfig
from anops_policy.errors import ConfigError
from anops_policy.evaluation.report import Report
from anops_policy.keys import Signer, signer_from
from anops_policy.policy.model import Decision, Pack
from anops_policy.store.url import is_store_url
from anops_policy.telemetry import decision_logs

MAX_SUMMARY = 500
MAX_EVIDENCE = 20

# who ran the evaluation: the CI system's user variable first, then git, then the OS account
ACTOR_VARIABLES = (
    "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILDKITE_BUILD_CREATOR_EMAIL", "CIRCLE_USERNAME",
    "BUILD_REQUESTEDFOREMAIL", "BITBUCKET_STEP_TRIGGERER_UUID", "JENKINS_USER_ID",
)
CI_VARIABLES = (
    "GITHUB_REPOSITORY", "GITHUB_WORKFLOW", "GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT", "GITHUB_JOB",
    "CI_PROJECT_PATH", "CI_PIPELINE_ID", "CI_JOB_ID", "BUILDKITE_BUILD_ID", "CIRCLE_BUILD_NUM",
    "BUILD_BUILDID", "BUILD_URL",
)


def detect_actor(root: Path, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if environ is None else environ
    ci = {name: env[name] for name in CI_VARIABLES if env.get(name)}
    for name in ACTOR_VARIABLES:
        if env.get(name):
            return {"name": env[name], "source": name, "ci": ci}
    for key in ("user.email", "user.name"):
        try:
            out = subprocess.run(["git", "-C", str(root), "config", key], capture_output=True, text=True,
                                 timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired):
            break
        if out.returncode == 0 and out.stdout.strip():
            return {"name": out.stdout.strip(), "source": f"git config {key}", "ci": ci}
    try:
        return {"name": getpass.getuser(), "source": "os user", "ci": ci}
    except (OSError, KeyError):
        return {"name": "unknown", "source": "none", "ci": ci}


def explanation_summary(explanation: Mapping[str, Any]) -> str:
    """One line from the automatic explanation: each failed clause with the values that decided it."""
    parts = []
    for clause in explanation.get("failed_clauses", []) or []:
        text = str(clause.get("text", ""))
        if "op" in clause:
            parts.append(f"{text} → {_short(clause.get('left'))} {clause['op']} {_short(clause.get('right'))}")
        elif clause.get("macro") in ("all", "not exists"):
            parts.append(f"{text} → {clause.get('failing_count', 0)} of {clause.get('total', 0)} elements fail")
        elif "note" in clause:
            parts.append(f"{text} → {clause['note']}")
        else:
            parts.append(f"{text} → {_short(clause.get('value'))}")
    out = "; ".join(parts)
    return out if len(out) <= MAX_SUMMARY else out[: MAX_SUMMARY - 1] + "…"


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:79] + "…"


def logged_decision(d: Decision) -> dict[str, Any]:
    out: dict[str, Any] = {
        "policy": d.policy, "subject": d.subject, "outcome": d.outcome.value, "severity": d.severity,
        "enforcement": d.enforcement.value, "blocking": d.blocking, "checklist": d.checklist, "pack": d.pack,
        "message": d.message, "explanation": explanation_summary(d.explanation),
        "evidence": [{k: e[k] for k in ("path", "line") if k in e} for e in d.evidence[:MAX_EVIDENCE]],
        "fingerprint": d.fingerprint, "waiver": d.waiver,
    }
    return out


def signoff_policies(packs: Sequence[Pack]) -> list[str]:
    """Policies that read the sign-off facts: a pending sign-off never holds up the sign-off itself."""
    return sorted({p.id for pack in packs for p in pack.policies if "signoff" in p.requires})


def eval_event(report: Report, document: Mapping[str, Any], config: RepoConfig, packs: Sequence[Pack], *,
               root: Path, objects: Mapping[str, Any], config_source: Mapping[str, Any],
               settings: Mapping[str, Any], trace_id: str | None = None,
               caller: Mapping[str, str] | None = None) -> dict[str, Any]:
    meta = document.get("meta", {})
    repo = meta.get("repo", {})
    summary = report.to_json()["summary"]
    event: dict[str, Any] = {
        "apiVersion": LOG_API,
        "kind": "eval",
        "decision_id": new_id("d"),
        "tool": {"name": "anops-policy", "version": __version__},
        "actor": detect_actor(root),
        "repo": {k: repo.get(k) for k in ("name", "commit", "branch", "dirty")},
        "path": str(report.run.get("path", ".")),
        "now": meta.get("now") or report.run.get("now"),
        "facts_digest": meta.get("digest"),
        "packs": [{"id": p.id, "version": p.version, "digest": p.digest, "source": p.source} for p in packs],
        "config": {"file": config.file, "digest": log_store.config_digest(config), **config_source},
        "settings": dict(settings),
        "collectors": {name: m.get("status") for name, m in sorted(report.collectors.items())},
        "summary": {
            k: summary[k]
            for k in ("items_total", "items_applicable", "items_satisfied", "blocking_failures", "outcomes", "line")
        },
        "items": [{"pack": i.pack, "id": i.id, "title": i.title, "section": i.section, "status": i.status}
                  for i in report.items],
        "decisions": [logged_decision(d) for d in report.decisions],
        "waivers": list(report.waivers),
        "signoff_policies": signoff_policies(packs),
        "objects": dict(objects),
    }
    if trace_id:
        event["trace_id"] = trace_id
    if caller:  # the verified identity a server saw write this record (issuer, subject, repository claim)
        event["caller"] = dict(caller)
    return event


def store_inputs(log: Log, document: Mapping[str, Any], config: RepoConfig,
                 packs: Sequence[Pack]) -> dict[str, Any]:
    if isinstance(log, PgLog):
        facts, config_address, *pack_addresses = log.put_objects(
            [document, log_store.config_bundle(config), *(log_store.pack_bundle(p) for p in packs)])
        return {"facts": facts, "packs": pack_addresses, "config": config_address}
    store = objects_dir(log.path)
    return {
        "facts": log_store.put(store, document),
        "packs": [log_store.put(store, log_store.pack_bundle(p)) for p in packs],
        "config": log_store.put(store, log_store.config_bundle(config)),
    }


def record_eval(log: Log, report: Report, document: Mapping[str, Any], config: RepoConfig,
                packs: Sequence[Pack], *, root: Path, signer: Signer | None, config_source: Mapping[str, Any],
                settings: Mapping[str, Any], trace_id: str | None = None,
                request_id: str | None = None, caller: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Store the inputs, append the event; returns the appended event (with seq and hash). In a store, a
    ``request_id`` already recorded in the stream returns that record (marked ``duplicate``) instead."""
    try:
        objects = store_inputs(log, document, config, packs)
    except OSError as exc:
        raise log.failure("cannot store the evaluation's inputs", exc) from None
    event = eval_event(report, document, config, packs, root=root, objects=objects, config_source=config_source,
                       settings=settings, trace_id=trace_id, caller=caller)

    def build(_tail: Tail) -> dict[str, Any]:
        return event

    recorded = log.append(build, signer, request_id) if isinstance(log, PgLog) else log.append(build, signer)
    if not recorded.get("duplicate"):  # a retried request was emitted the first time
        decision_logs.emit_evaluation(recorded, log_name(log), log.stream if isinstance(log, PgLog) else None)
    return recorded


class Recorder:
    """The decision log of one ``eval``: opened (and checked writable) before collecting, so a log that
    cannot be written fails the run before any work; ``record`` appends the finished run."""

    def __init__(self, root: Path, log: Log, signer: Signer | None, trace_id: str | None = None,
                 default_path: bool = True) -> None:
        self.root = root
        self.log = log
        self.signer = signer
        self.trace_id = trace_id
        self.default_path = default_path

    @classmethod
    def start(cls, root: Path, config: RepoConfig, explicit: Target | None, signing_key: Path | None,
              trace_id: str | None = None, stream: str | None = None) -> Recorder:
        if not root.is_dir():  # never create the evaluated directory just to hold its log
            raise ConfigError(f"{root}: not a directory")
        signer = signer_from(signing_key)
        log = open_log(resolve_target(root, config.decision_log, explicit), root, stream)
        log.prepare()
        return cls(root, log, signer, trace_id, default_path=explicit is None and config.decision_log is None)

    def record(self, report: Report, document: Mapping[str, Any], config: RepoConfig, packs: Sequence[Pack],
               settings: Mapping[str, Any], config_source: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Append the run; returns what ``Report.logged`` holds: the event, the log and the evaluated root."""
        event = record_eval(self.log, report, document, config, packs, root=self.root, signer=self.signer,
                            config_source=config_source or {"source": "working-tree"}, settings=settings,
                            trace_id=self.trace_id)
        return {"event": event, "log": log_name(self.log), "root": str(self.root), "default_path": self.default_path}


def config_for_collectors(config: RepoConfig, explicit_log: Target | None, stream: str | None = None) -> RepoConfig:
    """The config the collectors see: with ``--decision-log`` as its ``decision_log`` (and ``--stream`` as
    ``decision_log_stream``), so the signoff collector reads the same log or stream this run appends to."""
    raw = dict(config.raw)
    if explicit_log is not None:
        raw["decision_log"] = explicit_log if is_store_url(explicit_log) else str(Path(explicit_log).resolve())
    if stream:
        raw["decision_log_stream"] = stream
    return config if raw == dict(config.raw) else replace(config, raw=raw)
