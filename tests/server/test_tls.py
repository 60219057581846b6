"""TLS and mutual TLS on a real server: certificates from a CA the test makes; refusals; reload without
dropping calls; the plaintext refusal off loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from anops_policy.server import policy_pb2, policy_pb2_grpc

from .conftest import EXAMPLE, NOW, ROOT, Server, cli, start_server
from .pki import Authority, Issued


def channel(server: Server, ca: bytes | None, client: Issued | None = None) -> grpc.Channel:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=ca, private_key=client.key_pem if client else None,
        certificate_chain=client.cert_pem if client else None,
    )
    return grpc.secure_channel(server.target, credentials)


def list_packs(chan: grpc.Channel) -> policy_pb2.ListPoliciesResponse:
    stub = policy_pb2_grpc.PolicyServiceStub(chan)  # type: ignore[no-untyped-call]
    answer: policy_pb2.ListPoliciesResponse = stub.ListPolicies(policy_pb2.ListPoliciesRequest(), timeout=20)
    return answer


def refused(chan: grpc.Channel) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as info:
        list_packs(chan)
    code: grpc.StatusCode = info.value.code()
    return code


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("pki")
    ca, clients_ca, other_ca = Authority("server CA"), Authority("clients CA"), Authority("another CA")
    cert, key = ca.issue("anops-policy.test", server=True).write(folder, "server")
    return {
        "folder": folder, "ca": ca, "cert": cert, "key": key,
        "clients_ca": clients_ca.write(folder / "clients-ca.pem"),
        "client": clients_ca.issue("ci-runner-7", server=False),
        "stranger": other_ca.issue("ci-runner-7", server=False),
    }


@pytest.fixture(scope="module")
def mtls_server(tmp_path_factory: pytest.TempPathFactory, pki: dict[str, object]) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("mtls")
    running = start_server(
        folder, "--max-workers", "1", "--tls-cert", str(pki["cert"]),
        "--tls-key", str(pki["key"]), "--tls-client-ca", str(pki["clients_ca"]),
        "--decision-log", str(folder / "decisions.jsonl"),
    )
    running.decisions = folder / "decisions.jsonl"  # type: ignore[attr-defined]
    yield running
    running.stop()


def test_mtls_a_client_with_a_certificate_from_the_clients_ca_completes_a_call(
    mtls_server: Server, pki: dict[str, object]
) -> None:
    ca: Authority = pki["ca"]  # type: ignore[assignment]
    assert list_packs(channel(mtls_server, ca.pem, pki["client"])).packs  # type: ignore[arg-type]


def test_mtls_a_client_without_a_certificate_cannot_complete_a_call(
    mtls_server: Server, pki: dict[str, object]
) -> None:
    ca: Authority = pki["ca"]  # type: ignore[assignment]
    assert refused(channel(mtls_server, ca.pem)) == grpc.StatusCode.UNAVAILABLE


def test_mtls_a_client_with_a_certificate_from_another_ca_cannot_complete_a_call(
    mtls_server: Server, pki: dict[str, object]
) -> None:
    ca: Authority = pki["ca"]  # type: ignore[assignment]
    assert refused(channel(mtls_server, ca.pem, pki["stranger"])) == grpc.StatusCode.UNAVAILABLE  # type: ignore[arg-type]


def test_a_plaintext_client_cannot_talk_to_a_tls_server(mtls_server: Server) -> None:
    assert refused(grpc.insecure_channel(mtls_server.target)) == grpc.StatusCode.UNAVAILABLE


def test_a_client_that_does_not_trust_the_servers_ca_refuses_it(mtls_server: Server, pki: dict[str, object]) -> None:
    other = Authority("not the server's CA")
    assert refused(channel(mtls_server, other.pem, pki["client"])) == grpc.StatusCode.UNAVAILABLE  # type: ignore[arg-type]


def test_eval_server_over_mutual_tls(mtls_server: Server, pki: dict[str, object], tmp_path: Path) -> None:
    folder: Path = pki["folder"]  # type: ignore[assignment]
    ca: Authority = pki["ca"]  # type: ignore[assignment]
    client_cert, client_key = pki["client"].write(folder, "client")  # type: ignore[attr-defined]
    run = subprocess.run(
        cli("eval", str(EXAMPLE), "--now", NOW, "--no-decision-log", "--server", mtls_server.target,
            "--server-ca", str(ca.write(tmp_path / "ca.pem")), "--client-cert", str(client_cert),
            "--client-key", str(client_key)),
        capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
        env={**os.environ, "NO_COLOR": "1", "GITHUB_ACTIONS": "false"},
    )
    assert run.returncode == 1, run.stderr  # the example's blocking failures, judged over mutual TLS
    assert "Traceback" not in run.stderr
    # the record names the client certificate that asked for it
    record = json.loads(mtls_server.decisions.read_text().splitlines()[-1])  # type: ignore[attr-defined]
    assert record["caller"] == {"kind": "certificate", "issuer": "CN=clients CA,O=anops test",
                                "subject": "CN=ci-runner-7,O=anops test"}
    assert "callers: client certificates (mutual TLS" in mtls_server.log_text()
    without = subprocess.run(
        cli("eval", str(EXAMPLE), "--now", NOW, "--no-decision-log", "--server", mtls_server.target,
            "--server-ca", str(tmp_path / "ca.pem")),
        capture_output=True, text=True, cwd=ROOT, timeout=300, check=False, env={**os.environ, "NO_COLOR": "1"},
    )
    assert without.returncode == 3
    assert f"server {mtls_server.target}: pack listing failed: UNAVAILABLE" in without.stderr
    assert "Traceback" not in without.stderr


def test_certificate_reload_on_sighup_and_on_file_change_keeps_calls(tmp_path: Path) -> None:
    first, second, third = Authority("first CA"), Authority("second CA"), Authority("third CA")
    cert, key = first.issue("anops-policy.test", server=True).write(tmp_path, "server")
    server = start_server(tmp_path, "--max-workers", "1", "--tls-cert", str(cert), "--tls-key", str(key))
    try:
        established = channel(server, first.pem)
        assert list_packs(established).packs
        # a new certificate from another CA is written in place; SIGHUP asks for it at once
        issued = second.issue("anops-policy.test", server=True)
        key.write_bytes(issued.key_pem)
        cert.write_bytes(issued.cert_pem)
        server.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while True:  # new connections get the new certificate
            try:
                assert list_packs(channel(server, second.pem)).packs
                break
            except grpc.RpcError:
                assert time.monotonic() < deadline, server.log_text()
                time.sleep(0.2)
        assert "TLS certificate reloaded (SIGHUP)" in server.log_text()
        assert list_packs(established).packs  # the connection made before the reload still answers
        assert refused(channel(server, first.pem)) == grpc.StatusCode.UNAVAILABLE
        # a half-written key is ignored (the current certificate keeps serving) ...
        key.write_bytes(b"-----BEGIN PRIVATE KEY-----\ntrunc")
        time.sleep(1.2)
        assert list_packs(channel(server, second.pem)).packs
        # ... and the complete pair is picked up from the file change alone, without a signal
        issued = third.issue("anops-policy.test", server=True)
        cert.write_bytes(issued.cert_pem)
        key.write_bytes(issued.key_pem)
        deadline = time.monotonic() + 30
        while True:
            try:
                assert list_packs(channel(server, third.pem)).packs
                break
            except grpc.RpcError:
                assert time.monotonic() < deadline, server.log_text()
                time.sleep(0.3)
        log = server.log_text()
        assert "TLS certificate not reloaded" in log
        assert "TLS certificate reloaded (the files changed)" in log
        assert "no OIDC issuer and no client CA: anonymous calls are accepted (loopback only)" in log
        assert "Traceback" not in log
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize("listen", ["0.0.0.0:0", "192.0.2.10:0", "[::]:0", "policy.example:0"])
def test_plaintext_on_a_non_loopback_address_refuses_to_start(listen: str) -> None:
    run = subprocess.run(cli("serve", "--listen", listen), capture_output=True, text=True, cwd=ROOT, timeout=120,
                         check=False)
    assert run.returncode == 2, run.stderr
    assert "is not a loopback address" in run.stderr
    assert "TLS (--tls-cert and --tls-key)" in run.stderr
    assert "--insecure" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(("claims", "refused"), [("", True), ("    claims: {repository_owner: [acme]}\n", False)])
def test_an_issuer_trusted_without_claims_or_authorisation_needs_insecure_off_loopback(
    tmp_path: Path, claims: str, refused: bool
) -> None:
    """TLS and an OIDC issuer are not enough off loopback when the issuer is trusted with neither required
    claims nor an authorisation policy: every job of every repository it serves could write every stream."""
    cert, key = Authority("server CA").issue("anops-policy.test", server=True).write(tmp_path, "server")
    auth = tmp_path / "auth.yaml"
    auth.write_text("issuers:\n  - url: https://token.actions.githubusercontent.com\n"
                    "    audience: https://policy.test\n" + claims)
    args = ["serve", "--listen", "192.0.2.10:0", "--tls-cert", str(cert), "--tls-key", str(key),
            "--auth-config", str(auth)]
    if refused:
        run = subprocess.run(cli(*args), capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
        assert run.returncode == 2, run.stderr
        assert "token.actions.githubusercontent.com are trusted with neither required claims" in run.stderr
        assert "--insecure" in run.stderr and "Traceback" not in run.stderr
    else:  # required claims narrow the callers: the check passes (the address itself cannot be bound here)
        run = subprocess.run(cli(*args), capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
        assert "trusted with neither required claims" not in run.stderr, run.stderr
        assert "Traceback" not in run.stderr


def test_tls_files_that_do_not_load_refuse_to_start(tmp_path: Path) -> None:
    cert, _key = Authority("a").issue("x", server=True).write(tmp_path, "a")
    _cert, other_key = Authority("b").issue("x", server=True).write(tmp_path, "b")
    run = subprocess.run(cli("serve", "--listen", "127.0.0.1:0", "--tls-cert", str(cert), "--tls-key", str(other_key)),
                         capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert run.returncode == 2, run.stderr
    assert f"--tls-key {other_key}: does not belong to the certificate in {cert}" in run.stderr
    assert "Traceback" not in run.stderr


def test_insecure_accepts_plaintext_off_loopback_and_says_so(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--max-workers", "1", "--listen", "0.0.0.0:0", "--insecure")
    try:
        log = server.log_text()
        assert "--insecure: serving plaintext on 0.0.0.0" in log
        assert "anonymous calls are accepted (0.0.0.0 (--insecure))" in log
        assert list_packs(grpc.insecure_channel(server.target)).packs
    finally:
        assert server.stop() == 0


def test_a_call_running_across_a_reload_completes(tmp_path: Path, example_facts: Path) -> None:
    from .conftest import PACKS  # noqa: PLC0415

    first, second = Authority("first CA"), Authority("second CA")
    cert, key = first.issue("anops-policy.test", server=True).write(tmp_path, "server")
    server = start_server(tmp_path, "--max-workers", "1", "--policies", str(PACKS / "slow"), "--tls-cert", str(cert),
                          "--tls-key", str(key))
    try:
        stub = policy_pb2_grpc.PolicyServiceStub(channel(server, first.pem))  # type: ignore[no-untyped-call]
        outcome: list[object] = []

        def slow_call() -> None:  # a cubic rule that runs until its 3 s per-policy deadline
            try:
                outcome.append(stub.Evaluate(policy_pb2.EvaluateRequest(
                    facts_json=example_facts.read_bytes(), policies=["cubic-comprehension"], policy_deadline_s=3.0),
                    timeout=60))
            except grpc.RpcError as exc:
                outcome.append(exc)

        running = threading.Thread(target=slow_call)
        running.start()
        time.sleep(1.0)
        issued = second.issue("anops-policy.test", server=True)
        key.write_bytes(issued.key_pem)
        cert.write_bytes(issued.cert_pem)
        server.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while True:  # the reload happens meanwhile: new connections get the new certificate
            try:
                assert list_packs(channel(server, second.pem)).packs
                break
            except grpc.RpcError:
                assert time.monotonic() < deadline, server.log_text()
                time.sleep(0.2)
        assert outcome == [], "the slow call should still be running"
        running.join(60)
        (answer,) = outcome
        assert isinstance(answer, policy_pb2.EvaluateResponse), answer  # not dropped by the reload
        assert "TLS certificate reloaded (SIGHUP)" in server.log_text()
    finally:
        assert server.stop() == 0
