"""Which result files the ``tests`` and ``coverage`` collectors read: their globs (options, config or
defaults), the matching files, and the size and count limits they are read with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from anops_policy.collection.collector import CollectContext
from anops_policy.errors import CollectorFailed, NotConfigured


def result_globs(
    config_results: list[str] | None, options: Any, defaults: Sequence[str]
) -> tuple[list[str], str]:
    """The globs to read and where they came from: ``collect.options.<collector>.globs``, else the config's
    ``collect.results``, else the defaults."""
    own = options.get("globs") if hasattr(options, "get") else None
    if own is not None:
        if not isinstance(own, list) or not all(isinstance(g, str) for g in own):
            raise ValueError("globs must be a list of strings")
        return list(own), "options"
    if config_results is not None:
        return list(config_results), "config"
    return list(defaults), "default"


# Dependency trees the default globs skip (an explicit glob may still name them): installed packages ship
# their own test data and coverage files, never ours.
DEPENDENCY_DIRS = frozenset({"node_modules", ".venv", "venv", "site-packages", "dist-packages"})


@dataclass(frozen=True)
class ResultSelection:
    """The result files a collector reads, and the limits it reads them with."""

    globs: list[str]
    source: str
    paths: list[str]
    max_bytes: int
    max_files: int


def _positive_int(options: Any, key: str, default: int) -> int:
    value = options.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{key} must be a positive integer")
    return value


def select_result_files(
    ctx: CollectContext, name: str, defaults: Sequence[str], what: str, *, max_bytes: int, max_files: int
) -> ResultSelection:
    """Globs (options, else ``collect.results``, else defaults) and matching files for the ``tests`` and
    ``coverage`` collectors. Result files are build outputs: the globs bypass ``.gitignore``."""
    options = ctx.options(name)
    try:
        globs, source = result_globs(ctx.config.results, options, defaults)
        byte_limit = _positive_int(options, "max_file_bytes", max_bytes)
        file_limit = _positive_int(options, "max_files", max_files)
    except ValueError as exc:
        raise CollectorFailed(f"collect.options.{name}: {exc}") from None
    if not globs:
        raise NotConfigured(
            f"collect.results is an empty list, so no {what} are read",
            "list their globs under collect.results, or drop the key to use the defaults",
        )
    paths = ctx.glob(globs, include_ignored=True)
    if source == "default":
        paths = [p for p in paths if not DEPENDENCY_DIRS.intersection(p.split("/")[:-1])]
    return ResultSelection(globs, source, paths, byte_limit, file_limit)
