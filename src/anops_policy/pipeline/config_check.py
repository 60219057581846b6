"""Configuration mistakes are never silent: a component whose folder does not exist, an ``e2e`` or
``release_files`` entry that matches no file, or a docs path that is missing stops the run naming
``file:line`` (a typo such as ``pth:`` for ``path:`` would otherwise judge a folder that is not there and
report items satisfied); an unknown component field close to a known one, and a component ``kind`` that no
policy of the selected packs knows, are warnings with a suggestion."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from anops_policy.collection.repo import Repo
from anops_policy.config import RepoConfig
from anops_policy.errors import ConfigError
from anops_policy.policy.model import Pack
from anops_policy.validation import load_schema, suggest

GLOB_CHARS = frozenset("*?[")
# the kinds layout discovery gives (DESIGN.md): never a typo, even when no policy judges them
LAYOUT_KINDS = frozenset({"service", "worker", "cli", "library"})
STRING_LITERAL = re.compile(r"""(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


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
    _check_lists(config, root)


def _check_lists(config: RepoConfig, root: Path) -> None:
    """Each ``e2e``/``release_files`` entry names an existing file, or is a glob that matches one."""
    repo: Repo | None = None
    folders: set[str] = set()
    for key in ("e2e", "release_files"):
        for index, entry in enumerate(config.list_value(key) or []):
            where = config.where(key, index)
            if entry.startswith("/") or ".." in PurePosixPath(entry).parts:
                raise ConfigError(
                    f"config {where}: {key} entry '{entry}' points outside the evaluated directory (entries are "
                    "paths or gitignore-style patterns relative to it)"
                )
            if GLOB_CHARS.isdisjoint(entry):
                if not (root / entry.strip("/")).exists():
                    raise ConfigError(
                        f"config {where}: {key} entry '{entry}' does not exist in the evaluated directory"
                    )
                continue
            if repo is None:
                repo = Repo(root, exclude=config.exclude)
                folders = {p[: i + 1] for p in repo.files() for i, ch in enumerate(p) if ch == "/"}
            # the folder before the first wildcard must hold a file, else nothing is compiled (20,000 globs)
            folder = _fixed_folder(entry)
            if (folder and folder not in folders) or not repo.glob([entry]):
                raise ConfigError(
                    f"config {where}: {key} pattern '{entry}' matches no file in the evaluated directory "
                    "(patterns are gitignore-style, relative to it; ignored files are not matched)"
                )


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


def _fixed_folder(pattern: str) -> str:
    """The folder part of ``pattern`` before its first wildcard (``src/`` of ``src/**/*.rs``; "" for
    ``*.py``, which matches at any depth)."""
    text = pattern.lstrip("/")
    cut = min((i for i, ch in enumerate(text) if ch in GLOB_CHARS), default=len(text))
    return text[: text.rfind("/", 0, cut) + 1]


def kind_warnings(config: RepoConfig, packs: Sequence[Pack]) -> list[str]:
    """A configured component whose ``kind`` no policy of ``packs`` names (in an expression or a parameter's
    default) and that is not one of the layout's own kinds: nothing will judge it as that kind, which is
    most often a typo (``rust_cli`` for ``rust-cli``)."""
    known = set(LAYOUT_KINDS)
    judges_kinds = False  # packs that never look at a component's kind (a CI-only pack) know no kind at all
    for pack in packs:
        for policy in pack.policies:
            for source in _sources(policy):
                known.update(a or b for a, b in STRING_LITERAL.findall(source))
                judges_kinds = judges_kinds or ".kind" in source
            for param in policy.params:
                known.update(_strings(param.default))
    if not judges_kinds:
        return []
    warnings: list[str] = []
    for index, component in enumerate(config.components):
        kind = component.get("kind")
        if isinstance(kind, str) and kind not in known:
            close = suggest(kind, sorted(known))
            warnings.append(
                f"config {config.where('components', index, 'kind')}: component '{component.get('name', '')}' has "
                f"kind '{kind}', which no policy of the selected packs knows{close or ''}; it is judged only by "
                "what applies to every component"
            )
    return warnings


def _sources(policy: Any) -> Iterable[str]:
    for expr in (policy.for_each, policy.applies_when, policy.rule, policy.subject_id, policy.evidence):
        if expr is not None:
            yield expr.source
    for variable in policy.variables:
        yield variable.expr.source


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
