"""The ``anops.policy.v1.PolicyService`` servicer: turns requests into worker jobs and every failure into
the gRPC status a client can act on."""

from __future__ import annotations

import json
import logging
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import grpc

from anops_policy.identity.tokens import Identity
from anops_policy.server import policy_pb2, policy_pb2_grpc
from anops_policy.server.callers import CallerGate
from anops_policy.server.judge import BadRequest, Job, pack_metadata, parse_json, record_stream
from anops_policy.server.revisions import Snapshot
from anops_policy.server.workers import EvaluationCancelled, EvaluationTimeout, NotRecorded, WorkerFailed, WorkerPool
from anops_policy.telemetry import tracing

log = logging.getLogger("anops_policy.server")
SERVICE_NAME = "anops.policy.v1.PolicyService"
Request = TypeVar("Request")
Response = TypeVar("Response")


@dataclass(frozen=True)
class Limits:
    max_message_bytes: int
    max_evaluation_s: float  # bound on one evaluation (not its wait for a worker), whatever the client's deadline
    max_policy_deadline_s: float  # bound on the per-policy deadline a request may ask for


class InFlight:
    """Counts running calls so that a drain can wait for them."""

    def __init__(self) -> None:
        self._count = 0
        self._zero = threading.Condition()

    @contextmanager
    def track(self) -> Iterator[None]:
        with self._zero:
            self._count += 1
        try:
            yield
        finally:
            with self._zero:
                self._count -= 1
                if self._count == 0:
                    self._zero.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._zero:
            return self._zero.wait_for(lambda: self._count == 0, timeout)


def _abort(context: grpc.ServicerContext, code: grpc.StatusCode, message: str) -> NoReturn:
    context.abort(code, message)
    raise AssertionError("unreachable: context.abort raises")


def _internal(context: grpc.ServicerContext, method: str, detail: str) -> NoReturn:
    error_id = uuid.uuid4().hex[:12]
    # the id ties the client's message to this line; the detail (a traceback) stays in the server's log
    log.error("internal error %s in %s: %s", error_id, method, detail)
    _abort(context, grpc.StatusCode.INTERNAL, f"internal error {error_id}: see the server's log for this id")


def _policy_info(meta: dict[str, Any]) -> policy_pb2.PolicyInfo:
    return policy_pb2.PolicyInfo(
        id=meta["id"], pack=meta["pack"], title=meta["title"], description=meta["description"],
        checklist=meta["checklist"], severity=meta["severity"],
        phases=[policy_pb2.Phase(level=p["level"], until=p["until"]) for p in meta["phases"]],
        requires=meta["requires"],
        params=[policy_pb2.Param(**p) for p in meta["params"]],
        remediation=meta["remediation"], references=meta["references"], tags=meta["tags"], digest=meta["digest"],
        rule=meta["rule"], for_each=meta["for_each"], applies_when=meta["applies_when"], file=meta["file"],
    )


def _pack_info(meta: dict[str, Any]) -> policy_pb2.PackInfo:
    return policy_pb2.PackInfo(
        id=meta["id"], version=meta["version"], title=meta["title"], digest=meta["digest"], source=meta["source"],
        sections=meta["sections"], items=[policy_pb2.ChecklistItem(**i) for i in meta["items"]],
        policies=[_policy_info(p) for p in meta["policies"]],
        inputs_json=json.dumps(meta.get("inputs", {}), sort_keys=True).encode("utf-8"),
        patterns_json=json.dumps(meta.get("patterns", []), sort_keys=True).encode("utf-8"),
    )


class PolicyService(policy_pb2_grpc.PolicyServiceServicer):
    def __init__(self, pool: WorkerPool, limits: Limits, gate: CallerGate | None = None) -> None:
        self._pool = pool
        self.gate = gate or CallerGate(None, None, mutual_tls=False)
        self._limits = limits
        self._listing: tuple[int, dict[str, policy_pb2.PackInfo]] = (-1, {})
        self.in_flight = InFlight()
        self.draining = threading.Event()
        self.on_unrecorded: Callable[[str], None] | None = None  # the store's health watch

    def _guarded(
        self, method: str, context: grpc.ServicerContext, call: Callable[[Identity], Response]
    ) -> Response:
        if self.draining.is_set():
            _abort(context, grpc.StatusCode.UNAVAILABLE, "the server is shutting down; retry on another instance")
        caller = self.gate.identify(context, method)  # refusals before any work: UNAUTHENTICATED
        with self.in_flight.track(), self.gate.admitted(context, method, caller):
            try:
                return call(caller)
            except BadRequest as exc:
                _abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(exc))
            except EvaluationTimeout as exc:
                _abort(context, grpc.StatusCode.DEADLINE_EXCEEDED, f"{exc}; the evaluation was stopped")
            except EvaluationCancelled as exc:
                _abort(context, grpc.StatusCode.CANCELLED, str(exc))
            except NotRecorded as exc:  # fail closed: an answer the audit trail lacks is no answer
                if self.on_unrecorded is not None:
                    self.on_unrecorded(str(exc))
                _abort(context, grpc.StatusCode.UNAVAILABLE, f"the evaluation could not be recorded: {exc}")
            except WorkerFailed as exc:
                _internal(context, method, str(exc))
            except Exception:
                if context.code() is not None:  # context.abort() raised: the status is already set
                    raise
                _internal(context, method, traceback.format_exc(limit=20))

    def Evaluate(
        self, request: policy_pb2.EvaluateRequest, context: grpc.ServicerContext
    ) -> policy_pb2.EvaluateResponse:
        return self._guarded("Evaluate", context, lambda caller: self._evaluate(request, context, caller))

    def _evaluate(
        self, request: policy_pb2.EvaluateRequest, context: grpc.ServicerContext, caller: Identity
    ) -> policy_pb2.EvaluateResponse:
        limit = self._limits.max_message_bytes
        if len(request.facts_json) > limit:
            raise BadRequest(
                f"facts_json: {len(request.facts_json)} bytes is over the server's limit of {limit} bytes "
                "(serve --max-message-bytes)"
            )
        if request.params_json:
            parse_json(request.params_json, "params_json")  # cheap early check before a worker is taken
        stream = record_stream(request.stream, request.display_path, store=self._pool.records_to_store)
        # the stream the record goes to: a caller that may not write it is refused before anything is judged
        self.gate.authorise(context, "Evaluate", caller, "write", stream)
        job = Job(
            facts_json=request.facts_json,
            packs=tuple(request.packs),
            policies=tuple(request.policies),
            params_json=request.params_json,
            config_json=request.config_json,
            now=request.now,
            fail_on=request.fail_on,
            policy_deadline_s=request.policy_deadline_s,
            display_path=request.display_path,
            display_config=request.display_config,
            repo_prefix=request.repo_prefix,
            trace_id=tracing.current_trace_id(),
            stream=stream,
            request_id=request.request_id,
            caller=caller.record(),
        )
        # the call's one snapshot of the packs: a followed pack swapped meanwhile does not reach this call
        snapshot = self._pool.revisions.current()
        judged = self._pool.run(
            job, context.time_remaining(), self._limits.max_evaluation_s, context.is_active, snapshot
        )
        return policy_pb2.EvaluateResponse(
            report_json=judged.report_json,
            exit_code=judged.exit_code,
            items_total=judged.items_total,
            items_applicable=judged.items_applicable,
            items_satisfied=judged.items_satisfied,
            blocking_failures=judged.blocking_failures,
            summary=judged.summary,
            outcomes=judged.outcomes,
            facts_digest=judged.facts_digest,
            packs=[policy_pb2.PackRef(id=i, version=v, digest=d, source=s) for i, v, d, s in judged.packs],
            decision_id=judged.decision_id,
        )

    def ListPolicies(
        self, request: policy_pb2.ListPoliciesRequest, context: grpc.ServicerContext
    ) -> policy_pb2.ListPoliciesResponse:
        def answer(_caller: Identity) -> policy_pb2.ListPoliciesResponse:
            listing = self._packs(self._pool.revisions.current())
            return policy_pb2.ListPoliciesResponse(packs=[self._pack(listing, pid) for pid in request.packs or listing])

        return self._guarded("ListPolicies", context, answer)

    def GetPolicy(
        self, request: policy_pb2.GetPolicyRequest, context: grpc.ServicerContext
    ) -> policy_pb2.GetPolicyResponse:
        def answer(_caller: Identity) -> policy_pb2.GetPolicyResponse:
            listing = self._packs(self._pool.revisions.current())
            packs = [self._pack(listing, request.pack)] if request.pack else list(listing.values())
            found = [p for pack in packs for p in pack.policies if p.id == request.id]
            if not found:
                from anops_policy.validation import suggest  # noqa: PLC0415

                known = {p.id for pack in packs for p in pack.policies}
                raise BadRequest(f"id: unknown policy '{request.id}'{suggest(request.id, known)}")
            if len(found) > 1:
                raise BadRequest(
                    f"id: policy '{request.id}' is in packs {', '.join(p.pack for p in found)}; name one in 'pack'"
                )
            return policy_pb2.GetPolicyResponse(policy=found[0])

        return self._guarded("GetPolicy", context, answer)

    def _packs(self, snapshot: Snapshot) -> dict[str, policy_pb2.PackInfo]:
        """The listing of a snapshot, built once per snapshot (a swap makes the next call build it anew)."""
        generation, listing = self._listing
        if generation != snapshot.generation:
            listing = {str(m["id"]): _pack_info(dict(m)) for m in pack_metadata(snapshot.packs)}
            if snapshot.generation > generation:  # a call that took an older snapshot never undoes a newer one
                self._listing = (snapshot.generation, listing)
        return listing

    @staticmethod
    def _pack(listing: dict[str, policy_pb2.PackInfo], pack_id: str) -> policy_pb2.PackInfo:
        if pack_id not in listing:
            from anops_policy.validation import suggest  # noqa: PLC0415

            raise BadRequest(
                f"packs: unknown pack '{pack_id}'{suggest(pack_id, listing)}; loaded: {', '.join(listing)}"
            )
        return listing[pack_id]

