"""JSON Schemas that an input names for its documents (``inputs: {k8s: {schema: k8s.schema.json}}``): read
and checked once, then used twice — by the static check (paths inside ``facts.files.<input>…data`` must
exist in the schema) and by the files collector (documents that do not match are reported)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from anops_policy.errors import ConfigError

MAX_SCHEMA_BYTES = 1024 * 1024


def load_input_schema(path: Path, where: str) -> dict[str, Any]:
    """The schema at ``path`` (``where`` names the declaration in errors), a JSON Schema 2020-12 object."""
    try:
        size = path.stat().st_size
        if size > MAX_SCHEMA_BYTES:
            raise ConfigError(f"{where}: input schema {path}: {size} bytes is over {MAX_SCHEMA_BYTES}")
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{where}: input schema {path}: cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ConfigError(f"{where}: input schema {path}: not a JSON document ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: input schema {path}: expected a JSON object (a JSON Schema)")
    import jsonschema  # noqa: PLC0415 - start-up: only packs and configs that name a schema get here

    try:
        jsonschema.Draft202012Validator.check_schema(data)
    except jsonschema.SchemaError as exc:
        raise ConfigError(f"{where}: input schema {path}: not a valid JSON Schema: {exc.message[:300]}") from None
    return data


def resolve_schemas(inputs: dict[str, dict[str, Any]], base: Path, where: str) -> dict[str, dict[str, Any]]:
    """``inputs`` with each ``schema:`` path (relative to ``base``) replaced by the schema it names."""
    out: dict[str, dict[str, Any]] = {}
    for name, declared in inputs.items():
        spec = dict(declared)
        if isinstance(spec.get("schema"), str):
            spec["schema"] = load_input_schema(base / str(spec["schema"]), f"{where}: inputs.{name}.schema")
        out[name] = spec
    return out


def schema_key(inputs: dict[str, Any]) -> tuple[tuple[str, str | None], ...]:
    """A hashable form of ``name → schema or None`` (the static check's and the policy cache's key)."""
    return tuple(
        (name, json.dumps(schema, sort_keys=True) if isinstance(schema, dict) else None)
        for name, schema in sorted(inputs.items())
    )
