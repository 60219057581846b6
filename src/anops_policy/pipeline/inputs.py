"""The structured-file inputs of a run: what the packs declare, what the repository's config adds or
overrides, and what ``--input NAME=GLOB:PARSER`` adds on the command line; the collectors see the merge
as the config's ``inputs`` (the files collector reads it)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from anops_policy.config import RepoConfig
from anops_policy.errors import ConfigError
from anops_policy.validation import load_schema, resolve_schemas, suggest

NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def parsers() -> tuple[str, ...]:
    """The parser names an input may use (the input schema's enum)."""
    return tuple(load_schema("input")["$defs"]["input"]["properties"]["parser"]["enum"])


def parse_input_option(text: str) -> tuple[str, dict[str, Any]]:
    """``--input NAME=GLOB[,GLOB...]:PARSER`` → (name, {files, parser})."""
    name, eq, rest = text.partition("=")
    globs, colon, parser = rest.rpartition(":")
    known = parsers()
    if not eq or not colon or not name or not globs:
        raise ConfigError(f"--input {text!r}: expected NAME=GLOB:PARSER, e.g. k8s=deploy/**/*.yaml:yaml")
    if not NAME.match(name):
        raise ConfigError(
            f"--input {text!r}: the name '{name}' must be snake_case (a CEL identifier: facts.files.{name})"
        )
    if parser not in known:
        raise ConfigError(
            f"--input {text!r}: unknown parser '{parser}'{suggest(parser, known)}; known: {', '.join(known)}"
        )
    return name, {"files": [g for g in globs.split(",") if g], "parser": parser}


def parse_input_options(texts: Sequence[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for text in texts:
        name, spec = parse_input_option(text)
        if name in out:
            raise ConfigError(f"--input {text!r}: input '{name}' is given twice")
        out[name] = spec
    return out


def config_inputs(config: RepoConfig) -> dict[str, dict[str, Any]]:
    """The config's ``inputs:``, each ``schema:`` read relative to the config file."""
    raw = {str(k): dict(v) for k, v in config.raw.get("inputs", {}).items()}
    base = Path(config.file).parent if config.file else Path()
    return resolve_schemas(raw, base, f"config {config.file or 'anops-policy.yaml'}")


def visible_inputs(config: RepoConfig, extra: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Inputs the config and ``--input`` declare (name → schema or None), visible to every pack's policies."""
    out = {name: spec.get("schema") for name, spec in config_inputs(config).items()}
    out.update((name, None) for name in extra)
    return out


def merged_inputs(
    declared: Sequence[Mapping[str, Mapping[str, Any]]],
    config: RepoConfig,
    extra: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """The packs' inputs (``declared``, one mapping per pack; the first pack to name an input wins), then
    the config's (a field it names replaces the pack's; a new input needs files and a parser), then
    ``--input`` options (whole inputs, replacing any of the same name)."""
    out: dict[str, dict[str, Any]] = {}
    for inputs in declared:
        for name, spec in inputs.items():
            out.setdefault(name, dict(spec))
    for name, spec in config_inputs(config).items():
        merged = {**out.get(name, {}), **spec}
        missing = [key for key in ("files", "parser") if key not in merged]
        if missing:
            names = sorted({n for inputs in declared for n in inputs})
            hint = suggest(name, names) or (f"; the packs declare: {', '.join(names)}" if names else "")
            raise ConfigError(
                f"config {config.where('inputs', name)}: input '{name}' is declared by no pack, so it needs "
                f"{' and '.join(missing)}{hint}"
            )
        out[name] = merged
    for name, spec in (extra or {}).items():
        out[name] = dict(spec)
    return dict(sorted(out.items()))


def with_inputs(config: RepoConfig, inputs: Mapping[str, Mapping[str, Any]]) -> RepoConfig:
    """The config the collectors see: ``inputs`` is the merge of every source."""
    return replace(config, raw={**config.raw, "inputs": {k: dict(v) for k, v in inputs.items()}})
