"""Collect a fact document for one directory: pick collectors, run them in dependency order, check each
section against its schema (a non-conforming section is a collector error: fail closed), assemble."""

from __future__ import annotations

import gc
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from anops_policy.collection.assemble import assemble
from anops_policy.collection.collector import CollectContext, Collector, CollectorRun, order_collectors, run_collector
from anops_policy.collection.counting import CountingRepo
from anops_policy.collection.log_reader import DecisionLogReader
from anops_policy.collection.parallel import ParallelCollection, Placement, resolve_jobs
from anops_policy.collection.repo import DEFAULT_MAX_FILE_BYTES, Repo
from anops_policy.collection.worker import Finished
from anops_policy.config import RepoConfig
from anops_policy.errors import ConfigError
from anops_policy.facts import invalid_text, schema_errors, section_errors, unsafe_integer
from anops_policy.telemetry import tracing
from anops_policy.telemetry.progress import CollectProgress, ProgressCallback
from anops_policy.validation import suggest


def _anywhere(_name: str) -> Placement:
    return Placement()


def section_problems(name: str, section: Any, schema: Mapping[str, Any] | None = None) -> list[str]:
    """Why a section cannot go into the fact document: its schema (``schema`` when given, a third-party
    collector's own; else the fact schema's ``$defs[name]``), and values JSON cannot carry."""
    problems = section_errors(name, section) if schema is None else schema_errors(name, section, schema)
    bad_int = unsafe_integer(section, name)
    if bad_int is not None:
        problems.append(f"{bad_int}: an integer beyond ±2^53 (JSON cannot carry it exactly)")
    bad_text = invalid_text(section, name)
    if bad_text is not None:
        problems.append(f"{bad_text}: text with a lone surrogate (not valid Unicode)")
    return problems


def checked_run(
    collector: Collector, ctx: CollectContext, schemas: Mapping[str, Mapping[str, Any]] | None = None
) -> CollectorRun:
    """Run one collector and check its section against the schema (non-conforming → ``error``);
    ``schemas``: the sections validated against their own schema instead of the fact schema's."""
    run = run_collector(collector, ctx)
    if run.status != "ok":
        return run
    problems = section_problems(collector.name, run.section, (schemas or {}).get(collector.name))
    if not problems:
        return run
    return CollectorRun(
        run.name,
        run.version,
        "error",
        run.duration_ms,
        "produced facts that do not match its schema: " + "; ".join(problems),
        run.skipped,
        None,
    )


def collect_one(
    collector: Collector, ctx: CollectContext, schemas: Mapping[str, Mapping[str, Any]] | None = None
) -> CollectorRun:
    """``checked_run`` under the collector's ``anops.collect <name>`` span."""
    with tracing.span(f"anops.collect {collector.name}") as span:
        run = checked_run(collector, ctx, schemas)
        tracing.record_collector(
            span, run.name, run.status, files_read=ctx.reads, files_skipped=len(run.skipped), error=run.error
        )
    return run


def _recorded(collector: Collector, finished: Finished) -> CollectorRun:
    """A worker's run gets the span it would have had in process, with the worker's start and end."""
    run = finished.run
    with tracing.past_span(f"anops.collect {collector.name}", finished.start_ns, finished.end_ns) as span:
        tracing.record_collector(
            span, run.name, run.status, files_read=finished.reads, files_skipped=len(run.skipped), error=run.error
        )
    return run


def gather_facts(
    root: Path,
    config: RepoConfig,
    collectors: Mapping[str, Collector],
    *,
    now: datetime,
    only: Sequence[str] | None = None,
    placement: Callable[[str], Placement] = _anywhere,
    log_reader: DecisionLogReader | None = None,
    use_git: bool = True,
    progress: ProgressCallback | None = None,
    jobs: int | None = None,
    schemas: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The fact document for ``root`` from ``collectors`` (by fact key). ``placement``: where the parallel
    scheduler puts each collector; ``log_reader``: the decision log for the signoff collector; ``schemas``:
    the JSON Schemas of sections the fact schema does not define (third-party collectors), each section
    checked against its own instead of ``$defs[name]``. ``jobs``:
    worker processes for the collectors (1 = in this process; None or 0 = the config's ``collect.jobs``,
    else one per core, up to 4, for a repository of 300 files or more; see ``collection.parallel``). The
    document is the same for any ``jobs``."""
    available = dict(collectors)
    wanted = list(only) if only else list(available)
    for name in wanted:
        if name not in available:
            raise ConfigError(f"unknown collector '{name}'{suggest(name, available)}; known: {', '.join(available)}")
    ordered = order_collectors(available, wanted)
    max_bytes = config.max_file_bytes or DEFAULT_MAX_FILE_BYTES
    tracker = CollectProgress(progress, len(ordered)) if progress is not None else None
    if tracker is None:
        repo = Repo(root, exclude=config.exclude, max_file_bytes=max_bytes, use_git=use_git)
    else:
        repo = CountingRepo(
            root, on_read=tracker.read, exclude=config.exclude, max_file_bytes=max_bytes, use_git=use_git
        )
    workers = resolve_jobs(jobs if jobs else config.collect_jobs, lambda: len(repo.files()), len(ordered))
    if workers > 1:
        runs = ParallelCollection(
            ordered,
            repo=repo,
            config=config,
            now=now,
            jobs=workers,
            run_one=partial(checked_run, schemas=schemas),
            placement=placement,
            on_start=tracker.running if tracker is not None else None,
            on_reads=tracker.reads if tracker is not None else None,
            on_finish=_recorded,
            log_reader=log_reader,
        ).run()
    else:
        runs = _collect_in_process(ordered, repo, config, now, tracker, log_reader, schemas)
    if tracker is not None:
        tracker.finish()
    git_section = next((r.section for r in runs if r.name == "git" and r.section is not None), {})
    repo_meta = {
        "name": root.resolve().name,
        "root": ".",
        "commit": git_section.get("commit"),
        "branch": git_section.get("branch"),
        "dirty": git_section.get("dirty"),
    }
    selected = [r for r in runs if r.name in wanted or not only]
    return assemble(
        selected, repo_meta=repo_meta, now=now, generated_at=datetime.now(UTC), listing_skips=repo.listing_skips
    )


def _collect_in_process(
    ordered: Sequence[Collector],
    repo: Repo,
    config: RepoConfig,
    now: datetime,
    tracker: CollectProgress | None,
    log_reader: DecisionLogReader | None,
    schemas: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[CollectorRun]:
    sections: dict[str, Any] = {}
    runs: list[CollectorRun] = []
    memo: dict[str, Any] = {}
    freeze = gc.get_freeze_count() == 0  # never undo someone else's gc.freeze()
    try:
        for index, collector in enumerate(ordered):
            if tracker is not None:
                tracker.start(index, collector.name)
            # exactly the sections it depends on, as in a worker process (see collect_parallel)
            facts = {dep: sections[dep] for dep in collector.depends_on if dep in sections}
            ctx = CollectContext(repo=repo, config=config, now=now, facts=facts, memo=memo, log_reader=log_reader)
            run = collect_one(collector, ctx, schemas)
            if run.status == "ok" and run.section is not None:
                sections[run.name] = run.section
            runs.append(run)
            if memo and freeze:
                # the memo's syntax trees and scans live to the end of collection: out of the cyclic
                # collector's generations, or each later full pass walks millions of nodes (docs 3x slower)
                gc.freeze()
    finally:
        if freeze:
            gc.unfreeze()
    return runs
