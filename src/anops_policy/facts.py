"""The fact document's contract, shared by every stage: its digest, validating it (whole or one section),
the values JSON cannot carry, reading a saved one back, and a collector's status in it."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anops_policy import schema_fast
from anops_policy.canonical import dumps as canonical_json
from anops_policy.errors import ConfigError, InputError
from anops_policy.validation import load_schema, registry

if TYPE_CHECKING:  # jsonschema judges only what schema_fast does not accept (imported then: start-up)
    import jsonschema

API_VERSION = "anops.dev/facts/v1"
MAX_FACT_FILE_BYTES = 256 * 1024 * 1024


def iso(ts: datetime) -> str:
    return ts.isoformat().replace("+00:00", "Z")


def digest_of(document: Mapping[str, Any]) -> str:
    """SHA-256 over RFC 8785 canonical JSON, leaving out what changes run to run for the same tree
    (``generated_at``, durations and the digest itself)."""
    doc = dict(document)  # only meta changes: copy it, not the (possibly huge) sections
    meta = copy.deepcopy(doc.get("meta", {}))
    if isinstance(meta, dict):
        meta.pop("generated_at", None)
        meta.pop("digest", None)
        for status in meta.get("collectors", {}).values():
            status.pop("duration_ms", None)
        doc["meta"] = meta
    return "sha256:" + hashlib.sha256(canonical_json(doc)).hexdigest()


# RFC 8785 (the digest's canonical form) and every JSON reader agree on integers only within ±(2**53 - 1)
JSON_SAFE_INT = 2**53 - 1


def _nodes(value: Any, path: str) -> Iterator[tuple[Any, str]]:
    """Every value inside ``value`` (itself included) with its path (``a.b[2]``), depth first."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        yield item, where
        if isinstance(item, dict):
            stack.extend((v, f"{where}.{k}") for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(item))


def unsafe_integer(value: Any, path: str) -> str | None:
    """The path of the first integer outside the interoperable JSON range, or None."""
    for item, where in _nodes(value, path):
        if isinstance(item, int) and not isinstance(item, bool) and abs(item) > JSON_SAFE_INT:
            return where
    return None


def invalid_text(value: Any, path: str) -> str | None:
    """The path of the first string (or key) holding a lone surrogate (JSON's and YAML's ``\\ud800``
    escapes), or None: such text has no UTF-8 form, so the document would have no digest."""
    for item, where in _nodes(value, path):
        if isinstance(item, str):
            texts = [item]
        elif isinstance(item, dict):
            texts = [k for k in item if isinstance(k, str)]
        else:
            continue
        for text in texts:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                return where
    return None


@cache
def _section_validator(name: str) -> jsonschema.Draft202012Validator:
    import jsonschema  # noqa: PLC0415 - start-up: a valid section is answered by schema_fast

    schema = {"$ref": f"https://anops.dev/schemas/facts/{name}.schema.json"}
    return jsonschema.Draft202012Validator(schema, registry=registry())


def section_errors(name: str, section: Any) -> list[str]:
    """Schema problems of one collector section (empty when it conforms)."""
    if schema_fast.section_valid(name, section):  # the common case, answered in Rust; else jsonschema
        return []
    v = _section_validator(name)
    out = []
    for err in sorted(v.iter_errors(section), key=lambda e: [str(p) for p in e.absolute_path])[:5]:
        where = "/".join(str(p) for p in err.absolute_path) or "(root)"
        out.append(f"{name}/{where}: {err.message[:300]}")
    return out


def schema_errors(name: str, section: Any, schema: Mapping[str, Any]) -> list[str]:
    """``section_errors`` against an explicit JSON Schema: a plugin's ``SCHEMA`` (it may ``$ref`` the
    project's schemas, e.g. ``fact-document.schema.json#/$defs/location``)."""
    import jsonschema  # noqa: PLC0415 - start-up: only plugins' sections get here
    from referencing.exceptions import Unresolvable  # noqa: PLC0415

    try:
        v = jsonschema.Draft202012Validator(schema, registry=registry())
        errors = sorted(v.iter_errors(section), key=lambda e: [str(p) for p in e.absolute_path])[:5]
    except (jsonschema.exceptions.SchemaError, Unresolvable) as exc:
        return [f"{name}: its schema cannot be used: {' '.join(str(exc).split())[:300]}"]
    return [f"{name}/{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message[:300]}" for e in errors]


def _plugin_sections(document: Any) -> tuple[dict[str, Any], list[str]]:
    """The top-level keys of ``document`` that are installed plugins' sections (name → its ``SCHEMA``), and
    the problems of those whose plugin cannot be loaded (their section cannot be checked: fail closed)."""
    if not isinstance(document, dict):
        return {}, []
    extra = set(document) - set(load_schema("fact-document").get("properties", {}))
    if not extra:
        return {}, []
    from anops_policy import plugins  # noqa: PLC0415 - only a document with sections of its own

    schemas: dict[str, Any] = {}
    problems: list[str] = []
    for name in sorted(extra):
        loaded = plugins.load(name) if plugins.find(name) is not None else None
        if loaded is None:
            continue  # no plugin's: the fact schema reports the unknown key
        if loaded.schema is None:
            problems.append(f"{name}: cannot be checked: {loaded.error}")
        schemas[name] = loaded.schema
    return schemas, problems


def document_errors(document: Any) -> list[str]:
    """Problems of a whole fact document (empty when it conforms): the fact schema, and each section of an
    installed plugin against that plugin's ``SCHEMA``."""
    if schema_fast.document_valid(document):  # the common case, answered in Rust; else jsonschema
        return []
    plugin_sections, out = _plugin_sections(document)
    core = {k: v for k, v in document.items() if k not in plugin_sections} if plugin_sections else document
    if not (plugin_sections and schema_fast.document_valid(core)):
        import jsonschema  # noqa: PLC0415 - start-up: a valid document is answered by schema_fast

        v = jsonschema.Draft202012Validator(load_schema("fact-document"), registry=registry())
        for err in sorted(v.iter_errors(core), key=lambda e: [str(p) for p in e.absolute_path])[:10]:
            where = "/".join(str(p) for p in err.absolute_path) or "(root)"
            out.append(f"{where}: {err.message[:300]}")
    for name, schema in plugin_sections.items():
        if schema is not None:
            out.extend(schema_errors(name, document[name], schema))
    return out


def load_fact_file(path: Path) -> dict[str, Any]:
    """Read a saved fact document (``eval --facts``), validating it against the fact schema (and each
    installed plugin's section against its ``SCHEMA``)."""
    try:
        size = path.stat().st_size
        if size > MAX_FACT_FILE_BYTES:
            raise InputError(f"fact document {path}: {size} bytes is over the {MAX_FACT_FILE_BYTES} byte limit")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"fact document {path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"fact document {path}: not UTF-8 (byte {exc.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"fact document {path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"fact document {path}: nested too deeply to be a fact document") from None
    problems = document_errors(data)
    if problems:
        raise InputError(f"fact document {path} does not match the fact schema:\n  " + "\n  ".join(problems))
    assert isinstance(data, dict)
    try:
        parse_timestamp(data["meta"]["now"])
    except ValueError:
        raise InputError(f"fact document {path}: meta.now '{data['meta']['now']}' is not an ISO timestamp") from None
    # the digest is what the decision log records as "the facts judged": it must be the content's own
    actual = digest_of(data)
    if data["meta"]["digest"] != actual:
        raise InputError(
            f"fact document {path}: meta.digest {data['meta']['digest']} does not match its content ({actual}); "
            "the document was changed after it was collected — collect it again with `anops-policy facts`"
        )
    return data


def parse_now(text: str | None) -> datetime:
    """``--now``: an ISO date or timestamp (UTC when no offset is given); default the current time."""
    if text is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"--now '{text}': expected an ISO date (2026-11-26) or timestamp (2026-11-26T10:00:00Z)"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 timestamp (``Z`` or an offset; UTC when none) as an aware datetime."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def collector_status(document: Mapping[str, Any], name: str) -> tuple[str, str | None]:
    """``(status, error)`` of a collector in a document; an unknown collector is an error."""
    meta = document.get("meta", {}).get("collectors", {}).get(name)
    if meta is None:
        if name in document:
            return "ok", None
        return "error", f"collector '{name}' did not run"
    return str(meta.get("status")), meta.get("error")


def pointer(segments: Iterable[str | int]) -> str:
    """An RFC 6901 JSON pointer (``/spec/containers/0``): how ``lines`` maps of ``facts.files`` documents
    name a value."""
    return "".join("/" + str(s).replace("~", "~0").replace("/", "~1") for s in segments)


def line_at(lines: Mapping[Any, Any], target: str) -> int | None:
    """The line of ``target`` in a document's ``lines`` or, when it is absent (the missing field a policy
    asks for), of its deepest ancestor present there."""
    current = target
    while True:
        if current in lines:
            value = lines[current]
            if isinstance(value, int) and not isinstance(value, bool) and int(value) >= 1:
                return int(value)
        if not current:
            return None
        current = current[: current.rfind("/")]
