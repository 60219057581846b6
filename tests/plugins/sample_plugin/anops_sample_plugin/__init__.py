"""A collector plugin for anops-policy: the repository's CODEOWNERS entries as ``facts.codeowners``.

GitHub reads the first of ``.github/CODEOWNERS``, ``CODEOWNERS`` and ``docs/CODEOWNERS``; each line is a
path pattern followed by its owners (``@user``, ``@org/team`` or an e-mail address), later lines win, and a
pattern with no owner leaves the paths it matches without one. The section keeps every entry with its
``path`` and ``line`` (the evidence a decision cites), the owners of the catch-all ``*`` pattern, the
entries that name no owner and the owners that are none of the three forms.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from anops_policy.collection.collector import CollectContext

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
OWNER = re.compile(r"^(@[A-Za-z0-9](?:[A-Za-z0-9-]*)(?:/[A-Za-z0-9._-]+)?|[^@\s]+@[^@\s]+\.[^@\s]+)$")
MAX_BYTES = 3 * 1024 * 1024  # GitHub ignores a CODEOWNERS file over 3 MB

_ENTRY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["pattern", "owners", "path", "line"],
    "properties": {
        "pattern": {"type": "string"},
        "owners": {"type": "array", "items": {"type": "string"}},
        "path": {"type": "string"},
        "line": {"type": "integer", "minimum": 1},
    },
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "facts.codeowners",
    "type": "object",
    "additionalProperties": False,
    "required": ["file", "entries", "count", "default_owners", "unowned", "invalid_owners"],
    "properties": {
        "file": {"type": ["string", "null"], "description": "the CODEOWNERS file GitHub reads (null: none)"},
        "entries": {"type": "array", "items": {"$ref": "#/$defs/entry"}},
        "count": {"type": "integer", "minimum": 0},
        "default_owners": {
            "type": "array",
            "items": {"type": "string"},
            "description": "owners of the last `*` entry: who owns a path no other entry matches (empty: nobody)",
        },
        "unowned": {
            "type": "array",
            "items": {"$ref": "#/$defs/entry"},
            "description": "entries that name no owner (the paths they match have none)",
        },
        "invalid_owners": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["owner", "path", "line"],
                "properties": {
                    "owner": {"type": "string"},
                    "path": {"type": "string"},
                    "line": {"type": "integer", "minimum": 1},
                },
            },
        },
    },
    "$defs": {"entry": _ENTRY},
}


def parse(text: str, path: str) -> dict[str, Any]:
    """The section for one CODEOWNERS file's text."""
    entries: list[dict[str, Any]] = []
    invalid: list[dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()  # a comment, whole-line or trailing
        if not line:
            continue
        pattern, *owners = line.split()
        entries.append({"pattern": pattern, "owners": owners, "path": path, "line": number})
        invalid += [{"owner": o, "path": path, "line": number} for o in owners if not OWNER.match(o)]
    defaults = [e["owners"] for e in entries if e["pattern"] in ("*", "/*", "**", "/**")]
    return {
        "file": path,
        "entries": entries,
        "count": len(entries),
        "default_owners": defaults[-1] if defaults else [],
        "unowned": [e for e in entries if not e["owners"]],
        "invalid_owners": invalid,
    }


class CodeownersCollector:
    """The ``codeowners`` section (entry point ``anops_policy.collectors``: ``codeowners``)."""

    name = "codeowners"
    version = "1"
    depends_on: tuple[str, ...] = ()
    SCHEMA = SCHEMA

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        listed = set(ctx.files())
        for candidate in LOCATIONS:
            if candidate in listed:
                text = ctx.read_text(candidate, max_bytes=MAX_BYTES)
                if text is not None:
                    return parse(text, candidate)
        return {"file": None, "entries": [], "count": 0, "default_owners": [], "unowned": [], "invalid_owners": []}
