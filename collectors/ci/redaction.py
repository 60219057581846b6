"""Secret-looking literals in CI scripts replaced by ``<redacted>`` before they reach the fact document."""

from __future__ import annotations

import re

_SECRET_ASSIGN = re.compile(
    r"(?i)\b([A-Z0-9_.-]*(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key)[A-Z0-9_]*)"
    r"(\s*[=:]\s*|\s+)(['\"]?)(?!\$|<redacted>)([^\s'\"]{4,})"
)
_URL_CREDS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s:@]+):([^/\s@]+)@")
_TOKEN_SHAPES = re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|glpat-[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}"
                           r"|xox[abpr]-[A-Za-z0-9-]{10,})")


def redact(text: str) -> str:
    """Replace secret-looking literals (assigned to a *token/secret/password/key* name, credentials in
    URLs, well-known token shapes) with ``<redacted>``; references such as ``$TOKEN`` or
    ``${{ secrets.X }}`` are kept since they are not values."""
    text = _URL_CREDS.sub(lambda m: f"{m.group(1)}{m.group(2)}:<redacted>@", text)
    text = _TOKEN_SHAPES.sub("<redacted>", text)
    return _SECRET_ASSIGN.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}<redacted>", text)
