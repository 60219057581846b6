"""The pattern rules of a run: what the packs declare, then the repository config's (a config rule replaces
a pack rule of the same id); the collectors see the merge as the config's ``patterns`` list (the patterns
collector reads it). The config's rules are checked like a pack's — snippets that parse, a rule ast-grep
accepts, passing examples — and a problem stops the run (exit 2) naming ``file:line:column``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from anops_policy.config import RepoConfig
from anops_policy.policy.model import PatternRule
from anops_policy.policy.packs import declared_patterns, visible_patterns
from anops_policy.policy.patterns import config_patterns_checked, config_rules, merge_rules


def config_patterns(config: RepoConfig) -> list[PatternRule]:
    """The config's rules, checked (ConfigError with every located problem)."""
    return config_patterns_checked(config.raw, config.file or "anops-policy.yaml", config.marks)


def visible_config_patterns(config: RepoConfig) -> dict[str, Any]:
    """The names of the config's rules as the static check sees them (every pack's policies may read them)."""
    return visible_patterns(config_rules(config.raw, config.file or "anops-policy.yaml", config.marks))


def merged_patterns(declared: Sequence[Sequence[PatternRule]], config: RepoConfig) -> list[dict[str, Any]]:
    """The rule specs a run collects: the packs' rules (``declared``, one list per pack) and the config's."""
    return [dict(rule.spec) for rule in merge_rules(declared, config_patterns(config))]


def run_patterns(
    config: RepoConfig, refs: Sequence[str], folders: Sequence[Path] | None = None
) -> list[dict[str, Any]]:
    """The rules a run over ``refs`` (else the config's packs) would collect, read from the pack folders
    alone (``facts`` needs no policy compiled); ``folders`` as for ``run_inputs``."""
    from anops_policy.pipeline.pack_folders import pack_folders  # noqa: PLC0415 - it imports this module

    found = folders if folders is not None else pack_folders(config, refs)
    return merged_patterns([declared_patterns(folder) for folder in found], config)


def with_patterns(config: RepoConfig, patterns: Sequence[dict[str, Any]]) -> RepoConfig:
    """The config the collectors see: ``patterns`` is the merge of every source."""
    return replace(config, raw={**config.raw, "patterns": [dict(p) for p in patterns]})
