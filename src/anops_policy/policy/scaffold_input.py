"""``anops-policy new input NAME``: a structured-file input in a pack (``pack.yaml`` gains ``inputs: {NAME: …}``)
and a starter policy over ``facts.files.NAME`` that passes ``check`` and ``test`` as written."""

from __future__ import annotations

import json
import re
from pathlib import Path

from anops_policy.errors import ConfigError
from anops_policy.policy.scaffold import (
    RULE_ID,
    SCHEMA_FOLDER,
    _add_item,
    _first_item,
    _write,
    ensure_schemas,
    modeline,
)

# the files an input of each parser reads unless --files names others
DEFAULT_FILES = {
    "yaml": "**/*.yaml", "json": "**/*.json", "jsonc": "**/*.jsonc", "json5": "**/*.json5", "toml": "**/*.toml",
    "ini": "**/*.ini", "xml": "**/*.xml", "hcl2": "**/*.tf", "dotenv": "**/.env", "properties": "**/*.properties",
    "dockerfile": "**/Dockerfile",
}


def new_input(
    pack: Path, name: str, *, parser: str = "yaml", files: tuple[str, ...] = (), item: str | None = None,
    schemas: Path | None = None,
) -> list[Path]:
    """Declare input ``name`` in ``pack``'s pack.yaml and write ``<name>-files-parse.yaml``, a policy that every
    file of the input parses (the starting point for policies over its documents)."""
    if not RULE_ID.match(name):
        raise ConfigError(f"input name '{name}': use snake_case, a CEL identifier (facts.files.{name})")
    if parser not in DEFAULT_FILES:
        raise ConfigError(f"--parser '{parser}': one of {', '.join(DEFAULT_FILES)}")
    pack_file = pack / "pack.yaml"
    if not pack_file.is_file():
        raise ConfigError(f"{pack_file}: no pack here (create one with `anops-policy new pack {pack}`)")
    policy_id = name.replace("_", "-") + "-files-parse"
    target = pack / f"{policy_id}.yaml"
    if target.exists():
        raise ConfigError(f"{target} exists; choose another input name or edit it")
    _add_input(pack_file, name, parser, files or (DEFAULT_FILES[parser],))
    schemas = schemas or pack / SCHEMA_FOLDER
    ensure_schemas(schemas)
    checklist = item or _first_item(pack) or "1.1"
    written = [pack_file]
    if item is not None:
        _add_item(pack_file, checklist)
    _write(target, modeline(target, schemas, "policy") + _parse_policy(policy_id, name, parser, checklist))
    return [target, *written]


def _add_input(pack_file: Path, name: str, parser: str, files: tuple[str, ...]) -> None:
    """Add the input to ``inputs:`` (a text edit: the file's comments stay), or start that block at the end."""
    from anops_policy.yamlsafe import load_yaml_file  # noqa: PLC0415

    data, _ = load_yaml_file(str(pack_file))
    inputs = data.get("inputs") if isinstance(data, dict) else None
    if isinstance(inputs, dict) and name in inputs:
        raise ConfigError(f"{pack_file}: input '{name}' is declared already")
    entry = f"  {name}: {{files: {json.dumps(list(files))}, parser: {parser}}}\n"
    lines = pack_file.read_text(encoding="utf-8").splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start = next((i for i, text in enumerate(lines) if text.startswith("inputs:")), None)
    if start is None:
        lines += ["# structured files this pack's policies read as facts.files.<name> (`anops-policy schema input`)\n",
                  "inputs:\n", entry]
    elif not re.match(r"^inputs:\s*(#.*)?$", lines[start]):
        raise ConfigError(f"{pack_file}: `inputs:` must be a block mapping to add input '{name}'")
    else:
        end = start + 1
        while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
            end += 1
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        lines.insert(end, entry)
    _write(pack_file, "".join(lines))


def _parse_policy(policy_id: str, name: str, parser: str, checklist: str) -> str:
    section = f"facts.files.{name}"

    def facts(files: int, errors: str) -> str:
        return (f"{{files: {{{name}: {{parser: {parser}, documents: [], count: 0, files: {files}, ignored: 0, "
                f"errors: {errors}, skipped: []}}}}}}")

    error = "[{path: config/app.yaml, line: 3, column: 7, reason: \"mapping values are not allowed here\"}]"
    return f"""id: {policy_id}
title: Every {name} file parses
checklist: "{checklist}"
severity: medium            # info | low | medium | high | critical
enforcement: advisory       # advisory | soft | hard; start advisory, tighten once it is trusted
requires: [files]           # `anops-policy schema facts/files`: documents (data, lines), errors, skipped
# Next, a policy per document: for_each: {section}.documents
# with subject_id: subject.path and a rule on subject.data, whose values
# `anops-policy query '{section}.documents.map(d, d.data)' .` shows.
applies_when: {section}.files > 0
rule: size({section}.errors) == 0
message: >-
  {{size({section}.errors)}} {name} file(s) do not parse:
  {{join({section}.errors.map(e, e.path + ": " + e.reason), "; ")}}
remediation: Fix the syntax at the line and column named, or leave the file out with the input's `exclude`.
examples:                   # the policy's tests and its documentation: `anops-policy test`
  - name: the one file parses
    facts: {facts(1, "[]")}
    expect: pass
  - name: one file does not parse
    facts: {facts(2, error)}
    expect: fail
  - name: no {name} files
    facts: {facts(0, "[]")}
    expect: not_applicable
"""
