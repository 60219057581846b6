"""An OIDC issuer served by the test on loopback over HTTPS: discovery documents and JWKS for two issuers
(GitHub Actions-like and GitLab-like, at two paths of one server), real RS256 and ES256 keys, key
rotation, GitHub's job-token request endpoint, and tokens minted with the claims those CIs put in theirs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .pki import Authority

REQUEST_TOKEN = "actions-runtime-request-token"  # what ACTIONS_ID_TOKEN_REQUEST_TOKEN holds in the test


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Key:
    kid: str
    alg: str
    private: Any

    @classmethod
    def make(cls, alg: str) -> Key:
        private = rsa.generate_private_key(65537, 2048) if alg == "RS256" else ec.generate_private_key(ec.SECP256R1())
        return cls(f"{alg.lower()}-{uuid.uuid4().hex[:8]}", alg, private)

    def jwk(self) -> dict[str, Any]:
        algorithm = jwt.algorithms.RSAAlgorithm if self.alg == "RS256" else jwt.algorithms.ECAlgorithm
        data: dict[str, Any] = json.loads(algorithm.to_jwk(self.private.public_key()))
        return {**data, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass
class Issuer:
    path: str  # /github or /gitlab
    base: str  # https://127.0.0.1:PORT
    keys: list[Key] = field(default_factory=list)
    jwks_fetches: int = 0

    @property
    def url(self) -> str:
        return self.base + self.path

    def rotate(self, alg: str) -> Key:
        """A new signing key replaces the old ones in the JWKS."""
        key = Key.make(alg)
        self.keys = [key]
        return key

    def mint(self, claims: dict[str, Any], *, key: Key | None = None, audience: str = "https://policy.test",
             lifetime_s: int = 300, **overrides: Any) -> str:
        key = key or self.keys[0]
        now = int(time.time())
        payload = {"iss": self.url, "aud": audience, "iat": now, "nbf": now - 5, "exp": now + lifetime_s,
                   "jti": uuid.uuid4().hex, **claims, **overrides}
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, key.private, algorithm=key.alg, headers={"kid": key.kid})

    def unsigned(self, claims: dict[str, Any], header: dict[str, Any]) -> str:
        now = int(time.time())
        payload = {"iss": self.url, "aud": "https://policy.test", "iat": now, "exp": now + 300, **claims}
        return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}."

    def hmac_confused(self, claims: dict[str, Any]) -> str:
        """HS256 'signed' with the issuer's RSA public key PEM as the secret (the key-confusion attack)."""
        unsigned = self.unsigned(claims, {"alg": "HS256", "typ": "JWT", "kid": self.keys[0].kid})[:-1]
        mac = hmac.new(self.keys[0].public_pem(), unsigned.encode(), hashlib.sha256).digest()
        return f"{unsigned}.{b64(mac)}"


def github_claims(repository: str, ref: str = "refs/heads/main") -> dict[str, Any]:
    """The claims of a GitHub Actions job token (docs.github.com, "About security hardening with OpenID Connect")."""
    owner = repository.split("/", maxsplit=1)[0]
    return {
        "sub": f"repo:{repository}:ref:{ref}", "ref": ref, "sha": "c0ffee" * 6 + "beef", "repository": repository,
        "repository_owner": owner, "repository_owner_id": "4242", "repository_id": "123456",
        "repository_visibility": "private", "run_id": "9876543210", "run_number": "17", "run_attempt": "1",
        "actor": "octocat", "actor_id": "583231", "workflow": "CI", "event_name": "push", "ref_type": "branch",
        "head_ref": "", "base_ref": "", "workflow_ref": f"{repository}/.github/workflows/ci.yml@{ref}",
        "workflow_sha": "c0ffee" * 6 + "beef", "job_workflow_ref": f"{repository}/.github/workflows/ci.yml@{ref}",
        "runner_environment": "github-hosted",
    }


def gitlab_claims(project_path: str, ref: str = "main") -> dict[str, Any]:
    """The claims of a GitLab CI id_token (docs.gitlab.com, "OpenID Connect (OIDC) Authentication Using ID Tokens")."""
    namespace = project_path.rsplit("/", 1)[0]
    return {
        "sub": f"project_path:{project_path}:ref_type:branch:ref:{ref}", "namespace_id": "72",
        "namespace_path": namespace, "project_id": "20", "project_path": project_path, "user_id": "5",
        "user_login": "jane", "user_email": "jane@example.com", "user_access_level": "developer",
        "pipeline_id": "1212", "pipeline_source": "push", "job_id": "2424", "ref": ref, "ref_type": "branch",
        "ref_path": f"refs/heads/{ref}", "ref_protected": "true", "runner_id": 1, "runner_environment": "gitlab-hosted",
        "sha": "714a629c0b401fdce83e847fc9589983fc6f46bc", "project_visibility": "private",
        "ci_config_ref_uri": f"gitlab.example.com/{project_path}//.gitlab-ci.yml@refs/heads/{ref}",
        "ci_config_sha": "714a629c0b401fdce83e847fc9589983fc6f46bc",
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        hostile = self.server.issuers.get("hostile")
        if hostile is not None and parts.path.startswith("/hostile/"):
            return self._hostile(parts.path, hostile)
        for issuer in self.server.issuers.values():
            if parts.path == f"{issuer.path}/.well-known/openid-configuration":
                return self._json(200, {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/jwks",
                                        "id_token_signing_alg_values_supported": ["RS256", "ES256"]})
            if parts.path == f"{issuer.path}/jwks":
                issuer.jwks_fetches += 1
                return self._json(200, {"keys": [k.jwk() for k in issuer.keys]})
        if parts.path == "/github/token-request":
            if self.headers.get("Authorization") != f"bearer {REQUEST_TOKEN}":
                return self._json(401, {"message": "bad request token"})
            audience = parse_qs(parts.query).get("audience", [""])[0]
            github = self.server.issuers["github"]
            token = github.mint(github_claims(self.server.job_repository), audience=audience)
            return self._json(200, {"count": 1, "value": token})
        return self._json(404, {"message": "not found"})


    def _hostile(self, path: str, issuer: Issuer) -> None:
        """An issuer whose answers are wrong in the ways a compromised or misconfigured one's could be."""
        if path == "/hostile/.well-known/openid-configuration":
            # names the GitHub issuer (a document for someone else) and a JWKS over plain http
            return self._json(200, {"issuer": self.server.issuers["github"].url,
                                    "jwks_uri": issuer.url.replace("https:", "http:") + "/jwks"})
        return self._json(404, {"message": "not found"})


class _Server(ThreadingHTTPServer):
    issuers: dict[str, Issuer]
    job_repository: str = "org/a"


@contextmanager
def serve_issuer(folder: Path) -> Iterator[tuple[dict[str, Issuer], Path, _Server]]:
    """(issuers by name, the CA file their HTTPS certificate chains to, the HTTP server)."""
    ca = Authority("issuer CA")
    cert, key = ca.issue("oidc.test", server=True).write(folder, "issuer")
    httpd = _Server(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    base = f"https://127.0.0.1:{httpd.server_address[1]}"
    httpd.issuers = {"github": Issuer("/github", base, [Key.make("RS256")]),
                     "gitlab": Issuer("/gitlab", base, [Key.make("ES256")]),
                     "hostile": Issuer("/hostile", base, [Key.make("RS256")])}
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.issuers, ca.write(folder / "issuer-ca.pem"), httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
