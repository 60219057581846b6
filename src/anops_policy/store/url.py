"""Telling a store URL from a log path, and showing one without its credentials."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

SCHEMES = ("postgresql://", "postgres://")


def is_store_url(target: object) -> bool:
    """True for ``postgresql://…`` / ``postgres://…`` (a URL must never be taken for a file path)."""
    return isinstance(target, str) and target.lower().startswith(SCHEMES)


def redacted(url: str) -> str:
    """The URL as it may be printed or logged: the password (and any ``password=`` parameter) replaced
    by ``***``. The user name stays: it says which role wrote."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://<unparsable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostinfo = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{hostinfo}" if ":" in userinfo else f"{user}@{hostinfo}"
    query = re.sub(r"(?i)(password=)[^&]*", r"\1***", parts.query)
    if (netloc, query) == (parts.netloc, parts.query):
        return url  # nothing to hide (and urlunsplit would fold an empty host's "//")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def scrub(text: str, url: str) -> str:
    """A driver message with the URL's password removed, should the driver ever echo it."""
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    return text.replace(password, "***") if password else text
