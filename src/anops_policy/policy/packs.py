"""Packs and sets of policy files: loading a pack folder (its ``pack.yaml``, checklist items, declared
inputs and pattern rules, then every policy checked against them), the built-in packs, and pack references."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from anops_policy.errors import ConfigError
from anops_policy.policy import cache as policy_cache
from anops_policy.policy.builtin import BUILTIN_PACKS
from anops_policy.policy.loading import BUILTIN_PREFIX, Problems, load_policy_file, policy_files
from anops_policy.policy.model import ChecklistItem, Pack, PatternRule, Policy
from anops_policy.policy.patterns import check_rules, pack_rules, pattern_files
from anops_policy.policy.schema_nav import PATTERNS_KEY
from anops_policy.validation import resolve_schemas, suggest, validate
from anops_policy.yamlsafe import Marks, load_yaml_file


def load_policies(paths: Iterable[Path], extra_inputs: Mapping[str, Any] | None = None) -> list[Policy]:
    """Load policy files and folders (``check``/``test``); duplicate ids across files are errors. Each
    policy is checked against the inputs its folder's ``pack.yaml`` declares (plus ``extra_inputs``)."""
    problems = Problems()
    policies: list[Policy] = []
    for path in paths:
        if path.is_dir():
            files = policy_files(path)
            if not files:
                problems.add(str(path), "no policy files (*.yaml) in this folder")
        elif path.is_file():
            files = [path]
        else:
            problems.add(str(path), "no such file or folder")
            files = []
        folder = path if path.is_dir() else path.parent
        inputs = {**schemas_of(declared_inputs(folder)), **visible_patterns(declared_patterns(folder, problems)),
                  **(extra_inputs or {})}
        for file in files:
            policy = load_policy_file(file, problems, inputs=inputs)
            if policy is not None:
                policies.append(policy)
    _check_duplicates(policies, problems)
    problems.raise_if_any()
    return policies


def _check_duplicates(policies: list[Policy], problems: Problems) -> None:
    seen: dict[str, str] = {}
    for policy in policies:
        if policy.id in seen:
            problems.add(policy.file, f"duplicate policy id '{policy.id}' (also in {seen[policy.id]})")
        seen.setdefault(policy.id, policy.file)


def builtin_pack_dir(name: str) -> Path:
    package = BUILTIN_PACKS.get(name)
    if package is None:
        raise ConfigError(
            f"unknown built-in pack '{name}'{suggest(name, BUILTIN_PACKS)}; known: {', '.join(BUILTIN_PACKS)}"
        )
    return Path(str(resources.files(package)))


def resolve_pack_ref(ref: str, base: Path) -> Path:
    if ref.startswith(BUILTIN_PREFIX):
        return builtin_pack_dir(ref[len(BUILTIN_PREFIX) :])
    path = Path(ref)
    return path if path.is_absolute() else base / path


def declared_inputs(folder: Path) -> dict[str, dict[str, Any]]:
    """The ``inputs:`` of ``folder/pack.yaml`` (empty without one; a broken pack.yaml is reported by
    ``load_pack``, and its policies are then checked as declaring none)."""
    pack_file = folder / "pack.yaml"
    if not pack_file.is_file():
        return {}
    return resolve_schemas(_raw_inputs(folder), folder, str(pack_file))


def declared_patterns(folder: Path, problems: Problems | None = None) -> list[PatternRule]:
    """The pattern rules of the pack in ``folder`` as declared, unchecked. A pattern file that does not load
    (YAML, schema) is added to ``problems`` when given, else left to ``load_pack`` to report; a broken
    pack.yaml is always ``load_pack``'s to report."""
    meta, marks = None, None
    if (folder / "pack.yaml").is_file():
        try:
            meta, marks = load_yaml_file(str(folder / "pack.yaml"), str(folder / "pack.yaml"))
        except ConfigError:
            meta, marks = None, None
    try:
        return pack_rules(folder, str(folder), meta if isinstance(meta, dict) else None, marks)
    except ConfigError as exc:
        if problems is not None:
            problems.items.extend(str(exc).splitlines())
        return []


def visible_patterns(rules: Iterable[PatternRule]) -> dict[str, Any]:
    """The names the static check lets policies read for ``rules``: ``patterns.<id>`` (see ``fact_root``)."""
    return {f"{PATTERNS_KEY}{rule.id}": None for rule in rules}


def pack_file_name(folder: Path, file: Path) -> str:
    """A pack file's name inside its pack: ``x.yaml``, or ``patterns/x.yaml`` for a pattern file."""
    return file.relative_to(folder).as_posix()


def pack_files(folder: Path) -> list[Path]:
    """What makes a pack (its digest, and what the decision log stores to replay it): ``pack.yaml``, the
    policy files, the pattern files and the JSON Schemas its inputs name (files of the pack folder)."""
    files = [folder / "pack.yaml", *policy_files(folder), *pattern_files(folder)]
    schemas = {str(spec["schema"]) for spec in _raw_inputs(folder).values() if isinstance(spec.get("schema"), str)}
    files += [folder / name for name in sorted(schemas) if "/" not in name and not name.startswith(".")]
    return [file for file in files if file.is_file()]


def _raw_inputs(folder: Path) -> dict[str, dict[str, Any]]:
    try:
        meta, _ = load_yaml_file(str(folder / "pack.yaml"), str(folder / "pack.yaml"))
    except ConfigError:
        return {}
    inputs = meta.get("inputs") if isinstance(meta, dict) else None
    return {str(k): dict(v) for k, v in inputs.items() if isinstance(v, dict)} if isinstance(inputs, dict) else {}


def schemas_of(inputs: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``name → its documents' schema, or None``: what the static check of ``facts.files.<name>`` needs."""
    return {name: spec.get("schema") if isinstance(spec.get("schema"), dict) else None for name, spec in inputs.items()}


def _known_head(head: Any, name: str) -> tuple[dict[str, Any] | None, list[PatternRule]] | None:
    """``pack.yaml``'s data and the pattern rules from a ``pack_head`` cache entry (None: not usable)."""
    if not isinstance(head, dict) or not isinstance(head.get("patterns"), list):
        return None
    meta = head.get("meta")
    if meta is not None and not isinstance(meta, dict):
        return None
    rules: list[PatternRule] = []
    for row in head["patterns"]:
        if not (isinstance(row, list) and len(row) == 4 and isinstance(row[0], str) and isinstance(row[1], dict)
                and isinstance(row[2], str) and isinstance(row[3], list)):
            return None
        rules.append(PatternRule(row[0], row[1], f"{name}/{row[2]}", tuple(row[3]), None))
    return meta, rules


def _head_data(meta: dict[str, Any] | None, patterns: list[PatternRule], name: str) -> dict[str, Any]:
    """What ``_known_head`` reads back: the pack's meta data and its rules, their files relative to the pack."""
    prefix = f"{name}/"
    rows = [[r.id, r.spec, r.file.removeprefix(prefix), list(r.where)] for r in patterns]
    return {"meta": meta, "patterns": rows}


def load_pack(folder: Path, display: str | None = None, extra_inputs: Mapping[str, Any] | None = None) -> Pack:
    """A folder of policies with a ``pack.yaml`` (or, without one, an implicit pack whose items are the
    distinct ``checklist`` values of its policies). ``extra_inputs``: inputs (name → schema or None) the
    repository's config or the command line declares besides the pack's own (policies may read them too)."""
    name = display or str(folder)
    if not folder.is_dir():
        raise ConfigError(f"load pack {name}: no such folder")
    problems = Problems()
    head_key, head = policy_cache.pack_head(folder)
    known = _known_head(head, name)
    meta: dict[str, Any] | None = None
    marks: Marks | None = None
    if known is not None:  # pack.yaml and the pattern files loaded cleanly before, byte for byte the same
        meta, patterns = known
    else:
        pack_file = folder / "pack.yaml"
        if pack_file.is_file():
            meta, marks = load_yaml_file(str(pack_file), f"{name}/pack.yaml")
            validate(meta, "pack", marks, f"{name}/pack.yaml", what="load pack")
        patterns = pack_rules(folder, name, meta, marks)
    declared = meta  # pack.yaml's data (None: an implicit pack), before anything is derived from it
    raw_inputs = {str(k): dict(v) for k, v in (meta or {}).get("inputs", {}).items()}
    for input_name, spec in raw_inputs.items():
        schema = spec.get("schema")
        if isinstance(schema, str) and ("/" in schema or schema.startswith(".")):
            where = marks.at(("inputs", input_name, "schema")) if marks is not None else f"{name}/pack.yaml"
            problems.add(
                where,
                f"input schema '{schema}' must be a file of the pack folder (a plain file name): packs travel whole",
            )
            spec.pop("schema")
    inputs = resolve_schemas(raw_inputs, folder, f"{name}/pack.yaml")
    check_rules(patterns, problems)
    visible = {**schemas_of(inputs), **visible_patterns(patterns), **(extra_inputs or {})}
    policies: list[Policy] = []
    for file in policy_files(folder):
        policy = load_policy_file(file, problems, f"{name}/{file.name}", visible)
        if policy is not None:
            policies.append(policy)
    _check_duplicates(policies, problems)
    if meta is None:
        ids = sorted({p.checklist for p in policies})
        items = tuple(ChecklistItem(i, i, "Checklist") for i in ids)
        meta = {"id": folder.name, "version": "0.0.0", "title": folder.name, "sections": ["Checklist"]}
    else:
        items = tuple(ChecklistItem(str(i["id"]), i["title"], i["section"]) for i in meta["items"])
        in_pack_yaml = f"{name}/pack.yaml"
        known_sections = set(meta["sections"])
        for index, item in enumerate(meta["items"]):
            if item["section"] not in known_sections:
                problems.add(
                    marks.at(("items", index, "section")) if marks is not None else in_pack_yaml,
                    f"section '{item['section']}' is not in 'sections'{suggest(item['section'], known_sections)}",
                )
        item_ids = [i.id for i in items]
        if len(set(item_ids)) != len(item_ids):
            problems.add(marks.at(("items",)) if marks is not None else in_pack_yaml, "duplicate checklist item ids")
        for policy in policies:
            if policy.checklist not in item_ids:
                problems.add(
                    policy.file,
                    f"checklist '{policy.checklist}' is not an item of pack '{meta['id']}'"
                    + suggest(policy.checklist, item_ids),
                )
    problems.raise_if_any()
    if known is None and head_key is not None:
        policy_cache.remember_pack_head(folder, head_key, _head_data(declared, patterns, name))
    digest = hashlib.sha256()
    for file in pack_files(folder):
        digest.update(pack_file_name(folder, file).encode() + b"\0" + file.read_bytes() + b"\0")
    return Pack(
        id=meta["id"],
        version=str(meta["version"]),
        title=meta["title"],
        sections=tuple(meta["sections"]),
        items=items,
        policies=tuple(sorted(policies, key=lambda p: p.id)),
        source=name,
        digest="sha256:" + digest.hexdigest(),
        inputs=inputs,
        patterns=tuple(patterns),
        folder=str(folder),
    )
