"""The server's auth config (``serve --auth-config FILE``): which OIDC issuers it trusts, the authorisation
policy, and the per-caller limits. Read through the project's safe YAML loader; every problem names
``file:line:column``.

.. code-block:: yaml

    issuers:
      - url: https://token.actions.githubusercontent.com
        audience: https://policy.example.com
        claims: {repository_owner: acme}         # required claim values (a string or a list of them)
    authorisation: authorisation.yaml           # relative to this file
    limits: {calls_per_minute: 600, burst: 60, concurrent_calls: 8}
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anops_policy.errors import ConfigError
from anops_policy.yamlsafe import Marks, load_yaml_file

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
TOP_KEYS = ("issuers", "authorisation", "limits", "clock_skew_seconds", "jwks_min_refetch_seconds",
            "jwks_max_age_seconds")
ISSUER_KEYS = ("url", "audience", "claims", "ca_file", "algorithms", "repository_claim")
LIMIT_KEYS = ("calls_per_minute", "burst", "concurrent_calls", "refusals_per_minute")


@dataclass(frozen=True)
class Issuer:
    url: str  # the `iss` its tokens carry, and where /.well-known/openid-configuration is
    audience: tuple[str, ...]  # accepted `aud` values
    claims: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # claim -> accepted values
    ca_file: Path | None = None  # trust these CAs for the issuer's HTTPS (default: the system's)
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    repository_claim: str = ""  # the claim naming the repository (default: repository, else project_path)


@dataclass(frozen=True)
class CallLimits:
    calls_per_minute: int = 600  # per caller identity (a token bucket)
    burst: int = 60  # calls a caller may make at once after being idle
    concurrent_calls: int = 16  # calls of one caller running at once
    refusals_per_minute: int = 60  # refused credentials per network address before it is not heard at all


@dataclass(frozen=True)
class AuthConfig:
    file: str
    issuers: tuple[Issuer, ...] = ()
    authorisation: Path | None = None
    limits: CallLimits = field(default_factory=CallLimits)
    clock_skew_s: int = 60
    jwks_min_refetch_s: float = 30.0  # an unknown `kid` refetches the JWKS at most this often
    jwks_max_age_s: float = 3600.0  # keys are fetched again after this long (a removed key stops working)


class _Reader:
    def __init__(self, marks: Marks) -> None:
        self.marks = marks

    def fail(self, path: tuple[Any, ...], message: str, *, key: bool = False) -> ConfigError:
        return ConfigError(f"{self.marks.at(path, key=key)}: {message}")

    def mapping(self, value: Any, path: tuple[Any, ...], known: tuple[str, ...], what: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"{what} must be a mapping")
        for name in value:
            if name not in known:
                raise self.fail((*path, name), f"unknown key '{name}' in {what} (known: {', '.join(known)})",
                                key=True)
        return value

    def text(self, value: Any, path: tuple[Any, ...], what: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, f"{what} must be a non-empty string")
        return value

    def texts(self, value: Any, path: tuple[Any, ...], what: str) -> tuple[str, ...]:
        items = value if isinstance(value, list) else [value]
        if not items:
            raise self.fail(path, f"{what} must not be empty")
        return tuple(self.text(v, (*path, i) if isinstance(value, list) else path, what) for i, v in enumerate(items))

    def number(self, value: Any, path: tuple[Any, ...], what: str, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise self.fail(path, f"{what} must be a number from {low:g} to {high:g}")
        return float(value)


def _issuer(r: _Reader, raw: Any, path: tuple[Any, ...], base: Path) -> Issuer:
    data = r.mapping(raw, path, ISSUER_KEYS, "an issuer")
    for required in ("url", "audience"):
        if required not in data:
            raise r.fail(path, f"an issuer needs '{required}'")
    url = r.text(data["url"], (*path, "url"), "url").rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise r.fail((*path, "url"), f"'{url}': an issuer URL is https://HOST[/PATH] (its keys are fetched over "
                     "HTTPS only)")
    claims: dict[str, tuple[str, ...]] = {}
    if "claims" in data:
        raw_claims = data["claims"]
        if not isinstance(raw_claims, dict):
            raise r.fail((*path, "claims"), "claims must map a claim name to its accepted value(s)")
        for name, accepted in raw_claims.items():
            claims[str(name)] = r.texts(accepted, (*path, "claims", name), f"claims.{name}")
    ca_file = None
    if "ca_file" in data:
        ca_file = base / r.text(data["ca_file"], (*path, "ca_file"), "ca_file")
        if not ca_file.is_file():
            raise r.fail((*path, "ca_file"), f"ca_file {ca_file}: no such file")
    algorithms = Issuer.algorithms
    if "algorithms" in data:
        algorithms = r.texts(data["algorithms"], (*path, "algorithms"), "algorithms")
        for i, name in enumerate(algorithms):
            if name not in ALGORITHMS:
                why = " (never accepted: a token must be signed with the issuer's private key)" if name.lower() in (
                    "none", "hs256", "hs384", "hs512") else ""
                raise r.fail((*path, "algorithms", i), f"algorithm '{name}' is not allowed{why}; allowed: "
                             f"{', '.join(ALGORITHMS)}")
    repository_claim = ""
    if "repository_claim" in data:
        repository_claim = r.text(data["repository_claim"], (*path, "repository_claim"), "repository_claim")
    return Issuer(url=url, audience=r.texts(data["audience"], (*path, "audience"), "audience"), claims=claims,
                  ca_file=ca_file, algorithms=algorithms, repository_claim=repository_claim)


def auth_config_from_data(data: Any, marks: Marks, base: Path) -> AuthConfig:
    r = _Reader(marks)
    top = r.mapping(data if data is not None else {}, (), TOP_KEYS, "the auth config")
    issuers = []
    raw_issuers = top.get("issuers", [])
    if not isinstance(raw_issuers, list):
        raise r.fail(("issuers",), "issuers must be a list of {url, audience, claims}")
    seen: set[str] = set()
    for i, raw in enumerate(raw_issuers):
        issuer = _issuer(r, raw, ("issuers", i), base)
        if issuer.url in seen:
            raise r.fail(("issuers", i, "url"), f"issuer {issuer.url} is listed twice")
        seen.add(issuer.url)
        issuers.append(issuer)
    authorisation = None
    if "authorisation" in top:
        authorisation = base / r.text(top["authorisation"], ("authorisation",), "authorisation")
        if not authorisation.is_file():
            raise r.fail(("authorisation",), f"authorisation policy {authorisation}: no such file")
    limits = CallLimits()
    if "limits" in top:
        raw_limits = r.mapping(top["limits"], ("limits",), LIMIT_KEYS, "limits")
        values = {k: int(r.number(v, ("limits", k), k, 1, 1_000_000)) for k, v in raw_limits.items()}
        limits = CallLimits(**values)
    settings: dict[str, Any] = {}
    for key, name, low, high in (("clock_skew_seconds", "clock_skew_s", 0, 300),
                                 ("jwks_min_refetch_seconds", "jwks_min_refetch_s", 1, 3600),
                                 ("jwks_max_age_seconds", "jwks_max_age_s", 60, 7 * 86400)):
        if key in top:
            settings[name] = r.number(top[key], (key,), key, low, high)
    if "clock_skew_s" in settings:
        settings["clock_skew_s"] = int(settings["clock_skew_s"])
    return AuthConfig(file=marks.file, issuers=tuple(issuers), authorisation=authorisation, limits=limits,
                      **settings)


def load_auth_config(path: Path) -> AuthConfig:
    """The auth config in ``path`` (ConfigError naming file:line:column on any problem); its authorisation
    policy is loaded and checked too."""
    data, marks = load_yaml_file(str(path), str(path))
    config = auth_config_from_data(data, marks, path.parent)
    if config.authorisation is not None:
        from anops_policy.identity.authorisation import load_authorisation  # noqa: PLC0415

        load_authorisation(config.authorisation)  # a policy with a problem stops the start (exit 2)
    return config
