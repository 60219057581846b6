"""The token ``eval --server`` sends: from a file, from ``ANOPS_POLICY_TOKEN`` (the name to give GitLab's
``id_tokens`` entry), or requested from GitHub Actions' OIDC provider for the job."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from anops_policy.errors import ConfigError

TOKEN_VARIABLE = "ANOPS_POLICY_TOKEN"
DEFAULT_AUDIENCE = "anops-policy"
MAX_TOKEN_BYTES = 64 * 1024
REQUEST_TIMEOUT_S = 30.0


def _clean(text: str, where: str) -> str:
    token = text.strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    if not token:
        raise ConfigError(f"{where}: empty token")
    if len(token) > MAX_TOKEN_BYTES or any(c.isspace() or not c.isprintable() for c in token):
        raise ConfigError(f"{where}: not a token (a JWT is one line of base64url parts joined by '.')")
    return token


def token_from_file(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_TOKEN_BYTES:
            raise ConfigError(f"--token-file {path}: over {MAX_TOKEN_BYTES} bytes: not a token")
        return _clean(path.read_text(encoding="utf-8"), f"--token-file {path}")
    except OSError as exc:
        raise ConfigError(f"--token-file {path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"--token-file {path}: not text: not a token") from None


def github_actions_token(request_url: str, request_token: str, audience: str) -> str:
    """Ask the job's OIDC provider for a token with ``audience`` (needs ``permissions: id-token: write``)."""
    parts = urllib.parse.urlsplit(request_url)
    if parts.scheme != "https" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ConfigError(f"ACTIONS_ID_TOKEN_REQUEST_URL: {parts.scheme}:// is not https: no token requested")
    query = urllib.parse.urlencode([*urllib.parse.parse_qsl(parts.query), ("audience", audience)])
    url = urllib.parse.urlunsplit(parts._replace(query=query))
    request = urllib.request.Request(url, headers={"Authorization": f"bearer {request_token}",
                                                   "Accept": "application/json"})
    where = "GitHub Actions' OIDC token request (ACTIONS_ID_TOKEN_REQUEST_URL)"
    from anops_policy.identity.jwks import HttpsOnlyRedirects  # noqa: PLC0415

    # urllib keeps the Authorization header across a redirect: never follow one to plain http
    opener = urllib.request.build_opener(HttpsOnlyRedirects())
    try:
        with opener.open(request, timeout=REQUEST_TIMEOUT_S) as answer:
            body = answer.read(MAX_TOKEN_BYTES + 1024)
    except urllib.error.HTTPError as exc:
        raise ConfigError(f"{where}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise ConfigError(f"{where}: {getattr(exc, 'reason', exc)}") from None
    try:
        value = json.loads(body)["value"]
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"{where}: the answer has no token ('value')") from None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: the answer's 'value' is not a string")
    return _clean(value, where)


def ci_token(token_file: Path | None, audience: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The token to send, in this order: ``--token-file``; ``$ANOPS_POLICY_TOKEN`` (in GitLab CI, an
    ``id_tokens`` entry of that name); GitHub Actions' token request; else None (no token)."""
    env = os.environ if environ is None else environ
    if token_file is not None:
        return token_from_file(token_file)
    if env.get(TOKEN_VARIABLE):
        return _clean(env[TOKEN_VARIABLE], f"${TOKEN_VARIABLE}")
    url, secret = env.get("ACTIONS_ID_TOKEN_REQUEST_URL"), env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    if url and secret:
        return github_actions_token(url, secret, audience)
    return None
