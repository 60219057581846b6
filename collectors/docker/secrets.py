"""Secret-looking names and values: which ENV/ARG keys look secret, and redaction of values and text.

Two rules, on purpose:

* ``looks_secret`` decides a *problem*. It is BuildKit's own ``SecretsUsedInArgOrEnv`` rule (a token
  such as ``password``, ``secret``, ``token`` or ``key`` delimited by ``_`` or the ends of the name, and
  not ``public``), so a finding here is one ``docker build --check`` also reports.
* ``should_redact`` decides what is never *stored*. It is looser (any name containing password, secret,
  token, key, credential), because over-redacting a value costs nothing and a leaked token does.

Values with credentials in a URL (``https://user:pass@host``) are redacted whatever the key.
"""

from __future__ import annotations

import re

REDACTED = "<redacted>"

_SECRET_TOKENS = (
    "apikey",
    "auth",
    "credential",
    "credentials",
    "key",
    "password",
    "pword",
    "passwd",
    "secret",
    "token",
)
_SECRET_KEY = re.compile(r"(?i)(?:_|^)(?:" + "|".join(_SECRET_TOKENS) + r")(?:_|$)")
_ALLOWED_KEY = re.compile(r"(?i)(?:_|^)public(?:_|$)")
_REDACT_KEY = re.compile(r"(?i)passw(?:or)?d|pword|secret|token|key|credential")
# scheme://userinfo@ — any userinfo in a URL is a credential (user:password, or a bare token)
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@'\"]+@")
_ASSIGNMENT = re.compile(r"(?<![\w$])([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|[^\s;&|]*)")


def looks_secret(key: str) -> bool:
    """BuildKit's ``SecretsUsedInArgOrEnv`` test of a variable name."""
    return bool(_SECRET_KEY.search(key)) and not _ALLOWED_KEY.search(key)


def should_redact(key: str) -> bool:
    return looks_secret(key) or bool(_REDACT_KEY.search(key))


def has_url_credentials(value: str) -> bool:
    return bool(_URL_USERINFO.search(value))


def redact_value(key: str, value: str | None) -> str | None:
    """The value to store for ``key``: ``<redacted>`` for secret-looking keys and credentialed URLs."""
    if value is None or value == "":
        return value
    if should_redact(key) or has_url_credentials(value):
        return REDACTED
    return value


def redact_text(text: str) -> str:
    """Free text (an instruction's summary): credentials in URLs and ``SECRET=value`` assignments go."""
    text = _URL_USERINFO.sub(lambda m: m.group(1) + REDACTED + "@", text)

    def assignment(match: re.Match[str]) -> str:
        key = match.group(1)
        return f"{key}={REDACTED}" if should_redact(key) and match.group(2) else match.group(0)

    return _ASSIGNMENT.sub(assignment, text)
