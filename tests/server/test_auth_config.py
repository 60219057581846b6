"""Hostile configuration of the service's security: the auth config (errors at file:line:column), the
TLS and client options (exit 2 with a message, never a traceback)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from anops_policy.errors import ConfigError
from anops_policy.identity.config import load_auth_config

from .conftest import EXAMPLE, ROOT, cli

ISSUER = "  - url: https://token.actions.githubusercontent.com\n    audience: https://policy.test\n"
ISSUERS = "issuers:\n" + ISSUER
CASES = [
    ("not-https", "issuers:\n  - url: http://issuer.test\n    audience: a\n", "2:10",
     "an issuer URL is https://HOST[/PATH]"),
    ("no-audience", "issuers:\n  - url: https://issuer.test\n", "2:5", "an issuer needs 'audience'"),
    ("alg-none", ISSUERS + "    algorithms: [none]\n", "4:18", "algorithm 'none' is not allowed (never accepted"),
    ("alg-hmac", ISSUERS + "    algorithms: [RS256, HS256]\n", "4:25", "algorithm 'HS256' is not allowed (never"),
    ("unknown-issuer-key", ISSUERS + "    audiences: x\n", "4:5", "unknown key 'audiences' in an issuer"),
    ("unknown-top-key", "isuers: []\n", "1:1", "unknown key 'isuers' in the auth config"),
    ("claims-not-strings", ISSUERS + "    claims: {repository_owner: [1]}\n", "4:33",
     "claims.repository_owner must be a non-empty string"),
    ("missing-ca-file", ISSUERS + "    ca_file: nowhere.pem\n", "4:14", "nowhere.pem: no such file"),
    ("missing-authorisation", "authorisation: authz.yaml\n", "1:16", "authz.yaml: no such file"),
    ("bad-limit", "limits: {calls_per_minute: 0}\n", "1:28", "calls_per_minute must be a number from 1"),
    ("skew-too-large", "clock_skew_seconds: 3600\n", "1:21", "clock_skew_seconds must be a number from 0 to 300"),
    ("issuer-twice", "issuers:\n" + ISSUER + ISSUER, "4:10", "is listed twice"),
    ("not-a-mapping", "- just\n- a list\n", "1:1", "the auth config must be a mapping"),
    ("yaml-error", "issuers: [\n", "", "auth.yaml"),
]


@pytest.mark.parametrize(("case", "text", "where", "message"), CASES, ids=[c[0] for c in CASES])
def test_auth_config_problems_name_file_line_column(tmp_path: Path, case: str, text: str, where: str,
                                                    message: str) -> None:
    path = tmp_path / "auth.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_auth_config(path)
    assert f"{path}:{where}" in str(info.value), (case, str(info.value))
    assert message in str(info.value), (case, str(info.value))


def test_serve_with_a_bad_auth_config_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "auth.yaml"
    path.write_text(ISSUERS + "    algorithms: [HS256]\n")
    run = subprocess.run(cli("serve", "--listen", "127.0.0.1:0", "--auth-config", str(path)),
                         capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert run.returncode == 2, run.stderr
    assert f"{path}:4:18: algorithm 'HS256' is not allowed" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["serve", "--tls-cert", "x.pem"], "--tls-cert and --tls-key go together"),
    (["serve", "--tls-client-ca", "ca.pem"], "--tls-client-ca needs --tls-cert and --tls-key"),
    (["eval", str(EXAMPLE), "--server-ca", "ca.pem"], "--server-ca apply only with --server"),
    (["eval", str(EXAMPLE), "--server", "10.9.8.7:50051", "--token-file", "TOKEN"],
     "not a loopback address and no TLS: the token would cross the network in plaintext"),
    (["eval", str(EXAMPLE), "--server", "127.0.0.1:50051", "--server-ca", "missing.pem"], "missing.pem: cannot read"),
    (["eval", str(EXAMPLE), "--server", "127.0.0.1:50051", "--client-cert", "c.pem"],
     "--client-cert and --client-key go together"),
    (["eval", str(EXAMPLE), "--server", "127.0.0.1:50051", "--token-file", "BINARY"], "not a token"),
])
def test_security_options_misused_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "TOKEN").write_text("eyJhbGciOiJSUzI1NiJ9.e30.c2ln\n")
    (tmp_path / "BINARY").write_bytes(b"\x00\x01 two words\n")
    (tmp_path / "c.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    run = subprocess.run(cli(*args), capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False)
    assert run.returncode == 2, (args, run.stdout, run.stderr)
    assert message in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
