"""An issuer's signing keys: its discovery document and JWKS, fetched over HTTPS and cached.

Rotation: a token whose ``kid`` is not in the cache makes the cache fetch the JWKS again, at most once per
``min_refetch_s`` (a flood of tokens with made-up key ids costs one fetch, not one per call); the keys are
fetched again after ``max_age_s`` anyway, so a key the issuer withdrew stops being accepted. Every answer
is hostile: HTTPS only, bounded in size and time, and a key that cannot be used is skipped with a log line.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import jwt

from anops_policy.identity.config import Issuer

log = logging.getLogger("anops_policy.identity")
MAX_DOCUMENT_BYTES = 512 * 1024
FETCH_TIMEOUT_S = 10.0  # for each read from the issuer
FETCH_DEADLINE_S = 20.0  # for a whole document: an issuer sending a byte at a time is refused, not waited for


class KeysUnavailable(Exception):
    """The issuer's keys could not be fetched (the message says why)."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    key: Any  # the public key object PyJWT verifies with
    kty: str  # RSA, EC, OKP
    algorithm: str | None  # the JWK's own `alg`, when it names one


def _context(issuer: Issuer) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(issuer.ca_file) if issuer.ca_file else None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is followed only to another https URL (urllib would follow one to plain http, keeping the
    request's headers, an Authorization one included); any other is a URLError naming it. Also used by the
    CI token request (ci_tokens)."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if urllib.parse.urlsplit(newurl).scheme != "https":
            raise urllib.error.URLError(f"redirected to {newurl[:200]}, which is not https")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _read_before(answer: Any, deadline: float, what: str) -> bytes:
    """The body, at most ``MAX_DOCUMENT_BYTES`` + 1 bytes, read in whatever pieces arrive, until ``deadline``."""
    parts: list[bytes] = []
    size = 0
    while size <= MAX_DOCUMENT_BYTES:
        if time.monotonic() > deadline:
            raise KeysUnavailable(f"{what}: not received within {FETCH_DEADLINE_S:g} s")
        part = answer.read1(MAX_DOCUMENT_BYTES + 1 - size)
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def fetch_json(url: str, context: ssl.SSLContext, what: str) -> dict[str, Any]:
    if urllib.parse.urlsplit(url).scheme != "https":
        raise KeysUnavailable(f"{what} {url}: not https")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), HttpsOnlyRedirects())
    try:
        deadline = time.monotonic() + FETCH_DEADLINE_S
        with opener.open(request, timeout=FETCH_TIMEOUT_S) as answer:
            body = _read_before(answer, deadline, f"{what} {url}")
    except urllib.error.HTTPError as exc:
        raise KeysUnavailable(f"{what} {url}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise KeysUnavailable(f"{what} {url}: {getattr(exc, 'reason', exc)}") from None
    if len(body) > MAX_DOCUMENT_BYTES:
        raise KeysUnavailable(f"{what} {url}: over {MAX_DOCUMENT_BYTES} bytes")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise KeysUnavailable(f"{what} {url}: not JSON") from None
    if not isinstance(data, dict):
        raise KeysUnavailable(f"{what} {url}: not a JSON object")
    return data


def parse_jwks(data: dict[str, Any], where: str) -> dict[str, SigningKey]:
    keys: dict[str, SigningKey] = {}
    entries = data.get("keys")
    if not isinstance(entries, list):
        raise KeysUnavailable(f"{where}: no 'keys' list")
    for entry in entries[:100]:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            log.warning("%s: a key without a 'kid' is skipped", where)
            continue
        if entry.get("use", "sig") != "sig" or entry.get("kty") not in ("RSA", "EC", "OKP"):
            continue  # an encryption key, or a symmetric ("oct") one: never a signing key for us
        try:
            parsed = jwt.PyJWK(entry)
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError, KeyError) as exc:
            log.warning("%s: key %s skipped: %s", where, entry["kid"], exc)
            continue
        alg = entry.get("alg")
        keys[entry["kid"]] = SigningKey(entry["kid"], parsed.key, str(entry["kty"]),
                                        alg if isinstance(alg, str) else None)
    return keys


class IssuerKeys:
    """The signing keys of one issuer, fetched on first use and when a token names an unknown key."""

    def __init__(self, issuer: Issuer, min_refetch_s: float, max_age_s: float) -> None:
        self.issuer = issuer
        self._context = _context(issuer)
        self._min_refetch_s = min_refetch_s
        self._max_age_s = max_age_s
        self._keys: dict[str, SigningKey] = {}
        self._fetched = -1e18  # monotonic time of the last fetch attempt
        self._loaded = -1e18  # monotonic time of the last successful fetch
        self._lock = threading.Lock()  # the keys and times below
        self._fetching = threading.Lock()  # held by the one fetch under way
        self._error = ""  # why the last fetch failed
        self.fetches = 0

    def _fetch(self) -> dict[str, SigningKey]:
        discovery_url = f"{self.issuer.url}/.well-known/openid-configuration"
        discovery = fetch_json(discovery_url, self._context, "discovery document")
        named = discovery.get("issuer")
        if not isinstance(named, str) or named.rstrip("/") != self.issuer.url:
            raise KeysUnavailable(f"discovery document {discovery_url}: names issuer "
                                  f"{str(discovery.get('issuer'))[:200]!r}, not {self.issuer.url}")
        jwks_uri = discovery.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise KeysUnavailable(f"discovery document {discovery_url}: no jwks_uri")
        return parse_jwks(fetch_json(jwks_uri, self._context, "JWKS"), f"JWKS {jwks_uri}")

    def key(self, kid: str) -> SigningKey:
        """The key named ``kid``; raises KeysUnavailable (fetch failed) or KeyError (no such key, even after a
        refetch allowed by the rate limit). A fetch runs outside the keys' lock, one at a time: a slow issuer
        delays only the callers waiting for a key it has not served yet, never those whose key is known."""
        with self._lock:
            now = time.monotonic()
            stale = now - self._loaded > self._max_age_s
            if kid in self._keys and (not stale or self._fetching.locked()):
                return self._keys[kid]  # known (while a refresh is under way, the cached one still serves)
            under_way = self._fetching.locked()
            if not under_way:
                if now - self._fetched < self._min_refetch_s:
                    return self._answer(kid)  # refetches are rate-limited: the cached keys answer
                self._fetched = now
                self.fetches += 1
                self._fetching.acquire()  # taken under the keys' lock: no caller sees a gap before the fetch
        if under_way:  # a fetch that may bring this key is under way: wait for it, then answer
            with self._fetching:
                pass
            with self._lock:
                return self._answer(kid)
        try:
            try:
                keys = self._fetch()
            except KeysUnavailable as exc:
                with self._lock:
                    self._error = str(exc)
                    if not self._keys or now - self._loaded > 2 * self._max_age_s:
                        raise
                log.warning("keys of %s not refreshed (%s); the cached ones stay in use", self.issuer.url, exc)
            else:
                with self._lock:
                    added = sorted(set(keys) - set(self._keys))
                    if self._keys and added:
                        log.info("keys of %s rotated: new %s", self.issuer.url, ", ".join(added))
                    self._keys, self._loaded, self._error = keys, now, ""
        finally:
            self._fetching.release()
        with self._lock:
            return self._answer(kid)

    def _answer(self, kid: str) -> SigningKey:
        """Under the lock: the cached key, KeysUnavailable when no key was ever fetched, else KeyError."""
        if not self._keys and self._error:
            raise KeysUnavailable(self._error)
        return self._keys[kid]
