"""The fact document from the built-in collectors: collection's ``gather_facts`` with the ``BUILTIN``
registry (and the plugins of the sections asked for), its placement hints and the file decision log as the
signoff collector's reader."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from anops_policy.audit.log_reader import FileLogReader
from anops_policy.collection.collector import Collector
from anops_policy.collection.gather import gather_facts
from anops_policy.collection.parallel import Placement
from anops_policy.config import RepoConfig
from anops_policy.pipeline.plugins import PluginCollectors, plugin_collectors
from anops_policy.telemetry.progress import ProgressCallback


def builtin_collectors() -> dict[str, Collector]:
    from anops_policy.collectors import BUILTIN  # noqa: PLC0415 - keeps `import anops_policy` light

    return dict(BUILTIN)


def builtin_placement(name: str) -> Placement:
    from anops_policy.collectors import PLACEMENT  # noqa: PLC0415

    return PLACEMENT.get(name, Placement())


def collect_facts(
    root: Path,
    config: RepoConfig,
    *,
    now: datetime,
    only: Sequence[str] | None = None,
    collectors: Mapping[str, Collector] | None = None,
    use_git: bool = True,
    progress: ProgressCallback | None = None,
    jobs: int | None = None,
) -> dict[str, Any]:
    """The fact document for ``root`` from ``collectors`` (default: the built-in ones, plus the installed
    plugins of the sections ``only`` names: a plugin is imported only when asked for); see ``gather_facts``."""
    registry = dict(collectors) if collectors is not None else builtin_collectors()
    wanted = plugin_collectors(only or (), registry) if collectors is None else PluginCollectors()
    return gather_facts(
        root,
        config,
        {**registry, **wanted.collectors},
        now=now,
        only=only,
        placement=builtin_placement,
        log_reader=FileLogReader(),
        use_git=use_git,
        progress=progress,
        jobs=jobs,
        schemas=wanted.schemas,
    )
