"""Configuration mistakes are never silent: a component whose folder does not exist, or a docs path that
is missing, stops the run naming ``file:line`` (a typo such as ``pth:`` for ``path:`` would otherwise
judge a folder that is not there and report items satisfied); an unknown component field close to a known
one is a warning with the suggestion."""

from __future__ import annotations

from pathlib import Path

from anops_policy.config import RepoConfig
from anops_policy.errors import ConfigError
from anops_policy.validation import load_schema, suggest


def component_fields() -> list[str]:
    schema = load_schema("config")["properties"]["components"]["items"]
    return sorted(schema.get("properties", {}))


def check_layout(config: RepoConfig, root: Path) -> None:
    """A ConfigError for the first thing the config names that the evaluated directory lacks."""
    known = component_fields()
    for index, component in enumerate(config.components):
        name = str(component.get("name", ""))
        unknown = [str(k) for k in component if k not in known]
        folder = str(component.get("path") or name).strip("/") or "."
        if not (root / folder).is_dir():
            typo = next((k for k in unknown if suggest(k, ["path"])), None)
            hint = f"; it has '{typo}': did you mean path?" if typo else " (set its path)"
            where = config.where("components", index, "path") if "path" in component else config.where(
                "components", index
            )
            raise ConfigError(
                f"config {where}: component '{name}': its folder '{folder}' does not exist in the evaluated "
                f"directory{hint}"
            )
    for key, value in sorted(config.docs.items()):
        if isinstance(value, str) and not (root / value).exists():
            raise ConfigError(f"config {config.where('docs', key)}: docs.{key} '{value}' does not exist")


def layout_warnings(config: RepoConfig) -> list[str]:
    """Unknown component fields close to a known one (``protocl`` → ``protocol``): shown, not fatal, since
    components are an open set that other packs may read more fields of."""
    known = component_fields()
    warnings: list[str] = []
    for index, component in enumerate(config.components):
        for key in (str(k) for k in component if k not in known):
            close = suggest(key, known)
            if close:
                warnings.append(
                    f"config {config.where('components', index, key)}: component '{component.get('name', '')}' "
                    f"has an unknown field '{key}'{close}"
                )
    return warnings
