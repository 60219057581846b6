"""Options shared by several commands (one definition each, so they read and behave the same)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from anops_policy import cache_home

F = TypeVar("F", bound=Callable[..., Any])

config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Repository config to use instead of PATH/anops-policy.yaml.",
)
policies_option = click.option(
    "--policies",
    "policies",
    multiple=True,
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="A pack folder (pack.yaml + policy files) to evaluate instead of the config's packs. Repeatable.",
)
pack_option = click.option(
    "--pack",
    "pack_refs",
    multiple=True,
    metavar="REF",
    help="A pack to evaluate instead of the config's packs: builtin:NAME (builtin:production-readiness, "
    "builtin:deployment-readiness), a folder, an archive, oci://HOST/REPO:TAG, git+URL#REF:PATH or an https:// "
    "archive (see `anops-policy pack --help`). Repeatable; combines with --policies.",
)
pack_key_option = click.option(
    "--pack-key",
    "pack_keys",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Ed25519 public key (PEM) remote packs must be signed by (with the config's trust.pack_keys). Repeatable.",
)
locked_option = click.option(
    "--locked",
    is_flag=True,
    help="Use only packs pinned in anops-policy.lock: refuse an archive or remote pack without a lock entry "
    "or whose content does not match the locked digest.",
)
input_option = click.option(
    "--input",
    "input_specs",
    multiple=True,
    metavar="NAME=GLOB:PARSER",
    help="Read structured files as facts.files.NAME, e.g. k8s=deploy/**/*.yaml:yaml (globs comma-separated; "
    "parsers: yaml json jsonc json5 toml ini xml hcl2 dotenv properties dockerfile). Repeatable.",
)
now_option = click.option(
    "--now",
    "now",
    metavar="TIMESTAMP",
    help="Pin the run's time (ISO date or timestamp) so ages, staleness and waiver expiry are reproducible.",
)


def _start_tracing(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    """OpenTelemetry for this command when OTEL_* variables or --trace-file ask for it, flushed when the
    command ends (also on errors); otherwise nothing is imported and a caller's own setup is kept."""
    from anops_policy.telemetry import tracing  # noqa: PLC0415

    if tracing.wanted(value) and tracing.configure(trace_file=value):
        ctx.call_on_close(tracing.shutdown)


trace_file_option = click.option(
    "--trace-file",
    type=click.Path(path_type=Path, dir_okay=False),
    callback=_start_tracing,
    expose_value=False,
    help="Write the run's OpenTelemetry spans to FILE as JSON lines (OTLP export: OTEL_EXPORTER_OTLP_ENDPOINT).",
)
text_or_json_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Format written to stdout.",
)
jobs_option = click.option(
    "-j",
    "--jobs",
    "jobs",
    type=click.IntRange(0, 64),
    default=None,
    help="Worker processes that run collectors side by side: 1 collects in one process; 0 or absent uses "
    "the config's collect.jobs, else one per core (up to 4) for repositories of 300 files or more. "
    "The facts are the same either way.",
)


def _cache_switch(_ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    # one switch for the compiled-policy cache and the collectors' per-file summary cache
    cache_home.configure(False if value else None)  # set on every run: in-process callers reuse the module


no_cache_option = click.option(
    "--no-cache",
    is_flag=True,
    callback=_cache_switch,
    expose_value=False,
    help="Compile every policy and summarise every file afresh instead of reusing the compiled-policy and "
    "per-file summary caches (also: ANOPS_POLICY_CACHE=off). The results are the same either way.",
)
path_argument = click.argument("path", required=False, default=".", type=click.Path(path_type=Path, file_okay=False))


def verbosity_options(func: F) -> F:
    func = click.option("-q", "--quiet", "quiet", count=True, help="Print less (summary and failures only).")(func)
    return click.option(
        "-v", "--verbose", "verbose", count=True, help="Print more (passing decisions, skipped files)."
    )(func)
