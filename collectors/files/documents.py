"""Turning a file's parsed documents into fact documents: ``kind: List`` items expanded into documents of
their own, ``require_keys`` applied, secret-looking values redacted."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from anops_policy.collectors.docker.secrets import REDACTED, has_url_credentials, should_redact


def list_items(data: Any, lines: Mapping[str, int]) -> Iterator[tuple[int | None, Any, dict[str, int]]]:
    """``(item, data, lines)``: a Kubernetes ``List`` (``kind: List`` or ``*List`` with ``items``) gives one
    entry per item, its lines re-rooted at the item; any other document gives itself."""
    items = data.get("items") if isinstance(data, dict) else None
    kind = data.get("kind") if isinstance(data, dict) else None
    if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
        for index, item in enumerate(items):
            prefix = f"/items/{index}"
            own = {p[len(prefix):]: n for p, n in lines.items() if p == prefix or p.startswith(prefix + "/")}
            yield index, item, own
        return
    yield None, data, dict(lines)


def has_keys(data: Any, keys: Sequence[str]) -> bool:
    return isinstance(data, dict) and all(k in data for k in keys)


# a reference to a value kept elsewhere, not a value: ${DB_PASSWORD}, ${DB_PASSWORD:?set it}, $TOKEN,
# Kubernetes' $(TOKEN); a literal default (${DB_PASSWORD:-hunter2}) is a value and is redacted
_REFERENCE = re.compile(
    r"^(?:\$[A-Za-z_][A-Za-z0-9_]*|\$\{[A-Za-z_][A-Za-z0-9_]*(?::?\?[^}]*)?\}|\$\([A-Za-z_][A-Za-z0-9_]*\))$"
)


def _secret_value(text: str) -> bool:
    return bool(text) and not _REFERENCE.match(text.strip())


def redact(value: Any) -> Any:
    """A copy of ``value`` with secret-looking values replaced by ``<redacted>``: a string under a key that
    looks secret (``password``, ``token``, ``api_key`` …), the ``value`` of a ``{name, value}`` pair whose
    name looks secret (Kubernetes ``env``), ``NAME=value`` strings with such a name (compose
    ``environment`` lists) and any URL with credentials. The key stays, so a policy can still fail on it."""
    if isinstance(value, dict):
        named = value.get("name")
        secret_pair = isinstance(named, str) and should_redact(named)
        out: dict[str, Any] = {}
        for key, item in value.items():
            secret_key = should_redact(str(key)) or (secret_pair and key == "value")
            if isinstance(item, str) and secret_key and _secret_value(item):
                out[key] = REDACTED
            else:
                out[key] = redact(item)
        return out
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, str):
        if has_url_credentials(value):
            return REDACTED
        name, eq, rest = value.partition("=")
        if eq and _secret_value(rest) and name and " " not in name and should_redact(name):
            return f"{name}={REDACTED}"
    return value
