"""Navigating the fact schema the way a CEL expression navigates facts: ``facts.todos.by_path[x]``.
Used by the static check to reject ``facts.dockerfile.pakages`` before a policy ever runs."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from anops_policy.validation import BASE_URI, load_fact_fragment, registry

if TYPE_CHECKING:  # referencing (and attrs) load when a policy is checked, not when a compiled one is read
    from referencing import Registry, Resource
    from referencing._core import Resolver


@dataclass(frozen=True)
class SchemaRef:
    """A sub-schema and the resolver for its ``$ref``s. ``path`` is the CEL path that led here."""

    schema: Any
    resolver: Resolver[Any]
    path: str
    # how an element is named when this is a list literal (``[facts.layout.docs]``): the element's own path
    item_path: str | None = None

    def alternatives(self) -> Iterator[dict[str, Any]]:
        """The concrete schemas this may be: ``$ref`` followed, ``anyOf``/``oneOf``/``allOf`` unfolded."""
        stack: list[tuple[Any, Resolver[Any]]] = [(self.schema, self.resolver)]
        seen = 0
        while stack and seen < 64:
            seen += 1
            schema, resolver = stack.pop()
            if not isinstance(schema, dict):
                if schema is True:
                    yield {}
                continue
            if "$ref" in schema:
                resolved = resolver.lookup(schema["$ref"])
                stack.append((resolved.contents, resolved.resolver))
                rest = {k: v for k, v in schema.items() if k != "$ref"}
                if rest.get("properties") or rest.get("type"):
                    yield rest
                continue
            branches = [*schema.get("anyOf", []), *schema.get("oneOf", []), *schema.get("allOf", [])]
            if branches:
                stack.extend((b, resolver) for b in branches)
                own = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf", "allOf")}
                if own.get("properties") or own.get("type") or own.get("items"):
                    yield {**own, "_resolver": resolver}
                continue
            yield {**schema, "_resolver": resolver}


def _types(schema: dict[str, Any]) -> set[str]:
    declared = schema.get("type")
    if declared is None:
        out: set[str] = set()
        if "properties" in schema or "additionalProperties" in schema:
            out.add("object")
        if "items" in schema:
            out.add("array")
        if "enum" in schema or "const" in schema:
            values = schema.get("enum", [schema.get("const")])
            out |= {type(v).__name__ for v in values}
        return out
    return {declared} if isinstance(declared, str) else set(declared)


@dataclass(frozen=True)
class FieldResult:
    ref: SchemaRef | None  # None: the field is allowed but its schema says nothing (any value)
    ok: bool
    known: tuple[str, ...] = ()
    kind: str = "object"
    declared: bool = False  # a named property (not a key of a map)


def field(ref: SchemaRef, name: str) -> FieldResult:
    """The schema of ``ref.name``, or ``ok=False`` with the known field names for a suggestion."""
    known: list[str] = []
    kinds: set[str] = set()
    allowed_unknown = False
    for alt in ref.alternatives():
        resolver = alt.get("_resolver", ref.resolver)
        types = _types(alt)
        kinds |= types
        if types and "object" not in types:
            continue
        props = alt.get("properties", {})
        if name in props:
            return FieldResult(SchemaRef(props[name], resolver, f"{ref.path}.{name}"), True, declared=True)
        known.extend(props)
        extra = alt.get("additionalProperties", True)
        if isinstance(extra, dict):
            return FieldResult(SchemaRef(extra, resolver, f"{ref.path}.{name}"), True)
        if extra is True:  # an open object (e.g. a component's extra config keys): any field
            allowed_unknown = True
    if allowed_unknown or (not kinds and not known):
        return FieldResult(None, True)
    kind = "object" if "object" in kinds else ", ".join(sorted(kinds)) or "unknown"
    return FieldResult(None, False, tuple(sorted(set(known))), kind)


def element(ref: SchemaRef) -> SchemaRef | None:
    """The schema of an element when iterating or indexing ``ref``: list items, or map values."""
    for alt in ref.alternatives():
        resolver = alt.get("_resolver", ref.resolver)
        types = _types(alt)
        if "array" in types and isinstance(alt.get("items"), dict):
            return SchemaRef(alt["items"], resolver, ref.item_path or f"{ref.path}[]")
        extra = alt.get("additionalProperties")
        if "object" in types and isinstance(extra, dict):
            return SchemaRef(extra, resolver, f"{ref.path}[]")
    return None


def iteration_element(ref: SchemaRef) -> SchemaRef | None:
    """What a macro variable is bound to: list items for lists; map keys (strings: no fields) for maps."""
    for alt in ref.alternatives():
        resolver = alt.get("_resolver", ref.resolver)
        types = _types(alt)
        if "array" in types and isinstance(alt.get("items"), dict):
            return SchemaRef(alt["items"], resolver, ref.item_path or f"{ref.path}[]")
        if "object" in types:
            return SchemaRef({"type": "string"}, resolver, f"{ref.path} key")
    return None


def list_of(item: SchemaRef) -> SchemaRef:
    """The type of a list literal whose elements are all ``item``."""
    return SchemaRef({"type": "array", "items": item.schema}, item.resolver, f"[{item.path}]", item.path)


def is_scalar(ref: SchemaRef) -> str | None:
    """The scalar type name when ``ref`` can only be a scalar (so it has no fields), else None."""
    kinds: set[str] = set()
    for alt in ref.alternatives():
        types = _types(alt)
        if not types:
            return None
        kinds |= types
    scalar = kinds & {"string", "integer", "number", "boolean", "null", "str", "int", "float", "bool"}
    if kinds and kinds == scalar:
        return "/".join(sorted(kinds))
    if kinds == {"array"}:
        return "list"
    return None


PATTERNS_KEY = "patterns."  # in fact_root's names: a declared pattern rule, not an input


@cache
def fact_root(inputs: tuple[tuple[str, str | None], ...] = ()) -> SchemaRef:
    """The fact document as a policy sees it: ``facts.files`` holds exactly the declared ``inputs`` (name and
    the JSON text of its documents' schema, or None), so that ``facts.files.k8z`` is an unknown field (did
    you mean ``k8s``?) like any other typo, and an input with a schema checks the paths inside ``data``.
    A name ``patterns.<id>`` is a declared pattern rule: ``facts.patterns`` holds exactly those.
    Installed collector plugins add their sections (``plugin_sections``)."""
    uri = BASE_URI + "fact-document.schema.json"
    extra: list[tuple[str, Any]] = []
    properties: dict[str, Any] = {}
    rules: dict[str, Any] = {}
    for name, schema_text in inputs:
        if name.startswith(PATTERNS_KEY):
            rules[name[len(PATTERNS_KEY):]] = {"$ref": "facts/patterns.schema.json#/$defs/rule"}
            continue
        if schema_text is None:
            properties[name] = {"$ref": "facts/files.schema.json#/$defs/input"}
            continue
        data_uri, files_uri = f"{BASE_URI}inputs/{name}.schema.json", f"{BASE_URI}inputs/files-{name}.schema.json"
        files = copy.deepcopy(load_fact_fragment("files"))
        files["$id"] = files_uri
        files["$defs"]["document"]["properties"]["data"] = {"$ref": data_uri}
        schema = {k: v for k, v in json.loads(schema_text).items() if k != "$id"}
        from referencing.jsonschema import DRAFT202012  # noqa: PLC0415 - start-up

        extra += [(files_uri, DRAFT202012.create_resource(files)), (data_uri, DRAFT202012.create_resource(schema))]
        properties[name] = {"$ref": f"{files_uri}#/$defs/input"}
    base = registry().with_resources(extra) if extra else registry()
    resolver = with_plugin_schemas(base).resolver(base_uri=uri)
    resolved = resolver.lookup(uri)
    document = dict(resolved.contents)
    document["properties"] = {
        **plugin_sections(),
        **document["properties"],
        "files": {"type": "object", "additionalProperties": False, "properties": properties},
        "patterns": {"type": "object", "additionalProperties": False, "properties": rules},
    }
    return SchemaRef(document, resolved.resolver, "facts")


@cache
def plugin_sections() -> dict[str, Any]:
    """The installed collector plugins' sections as properties of the fact document (name → a ``$ref`` to
    ``plugins/<name>.schema.json``), listed from their metadata: nothing is imported until a policy reads
    inside ``facts.<name>`` and the ``$ref`` is resolved (``with_plugin_schemas``)."""
    from anops_policy import plugins  # noqa: PLC0415

    return {name: {"$ref": plugins.schema_uri(name)} for name in plugins.usable_sections()}


def _plugin_schema(uri: str) -> Resource[Any]:
    """A plugin section's schema, retrieved when a ``$ref`` first reaches it: the plugin's ``SCHEMA``, or an
    open object when the plugin cannot be loaded (no check error: the run reports the collector's error and
    the policies that require it decide ``error``)."""
    from referencing.exceptions import NoSuchResource  # noqa: PLC0415 - start-up
    from referencing.jsonschema import DRAFT202012  # noqa: PLC0415

    from anops_policy import plugins  # noqa: PLC0415

    if not uri.startswith(plugins.SCHEMA_BASE):
        raise NoSuchResource(ref=uri)  # type: ignore[call-arg]  # attrs class
    schema = plugins.section_schema(uri.removeprefix(plugins.SCHEMA_BASE).removesuffix(".schema.json"))
    return DRAFT202012.create_resource(schema if schema is not None else {"type": "object"})


def with_plugin_schemas(base: Registry[Any]) -> Registry[Any]:
    """``base`` that retrieves the plugins' schemas on first use (``plugin_sections``)."""
    from referencing import Registry  # noqa: PLC0415 - start-up

    return base.combine(Registry(retrieve=_plugin_schema))  # type: ignore[call-arg]  # attrs class


def section_names() -> list[str]:
    props = fact_root().schema.get("properties", {})
    return sorted(props)


def type_signature(ref: SchemaRef) -> frozenset[str]:
    """The JSON types ``ref`` may hold (a list also by its items' types): what makes two fields
    interchangeable for a mutant (``sibling-field``)."""
    out: set[str] = set()
    for alt in ref.alternatives():
        types = _types(alt)
        out |= types
        if "object" in types:  # objects are alike only with the same fields
            out.add("{" + ",".join(sorted(alt.get("properties", {}))) + "}")
        if "array" in types and isinstance(alt.get("items"), dict):
            items = SchemaRef(alt["items"], alt.get("_resolver", ref.resolver), f"{ref.path}[]")
            for item in items.alternatives():
                kinds = _types(item)
                out |= {f"[{t}]" for t in kinds}
                if "object" in kinds:
                    out.add("[{" + ",".join(sorted(item.get("properties", {}))) + "}]")
    return frozenset(out)


def declared_fields(ref: SchemaRef) -> list[str]:
    """The named properties of an object schema, in declaration order."""
    names: list[str] = []
    for alt in ref.alternatives():
        names.extend(name for name in alt.get("properties", {}) if name not in names)
    return names
