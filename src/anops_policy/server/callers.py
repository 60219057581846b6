"""Who is calling (a verified OIDC token, else the mutual-TLS client certificate, else anonymous where that
is allowed), whether they may do what they ask (the authorisation policy), and their per-caller limits.

Every refusal is answered with a status naming the reason — UNAUTHENTICATED, PERMISSION_DENIED (naming the
rule) or RESOURCE_EXHAUSTED — and logged with the caller's address, before anything is judged or recorded.
The health and reflection services do not pass through here: they answer without a token and say nothing
about streams.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import grpc
from cryptography import x509
from cryptography.x509.oid import NameOID

from anops_policy.identity.authorisation import Authorisation
from anops_policy.identity.config import AuthConfig
from anops_policy.identity.tokens import ANONYMOUS, Identity, TokenRefused, TokenVerifier
from anops_policy.server.call_limits import CallerLimits, LimitExceeded, RefusalBudget, peer_address
from anops_policy.server.tls import TlsFiles

log = logging.getLogger("anops_policy.server")


def _abort(context: grpc.ServicerContext, code: grpc.StatusCode, message: str) -> NoReturn:
    context.abort(code, message)
    raise AssertionError("unreachable: context.abort raises")


@functools.lru_cache(maxsize=1024)
def certificate_identity(pem: bytes) -> Identity:
    cert = x509.load_pem_x509_certificate(pem)
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    common_name = str(names[0].value) if names else ""
    claims = {"common_name": common_name, "serial": format(cert.serial_number, "x"),
              "subject": cert.subject.rfc4514_string(), "issuer": cert.issuer.rfc4514_string()}
    return Identity("certificate", cert.issuer.rfc4514_string(), cert.subject.rfc4514_string(), "", claims)


class CallerGate:
    def __init__(self, auth: AuthConfig | None, authorisation: Authorisation | None, mutual_tls: bool) -> None:
        self.verifier = TokenVerifier(auth) if auth is not None and auth.issuers else None
        self.authorisation = authorisation
        self.mutual_tls = mutual_tls
        self.anonymous = self.verifier is None and not mutual_tls
        self.limits = CallerLimits(auth.limits) if auth is not None else None
        self.refusals = RefusalBudget(auth.limits.refusals_per_minute) if auth is not None and auth.issuers else None

    def _refuse(self, context: grpc.ServicerContext, method: str, code: grpc.StatusCode, reason: str) -> NoReturn:
        log.warning("refused %s from %s: %s: %s", method, context.peer(), code.name, reason)
        _abort(context, code, reason)

    def identify(self, context: grpc.ServicerContext, method: str) -> Identity:
        address = peer_address(context.peer())
        if self.refusals is not None:
            try:
                self.refusals.check(address)
            except LimitExceeded as exc:
                self._refuse(context, method, grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
        token = None
        for key, value in context.invocation_metadata():
            if key == "authorization":
                scheme, _, token = str(value).partition(" ")
                if scheme.lower() != "bearer" or not token.strip():
                    self._refuse(context, method, grpc.StatusCode.UNAUTHENTICATED,
                                 "the authorization metadata is not 'Bearer <token>'")
                token = token.strip()
        if token is not None:
            if self.verifier is None:
                if self.anonymous:  # a server without issuers ignores tokens (loopback or --insecure only)
                    return ANONYMOUS
                self._refuse(context, method, grpc.StatusCode.UNAUTHENTICATED,
                             "this server verifies no tokens (no issuer configured): present a client certificate")
            try:
                return self.verifier.verify(token)
            except TokenRefused as exc:
                if self.refusals is not None:
                    self.refusals.spend(address)
                self._refuse(context, method, grpc.StatusCode.UNAUTHENTICATED, f"token refused: {exc}")
        if self.mutual_tls:
            pem = context.auth_context().get("x509_pem_cert")
            if pem:
                try:
                    return certificate_identity(bytes(pem[0]))
                except ValueError as exc:
                    self._refuse(context, method, grpc.StatusCode.UNAUTHENTICATED, f"client certificate: {exc}")
        if self.anonymous:
            return ANONYMOUS
        return self._refuse(context, method, grpc.StatusCode.UNAUTHENTICATED,
                            "no credentials: send an OIDC token ('authorization: Bearer <token>'; eval --server"
                            " sends the CI's token, or --token-file)")

    def authorise(self, context: grpc.ServicerContext, method: str, caller: Identity, action: str,
                  stream: str) -> None:
        if self.authorisation is None:
            return
        verdict = self.authorisation.decide(caller, action, stream)
        if not verdict.allowed:
            self._refuse(context, method, grpc.StatusCode.PERMISSION_DENIED,
                         f"{verdict.reason}; caller {caller.describe()}")

    @contextmanager
    def admitted(self, context: grpc.ServicerContext, method: str, caller: Identity) -> Iterator[None]:
        if self.limits is None:
            yield
            return
        try:
            self.limits.enter(caller.key)
        except LimitExceeded as exc:
            self._refuse(context, method, grpc.StatusCode.RESOURCE_EXHAUSTED, f"{exc} ({caller.describe()})")
        try:
            yield
        finally:
            self.limits.leave(caller.key)


def caller_gate(auth: AuthConfig | None, tls: TlsFiles | None) -> CallerGate:
    from anops_policy.identity.authorisation import load_authorisation  # noqa: PLC0415

    authorisation = load_authorisation(auth.authorisation) if auth is not None and auth.authorisation else None
    gate = CallerGate(auth, authorisation, mutual_tls=tls is not None and tls.client_ca is not None)
    if authorisation is None and not gate.anonymous:
        log.warning("no authorisation policy (auth config 'authorisation'): every verified caller may write every "
                    "stream")
        for issuer in auth.issuers if auth is not None else ():
            if not issuer.claims:
                # a CI's issuer signs a token for any audience its jobs ask for: without required claims or an
                # authorisation policy, every job of every project that issuer serves is a verified caller
                log.warning("issuer %s has no required claims (issuers[].claims): any job it issues a token to, in "
                            "any repository, may write every stream", issuer.url)
    return gate


def describe_gate(gate: CallerGate) -> list[str]:
    """The start-up log's account of who may call."""
    out = []
    if gate.verifier is not None:
        for issuer in gate.verifier.issuers():
            required = ", ".join(f"{k} in {'|'.join(v)}" for k, v in issuer.claims.items())
            out.append(f"callers: OIDC tokens of {issuer.url} for audience {', '.join(issuer.audience)} "
                       f"({', '.join(issuer.algorithms)}{'; ' + required if required else ''})")
    if gate.mutual_tls:
        out.append("callers: client certificates (mutual TLS; the subject is the identity)")
    if gate.authorisation is not None:
        out.append(f"authorisation: {len(gate.authorisation.rules)} rules of {gate.authorisation.file}")
    if gate.limits is not None:
        limits = gate.limits.limits
        out.append(f"limits per caller: {limits.calls_per_minute} calls per minute (burst {limits.burst}), "
                   f"{limits.concurrent_calls} at once")
    return out
