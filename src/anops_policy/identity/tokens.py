"""Verifying a caller's OIDC token (PyJWT over ``cryptography``), and the identity it proves.

The order matters: the header's algorithm is checked against the issuer's allow-list before anything
else (``none`` and every HMAC algorithm are never on it, so a token "signed" with the issuer's public key
as an HMAC secret is refused before a key is looked at); the unverified ``iss`` only picks which issuer's
keys to try; then PyJWT verifies the signature with the key named by ``kid`` (which must be of the kind
the algorithm needs), ``iss``, ``aud``, ``exp``, ``nbf`` and ``iat`` with the configured clock skew;
finally the issuer's required claim values are compared.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt

from anops_policy.identity.config import AuthConfig, Issuer
from anops_policy.identity.jwks import IssuerKeys, KeysUnavailable

MAX_TOKEN_BYTES = 16 * 1024
CACHE_SIZE = 10_000  # verified tokens remembered (a CI job sends its token on each of its calls)
CACHE_TTL_S = 300.0  # a remembered token is verified again after this long (or at its `exp`, if sooner)
KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
REPOSITORY_CLAIMS = ("repository", "project_path")


class TokenRefused(Exception):
    """The token does not prove who the caller is; the message is the reason (for the server's log and the
    caller's UNAUTHENTICATED status)."""


@dataclass(frozen=True, eq=False)  # compared (and hashed) by object: the authorisation caches verdicts per identity
class Identity:
    kind: str  # "oidc", "certificate" or "anonymous"
    issuer: str  # the token's `iss`, or the client certificate's issuer DN
    subject: str  # the token's `sub`, or the client certificate's subject DN
    repository: str = ""  # the repository claim (GitHub `repository`, GitLab `project_path`)
    claims: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """What the per-caller limits count by."""
        return f"{self.kind}:{self.issuer}:{self.subject}"

    def record(self) -> dict[str, str]:
        """What a decision record keeps of the caller that wrote it."""
        out = {"kind": self.kind, "issuer": self.issuer, "subject": self.subject}
        if self.repository:
            out["repository"] = self.repository
        return out

    def describe(self) -> str:
        if self.kind == "anonymous":
            return "an anonymous caller"
        repo = f", repository {self.repository}" if self.repository else ""
        return f"{self.subject} ({self.issuer}{repo})"


ANONYMOUS = Identity("anonymous", "", "anonymous")


def _claim_text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class TokenVerifier:
    def __init__(self, config: AuthConfig) -> None:
        self.config = config
        self._keys = {
            issuer.url: IssuerKeys(issuer, config.jwks_min_refetch_s, config.jwks_max_age_s)
            for issuer in config.issuers
        }
        self._verified: dict[str, tuple[Identity, float, float]] = {}  # token -> (identity, exp + skew, TTL end)
        self._lock = threading.Lock()

    def issuers(self) -> Sequence[Issuer]:
        return self.config.issuers

    def verify(self, token: str) -> Identity:
        """The identity ``token`` proves; TokenRefused otherwise. A token verified before is answered from a
        cache until its ``exp`` (plus the clock skew) or for CACHE_TTL_S at most, so a key the issuer
        withdraws stops being accepted within that time."""
        hit = self._verified.get(token)
        if hit is not None and time.time() < hit[1] and time.monotonic() < hit[2]:
            return hit[0]
        identity, expires = self._verify(token)
        with self._lock:
            if len(self._verified) >= CACHE_SIZE:
                now = time.time()
                for key in [k for k, v in self._verified.items() if v[1] <= now] or list(self._verified)[:1000]:
                    self._verified.pop(key, None)
            self._verified[token] = (identity, expires, time.monotonic() + CACHE_TTL_S)
        return identity

    def _verify(self, token: str) -> tuple[Identity, float]:
        if len(token) > MAX_TOKEN_BYTES:
            raise TokenRefused(f"token of {len(token)} bytes is over {MAX_TOKEN_BYTES} bytes")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise TokenRefused(f"malformed token: {exc}") from None
        alg = header.get("alg")
        iss = _claim_text(unverified.get("iss"))
        if iss is None:
            raise TokenRefused("the token has no issuer ('iss')")
        keys = self._keys.get(iss.rstrip("/"))
        if keys is None:
            raise TokenRefused(f"issuer {iss[:200]!r} is not configured (serve --auth-config issuers)")
        issuer = keys.issuer
        if not isinstance(alg, str) or alg not in issuer.algorithms:
            raise TokenRefused(f"algorithm {str(alg)[:20]!r} is not allowed for {issuer.url} (allowed: "
                               f"{', '.join(issuer.algorithms)})")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenRefused("the token names no signing key ('kid')")
        try:
            key = keys.key(kid)
        except KeysUnavailable as exc:
            raise TokenRefused(f"the keys of {issuer.url} cannot be fetched: {exc}") from None
        except KeyError:
            raise TokenRefused(f"key {kid[:100]!r} is not in the JWKS of {issuer.url}") from None
        if KEY_TYPES.get(alg[:2]) != key.kty or (key.algorithm is not None and key.algorithm != alg):
            raise TokenRefused(f"key {kid!r} of {issuer.url} is a {key.kty} key ({key.algorithm or 'no alg'}), "
                               f"not one for {alg}")
        claims = self._decode(token, key.key, alg, issuer)
        return self._identity(issuer, claims), float(claims["exp"]) + self.config.clock_skew_s

    def _decode(self, token: str, key: Any, alg: str, issuer: Issuer) -> dict[str, Any]:
        # the configured URL is kept without a trailing '/' (as the issuer is looked up and its discovery
        # document checked): an issuer whose `iss` ends in '/' is the same issuer
        issued_by = [issuer.url, issuer.url + "/"]
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key=key, algorithms=[alg], audience=list(issuer.audience), issuer=issued_by,
                leeway=self.config.clock_skew_s,
                options={"require": ["exp", "iss", "aud", "sub"], "verify_iat": True},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRefused("expired ('exp' is past, beyond the allowed clock skew)") from None
        except jwt.ImmatureSignatureError:
            raise TokenRefused("not valid yet ('nbf' or 'iat' is in the future, beyond the clock skew)") from None
        except jwt.InvalidAudienceError:
            raise TokenRefused(f"wrong audience: this server accepts {', '.join(issuer.audience)} from "
                               f"{issuer.url}") from None
        except jwt.InvalidIssuerError:
            raise TokenRefused(f"wrong issuer (expected {issuer.url})") from None
        except jwt.InvalidSignatureError:
            raise TokenRefused(f"the signature does not verify with key of {issuer.url}") from None
        except jwt.MissingRequiredClaimError as exc:
            raise TokenRefused(f"the token lacks the required claim '{exc.claim}'") from None
        except jwt.PyJWTError as exc:
            raise TokenRefused(f"invalid token: {exc}") from None
        iat = claims.get("iat")
        if isinstance(iat, int | float) and iat > time.time() + self.config.clock_skew_s:
            raise TokenRefused("issued in the future ('iat'), beyond the allowed clock skew")
        return claims

    def _identity(self, issuer: Issuer, claims: dict[str, Any]) -> Identity:
        for name, accepted in issuer.claims.items():
            value = claims.get(name)
            if not isinstance(value, str) or value not in accepted:
                shown = repr(value)[:100] if value is not None else "missing"
                raise TokenRefused(f"claim '{name}' is {shown}; {issuer.url} tokens must have "
                                   f"{' or '.join(accepted)}")
        names = (issuer.repository_claim,) if issuer.repository_claim else REPOSITORY_CLAIMS
        repository = next((v for n in names if isinstance(v := claims.get(n), str)), "")
        return Identity("oidc", issuer.url, str(claims["sub"]), repository, claims)
