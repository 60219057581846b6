"""An issuer's JWKS is hostile input: only signing keys of asymmetric types are kept, a bad entry is skipped
with a log line, and nothing is fetched except over HTTPS."""

from __future__ import annotations

import json
import ssl

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from anops_policy.identity.jwks import KeysUnavailable, fetch_json, parse_jwks


def rsa_jwk(kid: str) -> dict[str, object]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa.generate_private_key(65537, 2048).public_key()))
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


def ec_jwk(kid: str) -> dict[str, object]:
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key()))
    return {**jwk, "kid": kid}


def test_only_usable_signing_keys_are_kept(caplog: pytest.LogCaptureFixture) -> None:
    keys = parse_jwks({"keys": [
        rsa_jwk("rsa-1"),
        ec_jwk("ec-1"),
        {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac-secret"},  # a symmetric key is never a verification key
        {**rsa_jwk("enc-1"), "use": "enc"},
        {**rsa_jwk("x"), "kid": None},
        {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
        "not a key",
    ]}, "JWKS https://issuer.test/jwks")
    assert sorted(keys) == ["ec-1", "rsa-1"]
    assert keys["rsa-1"].kty == "RSA" and keys["rsa-1"].algorithm == "RS256"
    assert keys["ec-1"].kty == "EC" and keys["ec-1"].algorithm is None
    assert "key broken skipped" in caplog.text


@pytest.mark.parametrize("document", [{}, {"keys": "all of them"}, {"keys": None}])
def test_a_jwks_without_a_key_list_is_refused(document: dict[str, object]) -> None:
    with pytest.raises(KeysUnavailable, match="no 'keys' list"):
        parse_jwks(document, "JWKS https://issuer.test/jwks")


@pytest.mark.parametrize("url", ["http://issuer.test/jwks", "file:///etc/passwd", "ftp://issuer.test/jwks"])
def test_nothing_is_fetched_except_over_https(url: str) -> None:
    with pytest.raises(KeysUnavailable, match="not https"):
        fetch_json(url, ssl.create_default_context(), "JWKS")
