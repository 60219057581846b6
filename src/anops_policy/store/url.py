"""Telling a store URL from a log path, and showing one without its credentials."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

SCHEMES = ("postgresql://", "postgres://")
# a mistyped URL (``postgres:/db``, ``postgresql:db``) is still meant for the store: taken for a file path
# it would quietly start a decision log in a folder named ``postgres:``
SCHEME_PREFIX = re.compile(r"(?i)postgres(?:ql)?:")


def is_store_url(target: object) -> bool:
    """True for ``postgresql://…`` / ``postgres://…``, and for anything else that starts with either scheme
    (a URL must never be taken for a file path; a malformed one fails as a store URL, naming itself)."""
    return isinstance(target, str) and SCHEME_PREFIX.match(target) is not None


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
