"""Who may call the decision service: OIDC tokens from an issuer the test serves over HTTPS (discovery,
JWKS, RS256 and ES256 keys, rotation), the authorisation policy over the verified claims, per-caller
limits — against a real ``anops-policy serve`` process with a decision log."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from anops_policy.server import policy_pb2, policy_pb2_grpc
from anops_policy.validation import validator

from .conftest import EXAMPLE, NOW, ROOT, Server, cli, start_server
from .oidc_issuer import REQUEST_TOKEN, Issuer, Key, github_claims, gitlab_claims, serve_issuer

AUDIENCE = "https://policy.test"
POLICY = "no-todos-in-release-files"  # one cheap policy of the built-in pack


@dataclass
class Setup:
    server: Server
    issuers: dict[str, Issuer]
    log: Path  # the server's decision log
    ca: Path  # the issuer's CA
    facts: bytes  # the example repository's fact document

    def records(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]


def write_auth(folder: Path, issuers: dict[str, Issuer], ca: Path, extra: str = "") -> Path:
    github, gitlab = issuers["github"], issuers["gitlab"]
    (folder / "authorisation.yaml").write_text(f"""\
apiVersion: anops.dev/authorisation/v1
rules:
  - id: github-jobs-write-their-repository
    actions: [write]
    allow: caller.issuer == "{github.url}" && stream == "github.com/" + caller.repository
  - id: gitlab-jobs-write-their-project
    actions: [write]
    allow: caller.issuer == "{gitlab.url}" && stream == "gitlab.example.com/" + caller.repository
  - id: release-gates-only-from-main
    effect: deny
    actions: [write]
    allow: stream.endsWith("-release") && caller.claims.ref != "refs/heads/main"
""")
    auth = folder / "auth.yaml"
    auth.write_text(f"""\
issuers:
  - url: {github.url}
    audience: {AUDIENCE}
    claims: {{repository_owner: [org, other-org]}}
    ca_file: {ca}
    algorithms: [RS256]
  - url: {gitlab.url}
    audience: [{AUDIENCE}]
    ca_file: {ca}
    algorithms: [ES256]
  - url: {issuers["hostile"].url}
    audience: {AUDIENCE}
    ca_file: {ca}
authorisation: authorisation.yaml
jwks_min_refetch_seconds: 1
{extra}""")
    return auth


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, example_facts: Path) -> Iterator[Setup]:
    folder = tmp_path_factory.mktemp("auth")
    with serve_issuer(folder) as (issuers, ca, _httpd):
        auth = write_auth(folder, issuers, ca)
        log = folder / "decisions.jsonl"
        server = start_server(folder, "--max-workers", "2", "--auth-config", str(auth), "--decision-log", str(log))
        try:
            yield Setup(server, issuers, log, ca, example_facts.read_bytes())
        finally:
            server.stop()


def evaluate(setup: Setup, token: str | None, stream: str) -> policy_pb2.EvaluateResponse:
    stub = policy_pb2_grpc.PolicyServiceStub(grpc.insecure_channel(setup.server.target))  # type: ignore[no-untyped-call]
    metadata = (("authorization", f"Bearer {token}"),) if token is not None else ()
    answer: policy_pb2.EvaluateResponse = stub.Evaluate(
        policy_pb2.EvaluateRequest(facts_json=setup.facts, policies=[POLICY], stream=stream, now=NOW),
        timeout=60, metadata=metadata)
    return answer


def refused(setup: Setup, token: str | None, stream: str) -> grpc.RpcError:
    before = len(setup.records())
    with pytest.raises(grpc.RpcError) as info:
        evaluate(setup, token, stream)
    assert len(setup.records()) == before, "a refused call left a record"
    return info.value


def test_a_github_token_for_org_a_writes_org_a_and_is_refused_for_org_b(setup: Setup) -> None:
    github = setup.issuers["github"]
    token = github.mint(github_claims("org/a"))
    answer = evaluate(setup, token, "github.com/org/a")
    record = setup.records()[-1]
    assert record["decision_id"] == answer.decision_id
    assert record["caller"] == {"kind": "oidc", "issuer": github.url, "subject": "repo:org/a:ref:refs/heads/main",
                                "repository": "org/a"}
    assert list(validator("decision-log-event").iter_errors(record)) == []
    verify = subprocess.run(cli("audit", "verify", str(setup.log)), capture_output=True, text=True, cwd=ROOT,
                            timeout=120, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr  # the caller is part of the hashed record
    error = refused(setup, token, "github.com/org/b")
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "write on stream 'github.com/org/b' denied: no rule of" in error.details()
    assert "github-jobs-write-their-repository" in error.details()
    assert "PERMISSION_DENIED" in setup.server.log_text()


def test_a_gitlab_es256_token_writes_its_project(setup: Setup) -> None:
    gitlab = setup.issuers["gitlab"]
    token = gitlab.mint(gitlab_claims("group/b"))
    evaluate(setup, token, "gitlab.example.com/group/b")
    assert setup.records()[-1]["caller"]["repository"] == "group/b"
    assert refused(setup, token, "github.com/group/b").code() == grpc.StatusCode.PERMISSION_DENIED


def test_a_deny_rule_constrains_the_ref_and_is_named(setup: Setup) -> None:
    github = setup.issuers["github"]
    evaluate(setup, github.mint(github_claims("org/a-release")), "github.com/org/a-release")
    feature = github.mint(github_claims("org/a-release", ref="refs/heads/feature"))
    error = refused(setup, feature, "github.com/org/a-release")
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "denied by rule 'release-gates-only-from-main'" in error.details()


def _tampered_signature(github: Issuer) -> str:
    head, body, signature = github.mint(github_claims("org/a")).split(".")
    flipped = ("A" if signature[10] != "A" else "B")
    return f"{head}.{body}.{signature[:10]}{flipped}{signature[11:]}"


def _tampered_claims(github: Issuer) -> str:
    """org/b's job takes org/a's signed token and rewrites the repository: the signature no longer matches."""
    from .oidc_issuer import b64  # noqa: PLC0415

    head, _body, signature = github.mint(github_claims("org/b")).split(".")
    forged = github_claims("org/a")
    now = int(time.time())
    forged.update({"iss": github.url, "aud": AUDIENCE, "iat": now, "exp": now + 300})
    return f"{head}.{b64(json.dumps(forged).encode())}.{signature}"


# (case, how the token is made, the reason the server's log and the caller are given)
REFUSED_TOKENS: list[tuple[str, Callable[[Setup], str | None], str]] = [
    ("expired", lambda s: s.issuers["github"].mint(github_claims("org/a"), iat=int(time.time()) - 7200,
                                                   nbf=int(time.time()) - 7200, exp=int(time.time()) - 3600),
     "token refused: expired"),
    ("wrong-audience", lambda s: s.issuers["github"].mint(github_claims("org/a"), audience="https://other.test"),
     "token refused: wrong audience"),
    ("wrong-issuer", lambda s: s.issuers["github"].mint(github_claims("org/a"),
                                                        iss=s.issuers["github"].base + "/elsewhere"),
     "/elsewhere' is not configured"),
    ("forged-key-with-the-issuers-kid", lambda s: s.issuers["github"].mint(github_claims("org/a"), key=Key(
        s.issuers["github"].keys[0].kid, "RS256", Key.make("RS256").private)), "the signature does not verify"),
    ("alg-none", lambda s: s.issuers["github"].unsigned(github_claims("org/a"), {"alg": "none", "typ": "JWT"}),
     "algorithm 'none' is not allowed"),
    ("hmac-confused", lambda s: s.issuers["github"].hmac_confused(github_claims("org/a")),
     "algorithm 'HS256' is not allowed"),
    ("tampered-signature", lambda s: _tampered_signature(s.issuers["github"]), "the signature does not verify"),
    ("tampered-claims", lambda s: _tampered_claims(s.issuers["github"]), "the signature does not verify"),
    ("not-yet-valid", lambda s: s.issuers["github"].mint(github_claims("org/a"), nbf=int(time.time()) + 3600,
                                                         exp=int(time.time()) + 7200),
     "token refused: not valid yet"),
    ("unknown-key", lambda s: s.issuers["github"].mint(github_claims("org/a"), key=Key.make("RS256")),
     "is not in the JWKS of"),
    ("es256-key-for-rs256-issuer", lambda s: s.issuers["github"].mint(github_claims("org/a"),
                                                                      key=s.issuers["gitlab"].keys[0]),
     "algorithm 'ES256' is not allowed"),
    ("owner-not-allowed", lambda s: s.issuers["github"].mint(github_claims("stranger/a")),
     "claim 'repository_owner' is 'stranger'"),
    ("no-subject", lambda s: s.issuers["github"].mint(github_claims("org/a"), sub=None),
     "lacks the required claim 'sub'"),
    ("garbage", lambda _s: "not.a.jwt", "malformed token"),
    ("issuer-discovery-names-another-issuer", lambda s: s.issuers["hostile"].mint(github_claims("org/a")),
     "cannot be fetched: discovery document"),
    ("no-token", lambda _s: None, "no credentials: send an OIDC token"),
]


@pytest.mark.parametrize(("case", "make", "reason"), REFUSED_TOKENS, ids=[c[0] for c in REFUSED_TOKENS])
def test_a_token_that_proves_nothing_is_refused_with_a_reason_and_no_record(
    setup: Setup, case: str, make: Callable[[Setup], str | None], reason: str
) -> None:
    error = refused(setup, make(setup), "github.com/org/a")
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED, (case, error.details())
    assert reason in error.details(), (case, error.details())
    log = setup.server.log_text()
    assert "refused Evaluate from ipv4:127.0.0.1:" in log
    assert reason in log, case
    assert "Traceback" not in log


def test_jwks_rotation_works_without_a_restart(setup: Setup) -> None:
    github = setup.issuers["github"]
    old = github.keys[0]
    evaluate(setup, github.mint(github_claims("org/a")), "github.com/org/a")
    new = github.rotate("RS256")
    time.sleep(1.1)  # the refetch a new kid causes is rate-limited (jwks_min_refetch_seconds: 1)
    evaluate(setup, github.mint(github_claims("org/a"), key=new), "github.com/org/a")
    assert f"new {new.kid}" in setup.server.log_text()
    # the withdrawn key is gone from the refetched JWKS
    error = refused(setup, github.mint(github_claims("org/a"), key=old), "github.com/org/a")
    assert "is not in the JWKS of" in error.details()


def test_unknown_kids_refetch_at_most_once_per_interval(setup: Setup) -> None:
    gitlab = setup.issuers["gitlab"]
    time.sleep(1.1)
    before = gitlab.jwks_fetches
    for _ in range(20):
        refused(setup, gitlab.mint(gitlab_claims("group/b"), key=Key.make("ES256")), "gitlab.example.com/group/b")
    assert gitlab.jwks_fetches - before <= 2


def test_health_and_reflection_answer_without_a_token_and_name_no_stream(setup: Setup) -> None:
    channel = grpc.insecure_channel(setup.server.target)
    health = health_pb2_grpc.HealthStub(channel)
    assert health.Check(health_pb2.HealthCheckRequest(service=""), timeout=10).status == \
        health_pb2.HealthCheckResponse.SERVING
    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    answers = list(reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]),
                                                   timeout=10))
    text = str(answers)
    assert "anops.policy.v1.PolicyService" in text
    assert "org/a" not in text and "github.com" not in text
    listing = policy_pb2_grpc.PolicyServiceStub(channel)  # type: ignore[no-untyped-call]
    with pytest.raises(grpc.RpcError) as info:
        listing.ListPolicies(policy_pb2.ListPoliciesRequest(), timeout=10)
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_eval_server_sends_the_github_actions_job_token(setup: Setup, tmp_path: Path) -> None:
    github = setup.issuers["github"]
    base = dict(os.environ, NO_COLOR="1", GITHUB_ACTIONS="false", SSL_CERT_FILE=str(setup.ca),
                ACTIONS_ID_TOKEN_REQUEST_URL=f"{github.base}/github/token-request?api-version=2.0",
                ACTIONS_ID_TOKEN_REQUEST_TOKEN=REQUEST_TOKEN, ANOPS_POLICY_AUDIENCE=AUDIENCE)
    base.pop("ANOPS_POLICY_TOKEN", None)

    def run(stream: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            cli("eval", str(EXAMPLE), "--now", NOW, "--server", setup.server.target, "--stream", stream),
            capture_output=True, text=True, cwd=ROOT, timeout=300, check=False, env=base)

    before = len(setup.records())
    ok = run("github.com/org/a")
    assert ok.returncode == 1, ok.stderr  # the example's blocking failures: judged and recorded
    assert setup.records()[-1]["caller"]["repository"] == "org/a"
    denied = run("github.com/org/b")
    assert denied.returncode == 3, denied.stderr
    assert "PERMISSION_DENIED" in denied.stderr and "github.com/org/b" in denied.stderr
    assert "Traceback" not in denied.stderr
    assert len(setup.records()) == before + 1


def test_a_refused_github_token_request_is_exit_2_with_the_reason(setup: Setup) -> None:
    github = setup.issuers["github"]
    env = dict(os.environ, NO_COLOR="1", GITHUB_ACTIONS="false", SSL_CERT_FILE=str(setup.ca),
               ACTIONS_ID_TOKEN_REQUEST_URL=f"{github.base}/github/token-request?api-version=2.0",
               ACTIONS_ID_TOKEN_REQUEST_TOKEN="a stale request token")
    env.pop("ANOPS_POLICY_TOKEN", None)
    run = subprocess.run(cli("eval", str(EXAMPLE), "--now", NOW, "--server", setup.server.target),
                         capture_output=True, text=True, cwd=ROOT, timeout=300, check=False, env=env)
    assert run.returncode == 2, run.stderr
    assert "GitHub Actions' OIDC token request (ACTIONS_ID_TOKEN_REQUEST_URL): HTTP 401" in run.stderr
    assert "Traceback" not in run.stderr


def test_eval_server_sends_a_gitlab_id_token_from_its_variable(setup: Setup) -> None:
    gitlab = setup.issuers["gitlab"]
    token = gitlab.mint(gitlab_claims("group/b"))
    env = dict(os.environ, NO_COLOR="1", GITHUB_ACTIONS="false", ANOPS_POLICY_TOKEN=token)
    run = subprocess.run(
        cli("eval", str(EXAMPLE), "--now", NOW, "--server", setup.server.target, "--stream",
            "gitlab.example.com/group/b"),
        capture_output=True, text=True, cwd=ROOT, timeout=300, check=False, env=env)
    assert run.returncode == 1, run.stderr
    assert setup.records()[-1]["caller"]["subject"] == "project_path:group/b:ref_type:branch:ref:main"


def test_per_caller_rate_limit(tmp_path: Path, example_facts: Path) -> None:
    with serve_issuer(tmp_path) as (issuers, ca, _httpd):
        auth = write_auth(tmp_path, issuers, ca, "limits: {calls_per_minute: 6, burst: 3, concurrent_calls: 8}\n")
        server = start_server(tmp_path, "--max-workers", "1", "--auth-config", str(auth))
        try:
            setup = Setup(server, issuers, tmp_path / "none.jsonl", ca, example_facts.read_bytes())
            github = issuers["github"]
            token_a, token_b = github.mint(github_claims("org/a")), github.mint(github_claims("org/b"))
            for _ in range(3):
                evaluate(setup, token_a, "github.com/org/a")
            error = refused(setup, token_a, "github.com/org/a")
            assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "over 6 calls per minute for this caller" in error.details()
            evaluate(setup, token_b, "github.com/org/b")  # another caller has its own budget
        finally:
            server.stop()


def test_an_address_that_keeps_sending_bad_tokens_is_not_heard_for_a_while(
    tmp_path: Path, example_facts: Path
) -> None:
    """Before anyone is identified, refused credentials are counted per network address: over
    refusals_per_minute, the address is answered RESOURCE_EXHAUSTED without its token being verified."""
    with serve_issuer(tmp_path) as (issuers, ca, _httpd):
        auth = write_auth(tmp_path, issuers, ca, "limits: {refusals_per_minute: 3}\n")
        server = start_server(tmp_path, "--max-workers", "1", "--auth-config", str(auth))
        try:
            setup = Setup(server, issuers, tmp_path / "none.jsonl", ca, example_facts.read_bytes())
            github = issuers["github"]
            expired = github.mint({**github_claims("org/a"), "exp": int(time.time()) - 3600})
            for _ in range(3):
                assert refused(setup, expired, "github.com/org/a").code() == grpc.StatusCode.UNAUTHENTICATED
            error = refused(setup, github.mint(github_claims("org/a")), "github.com/org/a")
            assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "over 3 refused credentials per minute from this address" in error.details()
            assert setup.records() == []
        finally:
            server.stop()


def test_concurrent_calls_over_the_callers_cap_are_refused(tmp_path: Path, example_facts: Path) -> None:
    with serve_issuer(tmp_path) as (issuers, ca, _httpd):
        auth = write_auth(tmp_path, issuers, ca, "limits: {calls_per_minute: 6000, burst: 100, concurrent_calls: 1}\n")
        server = start_server(tmp_path, "--max-workers", "1", "--auth-config", str(auth))
        try:
            setup = Setup(server, issuers, tmp_path / "none.jsonl", ca, example_facts.read_bytes())
            token = issuers["github"].mint(github_claims("org/a"))
            codes: list[grpc.StatusCode] = []

            def call() -> None:
                try:
                    evaluate(setup, token, "github.com/org/a")
                    codes.append(grpc.StatusCode.OK)
                except grpc.RpcError as exc:
                    codes.append(exc.code())

            evaluate(setup, token, "github.com/org/a")  # facts cached, worker warm
            threads = [threading.Thread(target=call) for _ in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert grpc.StatusCode.RESOURCE_EXHAUSTED in codes
            assert grpc.StatusCode.OK in codes
            assert "calls running at once for this caller" in server.log_text()
        finally:
            server.stop()
