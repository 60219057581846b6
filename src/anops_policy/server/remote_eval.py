"""The engine's ``run_eval`` with the judging done by a server: the same report and exit code as a local
run (``anops-policy eval --server HOST:PORT``)."""

from __future__ import annotations

import json
from typing import Any

from anops_policy.audit.decision_log import new_id
from anops_policy.audit.streams import detect_stream
from anops_policy.config import RepoConfig
from anops_policy.evaluation.report import Report
from anops_policy.evaluation.telemetry import record_eval
from anops_policy.facts import iso
from anops_policy.pipeline.run import EvalRequest, facts_for, repo_prefix, resolve_config
from anops_policy.policy.model import Pack
from anops_policy.server import policy_pb2
from anops_policy.server.client import PolicyClient, pack_ids, report_from_json
from anops_policy.server.client_security import ClientSecurity
from anops_policy.telemetry import tracing


def remote_eval(
    request: EvalRequest, target: str, security: ClientSecurity | None = None
) -> tuple[Report, dict[str, Any], RepoConfig, list[Pack]]:
    """Collect locally (exactly the sections the server's packs read), evaluate on ``target``.
    The decision log is the server's business: nothing is appended locally. Traced like a local run
    (the ``anops.eval`` span, whose trace the server's RPC span joins)."""
    with tracing.span("anops.eval", {"anops.path": str(request.path), "anops.server": target}) as span:
        out = _remote_eval(request, target, security)
        out[0].trace_id = request.trace_id or span.trace_id
        record_eval(span, out[0])
        return out


def _remote_eval(
    request: EvalRequest, target: str, security: ClientSecurity | None
) -> tuple[Report, dict[str, Any], RepoConfig, list[Pack]]:
    from anops_policy.audit import trusted_config  # noqa: PLC0415
    from anops_policy.evaluation.baseline import apply_baseline, load_baseline  # noqa: PLC0415

    trusted = None
    if request.trusted_config:
        trusted = trusted_config.load_trusted(request.path, request.config_file, request.trusted_config)
        config = trusted.config
    else:
        config = resolve_config(request.path, request.config_file)
    baseline = load_baseline(request.baseline) if request.baseline is not None else None
    client = PolicyClient(target, security=security)
    try:
        packs = client.packs(pack_ids(config, request.policies, request.packs))
        document, now = facts_for(request, config, packs)
        answer = client.evaluate(
            policy_pb2.EvaluateRequest(
                facts_json=json.dumps(document, ensure_ascii=False).encode("utf-8"),
                packs=[p.id for p in packs],
                config_json=json.dumps(dict(config.raw), ensure_ascii=False).encode("utf-8"),
                now=iso(now),
                fail_on=request.fail_on.value if request.fail_on else "",
                policy_deadline_s=request.deadline_s or 0.0,
                display_path=str(request.path),
                display_config=config.file or "",
                repo_prefix=repo_prefix(request.path),
                # the server's store keeps one chain per repository; one id per run, so a retry is recorded once
                stream=detect_stream(request.path, request.stream),
                request_id=new_id("r"),
            )
        )
    finally:
        client.close()
    report = report_from_json(json.loads(answer.report_json), packs)
    if trusted is not None:
        report.config_changes = list(trusted.changes)
        report.notes.extend(trusted.notes)
    if baseline is not None:
        apply_baseline(report, baseline)
    return report, document, config, packs
