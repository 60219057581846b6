"""The engine's public API: the one function behind each CLI command (the CLI only parses and prints)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from anops_policy.collection.git import Git
from anops_policy.config import RepoConfig, check_paths_inside, find_config, load_config
from anops_policy.errors import ConfigError
from anops_policy.evaluation.baseline import apply_baseline, load_baseline
from anops_policy.evaluation.evaluate import DEFAULT_DEADLINE_S, DEFAULT_MAX_DECISIONS, RunSettings, evaluate_packs
from anops_policy.evaluation.report import Report
from anops_policy.evaluation.telemetry import record_eval
from anops_policy.evaluation.unjudged import unjudged_notes
from anops_policy.facts import iso, load_fact_file, parse_now, parse_timestamp
from anops_policy.packs.resolve import PackOptions, open_packs, trust_for
from anops_policy.pipeline.collect import collect_facts
from anops_policy.pipeline.config_check import check_layout, kind_warnings, layout_warnings
from anops_policy.pipeline.inputs import merged_inputs, visible_inputs, with_inputs
from anops_policy.pipeline.pack_folders import pack_folders
from anops_policy.pipeline.patterns import merged_patterns, visible_config_patterns, with_patterns
from anops_policy.policy.model import Level, Pack
from anops_policy.policy.packs import declared_inputs, load_pack
from anops_policy.telemetry import tracing
from anops_policy.telemetry.progress import ProgressCallback

ALWAYS_COLLECTED = ("git", "layout")


@dataclass(frozen=True)
class EvalRequest:
    path: Path
    config_file: Path | None = None
    policies: Sequence[Path] = ()
    facts_file: Path | None = None
    now: datetime | None = None
    fail_on: Level | None = None
    deadline_s: float | None = None
    baseline: Path | None = None  # a previous JSON report or decision log: only new failures block
    progress: ProgressCallback | None = None
    # audit trail: record=True appends the run to the decision log (the CLI's default; off for API use)
    record: bool = False
    decision_log: Path | str | None = None  # a file, or a postgresql:// URL (a central store)
    stream: str | None = None  # the repository's stream in a store (default: detected)
    signing_key: Path | None = None
    trusted_config: str | None = None  # a git ref to read anops-policy.yaml from (not the working tree)
    trace_id: str | None = None
    jobs: int | None = None  # collector worker processes (None: the config's collect.jobs, else per core)
    packs: Sequence[str] = ()  # --pack REF: replaces the config's packs
    pack_keys: Sequence[Path] = ()  # --pack-key: remote packs must be signed by one of these (with the config's)
    locked: bool = False  # --locked: every archive or remote pack must be pinned in anops-policy.lock
    inputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # --input NAME=GLOB:PARSER


def resolve_config(path: Path, config_file: Path | None) -> RepoConfig:
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"--config {config_file}: no such file")
        return load_config(config_file)
    found = find_config(path)
    if found is None:
        return RepoConfig()
    config = load_config(found, display=str(found))
    check_paths_inside(config, path)  # the repository's own config is untrusted input
    return config


def resolve_packs(
    config: RepoConfig,
    policies: Sequence[Path],
    refs: Sequence[str] = (),
    extra_inputs: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    root: Path = Path(),
    options: PackOptions | None = None,
    notes: list[str] | None = None,
) -> list[Pack]:
    """The run's packs: ``--pack`` references and ``--policies`` folders when given (they replace the
    config's ``packs:``), else the config's. Policies may read the inputs of their pack, of the config and
    ``extra_inputs`` (``--input``). Archives and remote packs are verified under the trust policy and the
    lock file (``packs.resolve``); what the report should say about them goes to ``notes``."""
    inputs = {**visible_inputs(config, extra_inputs or {}), **visible_config_patterns(config)}
    trust = trust_for(config, root, options or PackOptions())
    if policies or refs:
        packs = open_packs([(ref, None) for ref in refs], trust, inputs, notes)
        packs += [load_pack(p, extra_inputs=inputs) for p in policies]
        where = "--pack/--policies"
    else:
        base = Path(config.file).parent if config.file else Path()
        packs = open_packs([(ref, base) for ref in config.packs], trust, inputs, notes)
        where = f"config {config.where('packs')}: packs"
    seen: dict[str, str] = {}
    for pack in packs:
        if pack.id in seen:
            raise ConfigError(
                f"{where}: pack id '{pack.id}' is used by both {seen[pack.id]} and {pack.source}; "
                "give each pack.yaml its own id (items and decisions are grouped by pack id)"
            )
        seen[pack.id] = pack.source
    return packs


def run_inputs(
    config: RepoConfig, refs: Sequence[str], extra: Mapping[str, Mapping[str, Any]],
    folders: Sequence[Path] | None = None,
) -> dict[str, dict[str, Any]]:
    """The inputs a run over ``refs`` (else the config's packs) would collect, read from the packs'
    ``pack.yaml`` alone (``facts`` needs no policy compiled); ``folders``: the packs' folders when already
    resolved (``pack_folders``: an archive or remote pack is fetched and verified to read its declarations)."""
    found = folders if folders is not None else pack_folders(config, refs, extra)
    return merged_inputs([declared_inputs(folder) for folder in found], config, extra)


def facts_for(request: EvalRequest, config: RepoConfig, packs: Sequence[Pack]) -> tuple[dict[str, Any], datetime]:
    """The fact document a run judges and its ``now``: the saved one (``--facts``), else collected for the
    sections and inputs ``packs`` read (local packs, or a server's as its ListPolicies describes them)."""
    from anops_policy.audit import events as log_events  # noqa: PLC0415

    if request.facts_file is not None:
        document = load_fact_file(request.facts_file)
        return document, request.now or parse_timestamp(document["meta"]["now"])
    now = request.now or parse_now(None)
    collect_config = with_inputs(
        log_events.config_for_collectors(config, request.decision_log, request.stream),
        merged_inputs([p.inputs for p in packs], config, request.inputs),
    )
    collect_config = with_patterns(collect_config, merged_patterns([p.patterns for p in packs], config))
    # inputs given on the command line are collected even when no policy reads them (facts, reports)
    sections = sorted({*required_sections(packs), *(["files"] if request.inputs else [])})
    return gather(request.path, collect_config, now, sections, request.progress, jobs=request.jobs), now


def required_sections(packs: Sequence[Pack]) -> list[str]:
    names = set(ALWAYS_COLLECTED)
    for pack in packs:
        for policy in pack.policies:
            names.update(policy.requires)
    return sorted(names)


def gather(
    path: Path,
    config: RepoConfig,
    now: datetime,
    only: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
    *,
    jobs: int | None = None,
) -> dict[str, Any]:
    if not path.is_dir():
        raise ConfigError(f"{path}: not a directory")
    check_layout(config, path)
    return collect_facts(path, config, now=now, only=only, progress=progress, jobs=jobs)


def repo_prefix(path: Path) -> str:
    """The evaluated directory relative to its git top level ("" at the top or without git): CI outputs
    (SARIF, annotations) name files from the checkout root, while evidence paths are relative to PATH."""
    git = Git.discover(path) if path.is_dir() else None
    return git.prefix if git is not None else ""


def run_eval(request: EvalRequest) -> tuple[Report, dict[str, Any], RepoConfig, list[Pack]]:
    """One evaluation under the ``anops.eval`` span; its trace id goes into the decision log and the report."""
    with tracing.span("anops.eval", {"anops.path": str(request.path)}) as span:
        trace_id = request.trace_id or span.trace_id
        out = _run_eval(replace(request, trace_id=trace_id) if trace_id != request.trace_id else request)
        out[0].trace_id = trace_id
        record_eval(span, out[0])
        return out


def _run_eval(request: EvalRequest) -> tuple[Report, dict[str, Any], RepoConfig, list[Pack]]:
    from anops_policy.audit import events as log_events  # noqa: PLC0415
    from anops_policy.audit import trusted_config  # noqa: PLC0415
    from anops_policy.evaluation import waivers  # noqa: PLC0415

    trusted = None
    if request.trusted_config:
        trusted = trusted_config.load_trusted(request.path, request.config_file, request.trusted_config)
        config = trusted.config
    else:
        config = resolve_config(request.path, request.config_file)
    recorder = (
        log_events.Recorder.start(request.path, config, request.decision_log, request.signing_key, request.trace_id,
                                  request.stream)
        if request.record
        else None
    )
    pack_notes: list[str] = []
    packs = resolve_packs(config, request.policies, request.packs, request.inputs, root=request.path,
                          options=PackOptions(request.pack_keys, request.locked), notes=pack_notes)
    baseline = load_baseline(request.baseline) if request.baseline is not None else None
    document, now = facts_for(request, config, packs)
    evaluation = config.raw.get("evaluation", {})
    fail_on = request.fail_on or Level(evaluation.get("fail_on", "soft"))
    deadline = request.deadline_s or float(evaluation.get("deadline_s", DEFAULT_DEADLINE_S))
    max_decisions = int(evaluation.get("max_decisions", DEFAULT_MAX_DECISIONS))
    settings = RunSettings(now=now, fail_on=fail_on, deadline_s=deadline, max_decisions=max_decisions)
    overrides = {pid: config.params_for(pid) for pid in config.raw.get("params", {})}
    known = {p.id for pack in packs for p in pack.policies}
    for pid in overrides:
        if pid not in known:
            from anops_policy.validation import suggest  # noqa: PLC0415

            raise ConfigError(
                f"config {config.where('params', pid)}: params for unknown policy '{pid}'{suggest(pid, known)}"
            )
    decisions = evaluate_packs(
        packs, document, overrides, settings, where=config.file or "config", progress=request.progress
    )
    run = {
        "path": str(request.path),
        "now": iso(now),
        "fail_on": fail_on.value,
        "facts_digest": document["meta"]["digest"],
        "commit": document["meta"]["repo"].get("commit"),
        "config": config.file,
        "repo_prefix": repo_prefix(request.path),
    }
    waived = waivers.apply_waivers(decisions, waivers.parse_waivers(config, now, known), now)
    report = Report(
        packs=packs,
        decisions=decisions,
        run=run,
        collectors=document["meta"]["collectors"],
        waivers=waived.entries,
        config_changes=trusted.changes if trusted else [],
    )
    report.notes.extend([
        *pack_notes, *layout_warnings(config), *kind_warnings(config, packs), *unjudged_notes(document), *waived.notes,
        *(trusted.notes if trusted else []),
    ])
    if baseline is not None:
        apply_baseline(report, baseline)
    if recorder is not None:
        report.logged = recorder.record(
            report,
            document,
            config,
            packs,
            {
                "fail_on": fail_on.value,
                "deadline_s": deadline,
                "baseline": str(request.baseline) if request.baseline else None,
            },
            trusted.source() if trusted else None,
        )
    return report, document, config, packs
