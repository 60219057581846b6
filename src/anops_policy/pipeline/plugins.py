"""Collector plugins in a run: the collectors of the plugin sections a run wants, wrapped so that whatever a
plugin does wrong is that collector's ``error`` naming the plugin, and the ``plugins`` command's listing.

Discovery and import live in the shared leaf ``anops_policy.plugins`` (the static check needs them too);
this module is where a loaded plugin becomes an entry in the collector mapping ``gather_facts`` runs, beside
the built-in ``BUILTIN`` registry, with its ``SCHEMA`` as the schema its section is checked against.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from anops_policy import plugins
from anops_policy.collection.collector import CollectContext, Collector
from anops_policy.collection.gather import section_problems
from anops_policy.errors import CollectorFailed, NotConfigured


class PluginCollector:
    """A plugin's collector as the engine runs it: named by its entry point, versioned by its distribution,
    every failure (it could not be loaded, ``collect`` raised, its section does not match its ``SCHEMA``)
    a ``CollectorFailed`` naming the plugin; ``NotConfigured`` passes through (``not_configured``)."""

    def __init__(self, loaded: plugins.Loaded) -> None:
        self.loaded = loaded
        self.name = loaded.plugin.section
        origin = f"{loaded.plugin.distribution} {loaded.plugin.version}"
        self.version = f"{origin} (collector {loaded.collector_version})" if loaded.error is None else origin
        self.depends_on: tuple[str, ...] = loaded.depends_on

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        loaded = self.loaded
        if loaded.error is not None:
            raise CollectorFailed(loaded.error)
        origin = loaded.plugin.origin
        try:
            section = loaded.collector.collect(ctx)
        except NotConfigured:
            raise
        except CollectorFailed as exc:
            raise CollectorFailed(f"{origin}: {exc}") from None
        except (Exception, SystemExit) as exc:  # a plugin bug is its collector's error, never the run's
            raise CollectorFailed(f"{origin}: collect raised {plugins.describe_exception(exc)}") from None
        if not isinstance(section, dict):
            raise CollectorFailed(f"{origin}: collect returned a {type(section).__name__}, not a mapping")
        problems = section_problems(self.name, section, loaded.schema)
        if problems:
            raise CollectorFailed(f"{origin}: produced facts that do not match its SCHEMA: " + "; ".join(problems))
        return section


@dataclass
class PluginCollectors:
    """The collectors of the wanted plugin sections and the schemas their sections are checked against."""

    collectors: dict[str, Collector] = field(default_factory=dict)
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)


def plugin_collectors(wanted: Iterable[str], builtin: Collection[str]) -> PluginCollectors:
    """Load the plugins of the ``wanted`` sections that are not ``builtin`` (only those are imported); a
    name that is no plugin's is left out (collection reports it as an unknown collector)."""
    out = PluginCollectors()
    for name in wanted:
        if name in builtin or name in out.collectors:
            continue
        loaded = plugins.load(name)
        if loaded is None:
            continue
        out.collectors[name] = PluginCollector(loaded)
        if loaded.schema is not None:
            out.schemas[name] = loaded.schema
    return out


def describe_plugins(*, check: bool) -> list[dict[str, Any]]:
    """What ``anops-policy plugins`` shows: every registration (nothing imported), and with ``check`` whether
    each imports and its collector and ``SCHEMA`` are usable (``status``: installed, ok, error, ignored)."""
    rows: list[dict[str, Any]] = []
    for plugin in plugins.installed():
        row: dict[str, Any] = {
            "section": plugin.section,
            "distribution": plugin.distribution,
            "version": plugin.version,
            "entry_point": plugin.value,
            "status": "installed",
            "error": None,
        }
        if plugin.ignored is not None:
            row.update(status="ignored", error=plugin.ignored)
        elif check:
            loaded = plugins.load(plugin.section)
            assert loaded is not None  # a usable registration always loads to something
            row.update(status="ok" if loaded.error is None else "error", error=loaded.error)
            if loaded.error is None:
                row.update(collector_version=loaded.collector_version, depends_on=list(loaded.depends_on))
                row["schema"] = loaded.schema
        rows.append(row)
    return rows
