"""``anops-policy eval --server HOST:PORT``: collect here, judge on the server, report here.

The result is the report a local ``eval`` builds: the client asks the server which policies it will run
(ListPolicies, so it collects exactly the fact sections those read), sends the fact document and the
repository's config (params, waivers, evaluation settings), and rebuilds the report from the JSON the
server returns. What only the client knows stays local: the baseline file and the trusted-config diff.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import grpc

from anops_policy.config import RepoConfig
from anops_policy.errors import EXIT_INTERNAL, AnopsError, InputError
from anops_policy.evaluation.report import Report
from anops_policy.policy.model import Decision, Expr, Level, Outcome, Pack, Param, Phase, Policy, Template
from anops_policy.server import policy_pb2, policy_pb2_grpc
from anops_policy.server.client_security import ClientSecurity
from anops_policy.telemetry import tracing

CALL_TIMEOUT_S = 600.0  # the server bounds an evaluation itself; this only stops waiting on a lost server
MAX_MESSAGE_BYTES = 512 * 1024 * 1024


class RemoteError(AnopsError):
    """The server could not be reached or failed (exit 3); bad input it reports is an InputError (exit 2)."""

    exit_code = EXIT_INTERNAL


def _expr(source: str, file: str, where: str) -> Expr | None:
    # descriptive only: the client renders reports and never evaluates these, so no syntax tree is needed
    return Expr(source=source, tree=None, file=file, where=(where,)) if source else None


def policy_from_info(info: policy_pb2.PolicyInfo) -> Policy:
    rule = _expr(info.rule, info.file, "rule") or Expr("", None, info.file, ("rule",))
    return Policy(
        id=info.id, title=info.title, description=info.description, checklist=info.checklist,
        severity=info.severity,
        phases=tuple(Phase(Level(p.level), date.fromisoformat(p.until) if p.until else None) for p in info.phases),
        requires=tuple(info.requires),
        params=tuple(Param(p.name, p.type, json.loads(p.default_json or b"null"), p.description) for p in info.params),
        for_each=_expr(info.for_each, info.file, "for_each"), subject_id=None,
        applies_when=_expr(info.applies_when, info.file, "applies_when"), variables=(), rule=rule,
        message=Template(()), remediation=info.remediation, references=tuple(info.references), examples=(),
        evidence=None, tags=tuple(info.tags), file=info.file, digest=info.digest,
    )


def pack_from_info(info: policy_pb2.PackInfo) -> Pack:
    from anops_policy.policy.model import ChecklistItem, PatternRule  # noqa: PLC0415

    return Pack(
        id=info.id, version=info.version, title=info.title, sections=tuple(info.sections),
        items=tuple(ChecklistItem(i.id, i.title, i.section) for i in info.items),
        policies=tuple(policy_from_info(p) for p in info.policies), source=info.source, digest=info.digest,
        inputs=json.loads(info.inputs_json) if info.inputs_json else {},
        patterns=tuple(
            PatternRule(str(spec.get("id")), spec, f"{info.source} (served)")
            for spec in (json.loads(info.patterns_json) if info.patterns_json else [])
        ),
    )


def decision_from_json(data: dict[str, Any]) -> Decision:
    return Decision(
        policy=data["policy"], title=data["title"], subject=data["subject"], outcome=Outcome(data["outcome"]),
        severity=data["severity"], enforcement=Level(data["enforcement"]), blocking=data["blocking"],
        message=data["message"], explanation=data["explanation"], evidence=data["evidence"],
        remediation=data["remediation"], checklist=data["checklist"], fingerprint=data["fingerprint"],
        pack=data.get("pack", ""), waiver=data.get("waiver"),
    )


def report_from_json(data: dict[str, Any], packs: Sequence[Pack]) -> Report:
    """The Report behind a JSON report, so that every output format renders it as a local run would. The
    packs are named as the report names them: a server that follows a pack may have judged with a newer
    revision than the one ``packs`` (its earlier listing) describes."""
    by_id = {p.id: p for p in packs}
    chosen = [replace(by_id[p["id"]], version=p["version"], digest=p["digest"], source=p["source"])
              for p in data["packs"]]
    report = Report(
        packs=chosen,
        decisions=[decision_from_json(d) for d in data["decisions"]],
        run=dict(data["run"]),
        collectors=data["collectors"],
        waivers=list(data.get("waivers", [])),
    )
    report.notes[:] = list(data["notes"])  # the server's notes, not ones re-derived here
    return report


def pack_ids(config: RepoConfig, policies: Sequence[Path], refs: Sequence[str] = ()) -> list[str]:
    """The ids of the packs a local run would load (the server is asked for them by id, never by path)."""
    from anops_policy.policy.packs import resolve_pack_ref  # noqa: PLC0415
    from anops_policy.yamlsafe import load_yaml_file  # noqa: PLC0415

    if policies or refs:
        folders = [resolve_pack_ref(ref, Path()) for ref in refs] + list(policies)
    else:
        base = Path(config.file).parent if config.file else Path()
        folders = [resolve_pack_ref(ref, base) for ref in config.packs]
    out = []
    for folder in folders:
        pack_file = folder / "pack.yaml"
        if not pack_file.is_file():
            out.append(folder.name)  # the implicit pack of a folder without pack.yaml is named after it
            continue
        meta, _marks = load_yaml_file(str(pack_file), str(pack_file))
        if not isinstance(meta, dict) or "id" not in meta:
            raise InputError(f"{pack_file}: no pack id")
        out.append(str(meta["id"]))
    return out


def _failure(target: str, what: str, exc: grpc.RpcError) -> AnopsError:
    code = exc.code() if hasattr(exc, "code") else None
    detail = exc.details() if hasattr(exc, "details") else str(exc)
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return InputError(f"server {target} rejected the {what}: {detail}")
    name = code.name if isinstance(code, grpc.StatusCode) else "error"
    return RemoteError(f"server {target}: {what} failed: {name}: {detail}")


class PolicyClient:
    def __init__(self, target: str, timeout_s: float = CALL_TIMEOUT_S, security: ClientSecurity | None = None) -> None:
        self.target = target
        self.timeout_s = timeout_s
        security = security or ClientSecurity()
        self._metadata = security.metadata(target)
        options = [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                   ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)]
        credentials = security.channel_credentials()
        if credentials is None:
            self._channel = grpc.insecure_channel(target, options=options)
        else:
            self._channel = grpc.secure_channel(target, credentials, options=options)
        self._stub = policy_pb2_grpc.PolicyServiceStub(self._channel)  # type: ignore[no-untyped-call]

    def close(self) -> None:
        self._channel.close()

    def packs(self, ids: Sequence[str]) -> list[Pack]:
        try:
            answer = self._stub.ListPolicies(
                policy_pb2.ListPoliciesRequest(packs=list(ids)), timeout=self.timeout_s, metadata=self._metadata
            )
        except grpc.RpcError as exc:
            raise _failure(self.target, "pack listing", exc) from None
        return [pack_from_info(p) for p in answer.packs]

    def evaluate(self, request: policy_pb2.EvaluateRequest) -> policy_pb2.EvaluateResponse:
        carrier: dict[str, str] = {}
        tracing.inject(carrier)  # the server's RPC span joins this run's trace (when tracing is on)
        try:
            answer: policy_pb2.EvaluateResponse = self._stub.Evaluate(
                request, timeout=self.timeout_s, metadata=(*self._metadata, *carrier.items())
            )
        except grpc.RpcError as exc:
            raise _failure(self.target, "evaluation", exc) from None
        return answer
