"""The project's JSON Schemas (packaged under ``anops_policy.schemas``) and validation with
``file:line:column`` messages and "did you mean" suggestions; and the JSON Schemas an input names for its
documents (``inputs: {k8s: {schema: k8s.schema.json}}``): read and checked once, then used twice — by the
static check (paths inside ``facts.files.<input>…data`` must exist in the schema) and by the files collector
(documents that do not match are reported)."""

from __future__ import annotations

import difflib
import json
import math
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anops_policy.errors import ConfigError
from anops_policy.yamlsafe import Marks

if TYPE_CHECKING:  # jsonschema and referencing are imported when a document is invalid (or a caller asks)
    import jsonschema
    from referencing import Registry

BASE_URI = "https://anops.dev/schemas/"
MAX_REPORTED = 8
MAX_MESSAGE = 300  # one problem's text: the instance a message quotes may be huge


def _read_json(package: str, name: str) -> dict[str, Any]:
    text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def schema_names() -> tuple[str, ...]:
    """Top-level schema names: ``policy`` for ``policy.schema.json`` and so on."""
    files = resources.files("anops_policy.schemas").iterdir()
    return tuple(sorted(f.name.removesuffix(".schema.json") for f in files if f.name.endswith(".schema.json")))


@cache
def fact_fragment_names() -> tuple[str, ...]:
    files = resources.files("anops_policy.schemas.facts").iterdir()
    return tuple(sorted(f.name.removesuffix(".schema.json") for f in files if f.name.endswith(".schema.json")))


@cache
def load_schema(name: str) -> dict[str, Any]:
    if name not in schema_names():
        raise ConfigError(f"unknown schema '{name}'{suggest(name, schema_names())}; known: {', '.join(schema_names())}")
    return _read_json("anops_policy.schemas", f"{name}.schema.json")


@cache
def load_fact_fragment(name: str) -> dict[str, Any]:
    return _read_json("anops_policy.schemas.facts", f"{name}.schema.json")


@cache
def registry() -> Registry[Any]:
    from referencing import Registry, Resource  # noqa: PLC0415 - start-up: only invalid documents need it
    from referencing.jsonschema import DRAFT202012  # noqa: PLC0415

    resources_: list[tuple[str, Resource[Any]]] = []
    for name in schema_names():
        resources_.append((BASE_URI + f"{name}.schema.json", DRAFT202012.create_resource(load_schema(name))))
    for name in fact_fragment_names():
        uri = BASE_URI + f"facts/{name}.schema.json"
        resources_.append((uri, DRAFT202012.create_resource(load_fact_fragment(name))))
    return Registry().with_resources(resources_)


def suggest(word: str, choices: Any) -> str:
    """`` (did you mean 'x'?)`` when a close match exists, else ``""``."""
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def validator(name: str) -> jsonschema.protocols.Validator:
    import jsonschema  # noqa: PLC0415 - start-up: a valid document is answered by schema_fast

    schema = load_schema(name)
    return jsonschema.Draft202012Validator(schema, registry=registry())


def _describe(error: jsonschema.ValidationError) -> tuple[tuple[str | int, ...], str, bool]:
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = list(schema.get("properties", {}))
        extras = [k for k in error.instance if k not in allowed]
        if extras:
            key = str(extras[0])  # YAML allows `1:` or `true:` as keys
            return (*path, key), f"unknown field '{key}'{suggest(key, allowed)}", True
    if error.validator == "required":
        return path, error.message.replace("is a required property", "is required"), False
    where = ".".join(str(p) for p in path) or "document"
    if error.validator in ("maxItems", "maxProperties", "maxLength") and hasattr(error.instance, "__len__"):
        # jsonschema's message quotes the whole instance: megabytes for a hostile list
        unit = {"maxItems": "entries", "maxProperties": "fields", "maxLength": "characters"}[str(error.validator)]
        return path, f"{where}: {len(error.instance)} {unit}, more than the {error.validator_value} allowed", False
    message = error.message if len(error.message) <= MAX_MESSAGE else error.message[: MAX_MESSAGE - 1] + "…"
    return path, f"{where}: {message}", False


def _nan_path(data: Any) -> tuple[str | int, ...] | None:
    """Where the first NaN in ``data`` is (None when there is none); iterative, as the nesting is the
    input's."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, float) and math.isnan(value):
            return path
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        stack.extend(((*path, key), item) for key, item in reversed(list(items)))
    return None


def validate(data: Any, schema: str, marks: Marks | None, file: str, *, what: str) -> None:
    """Raise ``ConfigError`` listing the first problems of ``data`` against ``schema``, each located.
    A document the Rust validator accepts is valid (``schema_fast``); any other is judged by ``jsonschema``,
    whose errors are the messages."""
    from anops_policy import schema_fast  # noqa: PLC0415 - schema_fast builds on this module

    if schema_fast.schema_valid(schema, data):
        errors: list[jsonschema.ValidationError] = []
    else:
        errors = sorted(validator(schema).iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if not errors:
        nan = _nan_path(data)
        if nan is not None:  # NaN satisfies every minimum/maximum (its comparisons are all false)
            where = marks.at(nan) if marks is not None else file
            raise ConfigError(f"{what} {where}: .nan is not a number a setting or parameter can take")
        return
    from jsonschema.exceptions import best_match  # noqa: PLC0415 - only an invalid document gets here

    lines: list[str] = []
    for error in errors[:MAX_REPORTED]:
        # descend into anyOf/oneOf to the most specific cause
        best = best_match([error])
        path, message, is_key = _describe(best)
        where = marks.at(path, key=is_key) if marks is not None else file
        lines.append(f"{what} {where}: {message}")
    if len(errors) > MAX_REPORTED:
        lines.append(f"... and {len(errors) - MAX_REPORTED} more problems")
    raise ConfigError("\n".join(lines))


# ---- the JSON Schemas inputs name ------------------------------------------------------------------------

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
