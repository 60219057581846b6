"""The collector framework: the ``Collector`` protocol, the context each collector reads through, and
the runner that assembles one fact document with per-collector status, duration and skips."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from anops_policy.collection.git import Git
from anops_policy.collection.log_reader import DecisionLogReader
from anops_policy.collection.repo import Repo, Skip
from anops_policy.collection.summary_cache import SummaryStore, open_store
from anops_policy.config import RepoConfig
from anops_policy.errors import CollectorFailed, NotConfigured

MAX_RECORDED_SKIPS = 200
# A section bigger than this is refused before schema validation, digesting and output, which cost
# seconds per megabyte: hostile inputs (10,000 workflow jobs, 50,000 dependencies) must not stall the run.
# The example's largest section is ~15 KB. `collect.max_section_bytes` in the config raises it.
DEFAULT_MAX_SECTION_BYTES = 8 * 1024 * 1024


class Collector(Protocol):
    """One collector produces one top-level fact key (``name``).

    ``collect`` returns the section (validated against the fact schema's ``$defs[name]``; a third-party
    collector's against its own ``SCHEMA``, which ``gather_facts`` is given), raises
    ``NotConfigured`` when the repository does not ask for it, or ``CollectorFailed`` when it is
    configured but cannot produce facts. Any other exception is recorded as an internal error.
    ``depends_on`` names sections it reads from ``ctx.facts`` (they are collected first).
    """

    name: str

    @property
    def version(self) -> str: ...  # a class attribute or a property (the registry's lazy entries)

    @property
    def depends_on(self) -> tuple[str, ...]: ...

    def collect(self, ctx: CollectContext) -> dict[str, Any]: ...


@dataclass
class CollectContext:
    """What a collector may see: the repository (read-only), the config, the run's ``now``, earlier
    collectors' sections (``facts``), and a place to record skipped files."""

    repo: Repo
    config: RepoConfig
    now: datetime
    facts: Mapping[str, Any]
    skips: list[Skip] = field(default_factory=list)
    reads: int = 0  # files read through read_text/read_bytes (the collector's span reports it)
    # work shared by the run's collectors, keyed by the module that owns the entry (e.g. each Python
    # module's summary, made once for the python, grpc and logging collectors); one dict per run and
    # process: with --jobs, collectors sharing an entry need one placement group (collect_parallel)
    memo: dict[str, Any] = field(default_factory=dict)
    # the decision log, for the signoff collector (supplied by audit at run time; None: not available)
    log_reader: DecisionLogReader | None = None
    # per-file summary stores opened by the running collector, saved when it ends (``run_collector``)
    stores: list[SummaryStore] = field(default_factory=list)

    @property
    def git(self) -> Git | None:
        return self.repo.git

    def options(self, collector: str) -> Mapping[str, Any]:
        """The config's ``collect.options.<collector>`` mapping (empty when absent)."""
        return self.config.collector_options(collector)

    def files(self) -> list[str]:
        return self.repo.files()

    def summaries(self, collector: Collector, *, extra: Sequence[str] = ()) -> SummaryStore:
        """``collector``'s per-file summary cache for this run (``summary_cache``): keyed by each file's
        path and content, the collector's name, ``version`` and options, the collectors' source and
        ``extra`` (anything else every summary depends on). Saved when the collector ends."""
        store = open_store(
            collector.name,
            collector.version,
            self.options(collector.name),
            module=type(collector).__module__,
            extra=extra,
        )
        self.stores.append(store)
        return store

    def glob(self, patterns: Sequence[str], *, include_ignored: bool = False) -> list[str]:
        return self.repo.glob(patterns, include_ignored=include_ignored)

    def read_text(self, path: str, *, max_bytes: int | None = None) -> str | None:
        """The file's text, or None after recording why it was skipped."""
        self.reads += 1
        out = self.repo.read_text(path, max_bytes=max_bytes)
        if isinstance(out, Skip):
            self.skip(out.path, out.reason)
            return None
        return out

    def read_bytes(self, path: str, *, max_bytes: int | None = None) -> bytes | None:
        self.reads += 1
        out = self.repo.read_bytes(path, max_bytes=max_bytes)
        if isinstance(out, Skip):
            self.skip(out.path, out.reason)
            return None
        return out

    def skip(self, path: str, reason: str) -> None:
        self.skips.append(Skip(path, reason))


@dataclass(frozen=True)
class CollectorRun:
    name: str
    version: str
    status: str  # ok | error | not_configured
    duration_ms: int
    error: str | None
    skipped: tuple[Skip, ...]
    section: dict[str, Any] | None

    def meta(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "version": self.version,
            "status": self.status,
            "duration_ms": self.duration_ms,
            "error": self.error,
        }
        if self.skipped:
            shown = sorted(self.skipped, key=lambda s: (s.path, s.reason))[:MAX_RECORDED_SKIPS]
            out["skipped"] = [{"path": s.path, "reason": s.reason} for s in shown]
            if len(self.skipped) > MAX_RECORDED_SKIPS:
                out["skipped_more"] = len(self.skipped) - MAX_RECORDED_SKIPS
        return out


def run_collector(collector: Collector, ctx: CollectContext) -> CollectorRun:
    start = time.perf_counter()
    status, error, section = "ok", None, None
    try:
        section = collector.collect(ctx)
    except NotConfigured as exc:
        status = "not_configured"
        error = exc.reason + (f" ({exc.how_to_enable})" if exc.how_to_enable else "")
    except CollectorFailed as exc:
        status, error = "error", str(exc)
    except (Exception, SystemExit) as exc:  # a collector bug must not abort the run; policies then decide `error`
        status, error = "error", f"internal error in collector {collector.name}: {type(exc).__name__}: {exc}"
    for store in ctx.stores:  # entries are per file and hold whatever the collector's status
        store.save()
    ctx.stores.clear()
    if section is not None and status == "ok":
        limit = ctx.config.max_section_bytes or DEFAULT_MAX_SECTION_BYTES
        size = len(json.dumps(section, separators=(",", ":"), ensure_ascii=False, default=str))
        if size > limit:
            status, section = "error", None
            error = (
                f"facts.{collector.name} is {size} bytes, over the limit of {limit} bytes per fact section "
                "(raise collect.max_section_bytes in the config if the repository really is that large)"
            )
    duration = int((time.perf_counter() - start) * 1000)
    return CollectorRun(collector.name, collector.version, status, duration, error, tuple(ctx.skips), section)


def order_collectors(collectors: Mapping[str, Collector], wanted: Sequence[str]) -> list[Collector]:
    """``wanted`` plus what they depend on, dependencies first, otherwise in registry order."""
    ordered: list[Collector] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if any(c.name == name for c in ordered) or name not in collectors:
            return
        if name in visiting:
            raise ValueError(f"collector dependency cycle through {name}")
        visiting.add(name)
        for dep in collectors[name].depends_on:
            visit(dep)
        visiting.discard(name)
        ordered.append(collectors[name])

    for name in wanted:
        visit(name)
    return ordered
