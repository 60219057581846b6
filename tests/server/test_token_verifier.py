"""TokenVerifier on its own (no server, no HTTPS): the cache of verified tokens ends at the token's ``exp``
and never answers for another token, and an issuer whose ``iss`` ends in '/' verifies as the configured URL
(which is kept without it)."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from anops_policy.identity.config import AuthConfig, Issuer
from anops_policy.identity.jwks import SigningKey
from anops_policy.identity.tokens import TokenRefused, TokenVerifier

URL = "https://issuer.test"
AUDIENCE = "https://policy.test"
PRIVATE = ec.generate_private_key(ec.SECP256R1())


def verifier(monkeypatch: pytest.MonkeyPatch, skew: int = 0) -> tuple[TokenVerifier, list[str]]:
    """A verifier whose issuer's one key is PRIVATE's (kid k1); the list records each key look-up."""
    config = AuthConfig(file="auth.yaml", issuers=(Issuer(url=URL, audience=(AUDIENCE,), algorithms=("ES256",)),),
                        clock_skew_s=skew)
    out = TokenVerifier(config)
    looked_up: list[str] = []

    def key(kid: str) -> SigningKey:
        looked_up.append(kid)
        if kid != "k1":
            raise KeyError(kid)
        return SigningKey("k1", PRIVATE.public_key(), "EC", "ES256")

    monkeypatch.setattr(out._keys[URL], "key", key)
    return out, looked_up


def mint(**claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": URL, "aud": AUDIENCE, "sub": "repo:org/a:ref:refs/heads/main", "repository": "org/a",
               "iat": now, "exp": now + 300, **claims}
    return jwt.encode(payload, PRIVATE, algorithm="ES256", headers={"kid": "k1"})


def test_a_verified_token_is_remembered_but_not_past_its_exp(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens, looked_up = verifier(monkeypatch)
    token = mint(exp=int(time.time()) + 2)
    assert tokens.verify(token).repository == "org/a"
    assert tokens.verify(token).repository == "org/a"
    assert looked_up == ["k1"]  # the second call was answered from the cache
    other = mint(repository="org/b")
    assert tokens.verify(other).repository == "org/b"  # another token is verified on its own
    assert looked_up == ["k1", "k1"]
    time.sleep(2.2)
    with pytest.raises(TokenRefused, match="expired"):
        tokens.verify(token)


def test_an_iss_with_a_trailing_slash_is_the_configured_issuer(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens, _ = verifier(monkeypatch)
    identity = tokens.verify(mint(iss=URL + "/"))
    assert identity.issuer == URL  # what authorisation rules compare with: one spelling
    with pytest.raises(TokenRefused, match="is not configured"):
        tokens.verify(mint(iss=URL + "/other"))
