"""Third-party collectors ("plugins"): what is registered through the ``anops_policy.collectors`` entry
point, and loading one.

A distribution registers a collector under an entry point whose *name* is its fact section (a snake_case
CEL identifier: ``facts.<name>``) and whose *value* points at a collector object or class (a class is
instantiated with no arguments) following ``collection.collector.Collector`` (``name``, ``version``,
``depends_on`` (built-in sections only), ``collect(ctx)``) plus ``SCHEMA``: the JSON Schema (2020-12) of its
section::

    [project.entry-points."anops_policy.collectors"]
    codeowners = "anops_sample_plugin:CodeownersCollector"

Two steps, so that nothing is imported that no policy reads:

* ``installed()`` lists the registrations from the distributions' metadata alone, *without importing
  them*; a name that is not a CEL identifier, clashes with a built-in section, or is registered by two
  distributions is ``ignored`` (with the reason), never an override;
* ``load(section)`` imports one plugin, on first use: when a pack's policy ``requires`` its section (the
  static check reads its ``SCHEMA``, collection runs it) or ``facts --only`` names it. Whatever goes wrong
  (the import raises, no ``collect``, a missing or invalid ``SCHEMA``) becomes ``Loaded.error``, a one-line
  message naming the distribution and its version and the cause: the run reports that collector as
  ``error`` and the policies that require it decide ``error``; nothing crashes.

A shared leaf: the static check (policy) and collection (pipeline) both use it, so it imports no engine
package but the other leaves (``validation`` for the built-in section names and JSON Schema checks).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

GROUP = "anops_policy.collectors"
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# top-level keys a plugin can never take: the document's own, and the open fact model's (inputs, patterns)
RESERVED = frozenset({"apiVersion", "meta", "files", "patterns"})
MAX_CAUSE = 300
SCHEMA_BASE = "https://anops.dev/schemas/plugins/"  # validation.BASE_URI + "plugins/"
DATA_KEYWORDS = frozenset({"const", "enum", "default", "examples"})  # values, not subschemas


@dataclass(frozen=True)
class Plugin:
    """One registration, read from the distribution's metadata (nothing imported)."""

    section: str  # the entry point name: facts.<section>
    value: str  # the entry point value: "package.module:Attribute"
    distribution: str
    version: str
    ignored: str | None = None  # why the engine does not use it (None: usable)

    @property
    def origin(self) -> str:
        """``plugin <distribution> <version>``: how every message names it."""
        return f"plugin {self.distribution} {self.version}"


@dataclass(frozen=True)
class Loaded:
    """One imported plugin: its collector and ``SCHEMA``, or ``error`` saying why it cannot be used."""

    plugin: Plugin
    collector: Any = None
    schema: dict[str, Any] | None = None
    error: str | None = None
    collector_version: str = ""
    depends_on: tuple[str, ...] = field(default=())


def builtin_sections() -> frozenset[str]:
    """The fact document's own top-level keys (every built-in collector's section among them)."""
    from anops_policy.validation import load_schema  # noqa: PLC0415 - imports jsonschema

    return frozenset(load_schema("fact-document").get("properties", {})) | RESERVED


def describe_exception(exc: BaseException) -> str:
    """``Type: message`` on one line, cut to a readable length (never a traceback)."""
    text = " ".join(str(exc).split())
    text = text if len(text) <= MAX_CAUSE else text[: MAX_CAUSE - 1] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@cache
def installed() -> tuple[Plugin, ...]:
    """Every registration in the entry point group, by section name, each with why it is ignored if it is."""
    from importlib.metadata import entry_points  # noqa: PLC0415 - ~15 ms, only when plugins matter

    found: list[Plugin] = []
    for ep in entry_points(group=GROUP):
        dist = ep.dist
        name = str(dist.metadata["Name"]) if dist is not None and dist.metadata["Name"] else "unknown-distribution"
        version = str(dist.version) if dist is not None else "unknown-version"
        found.append(Plugin(ep.name, ep.value, name, version))
    builtin = builtin_sections()
    out: list[Plugin] = []
    for plugin in sorted(found, key=lambda p: (p.section, p.distribution)):
        others = [p.origin for p in found if p.section == plugin.section and p is not plugin]
        reason = None
        if not NAME.match(plugin.section):
            reason = f"the name '{plugin.section}' is not a snake_case CEL identifier (facts.<name>)"
        elif plugin.section in builtin:
            reason = f"clashes with the built-in section '{plugin.section}' (a plugin never replaces one)"
        elif others:
            reason = f"'{plugin.section}' is also registered by {', '.join(others)}: uninstall one of them"
        out.append(Plugin(plugin.section, plugin.value, plugin.distribution, plugin.version, reason))
    return tuple(out)


def find(section: str) -> Plugin | None:
    """The usable registration of ``section`` (None: no plugin, or only ignored ones)."""
    return next((p for p in installed() if p.section == section and p.ignored is None), None)


def usable_sections() -> tuple[str, ...]:
    """The sections of the usable plugins, sorted (nothing imported)."""
    return tuple(p.section for p in installed() if p.ignored is None)


def _json_copy(value: Any) -> Any:
    """A deep copy of plain JSON data (the plugin keeps its object; ours cannot be changed by it)."""
    return json.loads(json.dumps(value, allow_nan=False))


def _schema_problem(schema: Any) -> str | None:
    import jsonschema  # noqa: PLC0415

    if not isinstance(schema, Mapping):
        return f"its SCHEMA is a {type(schema).__name__}, not a JSON Schema object"
    try:
        plain = _json_copy(schema)
    except (TypeError, ValueError, RecursionError) as exc:
        return f"its SCHEMA is not JSON data ({describe_exception(exc)})"
    try:
        jsonschema.Draft202012Validator.check_schema(plain)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        message = " ".join(exc.message.split())[:MAX_CAUSE]
        return f"its SCHEMA is not a valid JSON Schema (2020-12) at {where}: {message}"
    if plain.get("type") != "object":
        return 'its SCHEMA must describe an object (a fact section is one): give it "type": "object"'
    return None


def schema_uri(section: str) -> str:
    """Where a plugin's ``SCHEMA`` sits among the project's schemas (its own top-level ``$id`` is dropped,
    so its ``#/$defs/...`` references resolve there)."""
    return f"{SCHEMA_BASE}{section}.schema.json"


def _unresolvable(section: str, schema: dict[str, Any]) -> str | None:
    """The first ``$ref`` of ``schema`` that resolves nowhere (neither inside it nor among the project's
    schemas), or None: found at load time, not in the middle of a static check or a run."""
    from referencing.exceptions import Unresolvable  # noqa: PLC0415
    from referencing.jsonschema import DRAFT202012  # noqa: PLC0415

    from anops_policy.validation import registry  # noqa: PLC0415

    uri = schema_uri(section)
    resolver = registry().with_resource(uri, DRAFT202012.create_resource(schema)).resolver(base_uri=uri)
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict) and (node is schema or "$id" not in node):  # a nested $id: its own base
            ref = node.get("$ref")
            if isinstance(ref, str):
                try:
                    resolver.lookup(ref)
                except Unresolvable:
                    return ref
            stack.extend(v for k, v in node.items() if k not in DATA_KEYWORDS)
    return None


def _failed(plugin: Plugin, cause: str) -> Loaded:
    return Loaded(plugin, error=f"{plugin.origin} ({plugin.section} = {plugin.value}): {cause}")


def _check(plugin: Plugin, obj: Any) -> Loaded:
    """The loaded plugin when ``obj`` is a usable collector, else the reason."""

    def bad(cause: str) -> Loaded:
        return _failed(plugin, cause)

    if not callable(getattr(obj, "collect", None)):
        return bad(f"'{plugin.value}' is not a collector: it has no collect(ctx) method")
    name = getattr(obj, "name", plugin.section)
    if name != plugin.section:
        return bad(f"its name '{name}' differs from the entry point name '{plugin.section}'")
    version = getattr(obj, "version", None)
    if not isinstance(version, str) or not version:
        return bad("its version must be a non-empty string")
    depends = getattr(obj, "depends_on", ())
    if not isinstance(depends, tuple | list) or not all(isinstance(d, str) for d in depends):
        return bad("depends_on must be a tuple of section names")
    builtin = builtin_sections() - {"apiVersion", "meta"}
    for dep in depends:
        if dep not in builtin:
            known = ", ".join(sorted(builtin))
            return bad(f"depends on '{dep}': a plugin may depend on built-in sections only ({known})")
    if not hasattr(obj, "SCHEMA"):
        return bad(f"it has no SCHEMA (the JSON Schema of facts.{plugin.section})")
    problem = _schema_problem(obj.SCHEMA)
    if problem is not None:
        return bad(problem)
    schema = {k: v for k, v in _json_copy(obj.SCHEMA).items() if k != "$id"}  # resolved under schema_uri
    ref = _unresolvable(plugin.section, schema)
    if ref is not None:
        return bad(f"its SCHEMA refers to '{ref}', which resolves nowhere")
    return Loaded(plugin, obj, schema, None, version, tuple(depends))


@cache
def load(section: str) -> Loaded | None:
    """Import the plugin of ``section`` (once per process): None when no usable plugin has that section."""
    plugin = find(section)
    if plugin is None:
        return None
    from importlib.metadata import EntryPoint  # noqa: PLC0415

    try:
        target = EntryPoint(plugin.section, plugin.value, GROUP).load()
    except (Exception, SystemExit) as exc:  # a broken plugin is its collector's error, never a crash
        return _failed(plugin, f"cannot import: {describe_exception(exc)}")
    if isinstance(target, type):
        try:
            target = target()
        except (Exception, SystemExit) as exc:
            return _failed(plugin, f"cannot create the collector {plugin.value}(): {describe_exception(exc)}")
    try:
        return _check(plugin, target)
    except (Exception, SystemExit) as exc:  # a property that raises while being read
        return _failed(plugin, describe_exception(exc))


def section_schema(section: str) -> dict[str, Any] | None:
    """The ``SCHEMA`` of a plugin's section (a copy), or None when it cannot be loaded (or is no plugin's)."""
    loaded = load(section)
    return copy.deepcopy(loaded.schema) if loaded is not None and loaded.schema is not None else None


def registrations() -> bytes:
    """A digest of the registrations installed on ``sys.path``: each distribution folder that declares the
    entry point group, with its ``entry_points.txt``. Read without ``importlib.metadata`` (~30 ms) so that
    the compiled-policy cache can cover it on every load: installing, upgrading or removing a plugin
    changes what a policy's static check sees."""
    digest = hashlib.sha256()
    marker = f"[{GROUP}]".encode()
    for entry in sys.path:
        folder = entry or "."
        try:
            with os.scandir(folder) as listing:
                names = sorted(e.name for e in listing if e.name.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
        for name in names:
            try:  # plain os calls: Path objects cost more than the reads (~170 folders in a dev install)
                with open(os.path.join(folder, name, "entry_points.txt"), "rb") as file:  # noqa: PTH118, PTH123
                    data = file.read()
            except OSError:
                continue
            if marker in data:
                digest.update(b"%d:%s%d:%s" % (len(name), name.encode(errors="surrogateescape"), len(data), data))
    return digest.digest()


def clear_caches() -> None:
    """Forget what was discovered and loaded (tests that install and remove plugins in one process)."""
    installed.cache_clear()
    load.cache_clear()
