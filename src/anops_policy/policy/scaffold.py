"""``anops-policy new``: a pack, a policy or a pattern rule from a template that passes ``check`` and ``test`` as
written, with a passing and a failing example to edit (and examples on both sides of each threshold, so
that ``test --mutate`` scores the template fully). Every file starts with a ``yaml-language-server`` line
naming its JSON Schema in the folder ``anops-policy schema --write`` fills, so editors complete and check it."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from anops_policy.cel import evaluator as cel
from anops_policy.errors import ConfigError
from anops_policy.policy.check import _dotted_chain
from anops_policy.policy.schema_nav import SchemaRef, declared_fields, element, fact_root
from anops_policy.policy.schema_nav import field as schema_field
from anops_policy.validation import fact_fragment_names, load_fact_fragment, load_schema, schema_names, suggest

POLICY_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
RULE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
ITEM_ID = re.compile(r"^\d+(\.\d+)*$")
SCHEMA_FOLDER = ".schemas"  # inside the pack, unless --schemas names another folder


def write_schemas(folder: Path) -> list[Path]:
    """Every JSON Schema as a file under ``folder`` (fact sections under ``facts/``), without ``$id``: the ids
    are names, not addresses, and without them editors resolve the relative ``$ref``s from the files."""
    written: list[Path] = []
    for name in schema_names():
        written.append(_write_json(folder / f"{name}.schema.json", _without_id(load_schema(name))))
    for name in fact_fragment_names():
        written.append(_write_json(folder / "facts" / f"{name}.schema.json", _without_id(load_fact_fragment(name))))
    return written


def _without_id(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k != "$id"}


def _write_json(path: Path, data: Any) -> Path:
    _write(path, json.dumps(data, indent=2) + "\n")
    return path


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None


def modeline(file: Path, schemas: Path, name: str) -> str:
    """The first line of a scaffolded file: its schema, relative to the file (editors resolve it so)."""
    relative = Path(os.path.relpath(schemas / f"{name}.schema.json", file.parent)).as_posix()
    return f"# yaml-language-server: $schema={relative}\n"


def ensure_schemas(schemas: Path) -> None:
    if not (schemas / "policy.schema.json").is_file():
        write_schemas(schemas)


def new_pack(folder: Path, schemas: Path | None = None, *, pack_id: str | None = None) -> list[Path]:
    """A pack folder: ``pack.yaml`` with one section and item, and a starter policy for that item."""
    pack_file = folder / "pack.yaml"
    if pack_file.exists():
        raise ConfigError(f"{pack_file} exists: the pack is there already (add policies: `anops-policy new policy`)")
    ident = pack_id or re.sub(r"[^a-z0-9]+", "-", folder.resolve().name.lower()).strip("-") or "my-pack"
    schemas = schemas or folder / SCHEMA_FOLDER
    ensure_schemas(schemas)
    text = modeline(pack_file, schemas, "pack") + (
        "apiVersion: anops.dev/pack/v1\n"
        f"id: {ident}\n"
        "version: 0.1.0\n"
        f"title: {ident.replace('-', ' ').capitalize()}\n"
        "description: What this checklist is for and who owns it.\n"
        "sections:\n"
        "  - 1. Checklist\n"
        "items:                  # in order; each policy names the item it automates (checklist: \"1.1\")\n"
        '  - {id: "1.1", section: 1. Checklist, title: "Release-critical files carry no TODO/FIXME markers"}\n'
    )
    _write(pack_file, text)
    return [pack_file, *new_policy(folder, "release-files-have-no-todos", item="1.1", schemas=schemas)]


def new_policy(
    pack: Path, policy_id: str, *, item: str | None = None, for_each: str | None = None, schemas: Path | None = None
) -> list[Path]:
    """``<pack>/<id>.yaml``; the pack's ``pack.yaml`` gains ``item`` when it lacks it."""
    if not POLICY_ID.match(policy_id):
        raise ConfigError(f"policy id '{policy_id}': use kebab-case that reads as the good state (images-are-pinned)")
    if item is not None and not ITEM_ID.match(item):
        raise ConfigError(f"--item '{item}': a checklist item id is numbers and dots (e.g. 5.1)")
    target = pack / f"{policy_id}.yaml"
    if target.exists():
        raise ConfigError(f"{target} exists; choose another id or edit it")
    if not pack.is_dir():
        raise ConfigError(f"{pack}: no such folder (create a pack with `anops-policy new pack {pack}`)")
    schemas = schemas or pack / SCHEMA_FOLDER
    ensure_schemas(schemas)
    written: list[Path] = []
    checklist = item or _first_item(pack) or "1.1"
    if (pack / "pack.yaml").is_file() and _add_item(pack / "pack.yaml", checklist):
        written.append(pack / "pack.yaml")
    body = _for_each_policy(policy_id, checklist, for_each) if for_each else _count_policy(policy_id, checklist)
    _write(target, modeline(target, schemas, "policy") + body)
    return [target, *written]


def _count_policy(policy_id: str, checklist: str) -> str:
    return f"""id: {policy_id}
title: Say the good state this policy checks in one line
checklist: "{checklist}"
severity: medium            # info | low | medium | high | critical
enforcement: advisory       # advisory | soft | hard; start advisory, tighten once it is trusted
requires: [todos]           # every fact section the expressions read (`anops-policy schema facts/todos`)
params:
  max_markers: {{type: integer, default: 0, description: How many markers are tolerated}}
rule: facts.todos.counts.total <= params.max_markers
message: "{{facts.todos.counts.total}} TODO/FIXME markers (at most {{params.max_markers}})"
remediation: Resolve each marker or move it to a tracked issue and delete the comment.
examples:                   # the policy's tests and its documentation: `anops-policy test`
  - name: no markers
    facts: {{todos: {{counts: {{total: 0}}}}}}
    expect: pass
  - name: one marker
    facts: {{todos: {{counts: {{total: 1}}}}}}
    expect: fail
  - name: at a raised limit
    params: {{max_markers: 2}}
    facts: {{todos: {{counts: {{total: 2}}}}}}
    expect: pass
  - name: one over a raised limit
    params: {{max_markers: 2}}
    facts: {{todos: {{counts: {{total: 3}}}}}}
    expect: fail
"""


def _for_each_policy(policy_id: str, checklist: str, for_each: str) -> str:
    """One decision per element of ``for_each``, a fact path to a list; the rule reads one of its string fields."""
    try:
        tree = cel.compile_expr(for_each).tree
    except cel.CelSyntaxError as exc:
        raise ConfigError(f"--for-each '{for_each}': invalid CEL: {exc.message}") from None
    chain = _dotted_chain(tree.children[0]) if tree.children else None
    node: Any = tree
    while chain is None and len(getattr(node, "children", ())) == 1:
        node = node.children[0]
        chain = _dotted_chain(node)
    if not chain or str(chain[0]) != "facts" or len(chain) < 3:
        raise ConfigError(
            f"--for-each '{for_each}': give the fact path of a list (e.g. facts.layout.components); "
            "narrow it afterwards with applies_when or a filter"
        )
    names = [str(t) for t in chain[1:]]
    ref: SchemaRef | None = fact_root()
    for name in names:
        result = schema_field(ref, name) if ref is not None else None
        if result is None or not result.ok or result.ref is None:
            hint = f"see `anops-policy schema facts/{names[0]}`"
            raise ConfigError(f"--for-each '{for_each}': unknown fact path ({hint})")
        ref = result.ref
    item = element(ref) if ref is not None else None
    if item is None:
        raise ConfigError(f"--for-each '{for_each}': not a list in the fact schema")
    fields = [f for f in declared_fields(item) if _is_string(schema_field(item, f).ref)]
    field_name = next((f for f in ("name", "path", "id") if f in fields), fields[0] if fields else None)
    subject = f"subject.{field_name}" if field_name else "subject"
    good = {field_name: "example"} if field_name else "example"
    bad = {field_name: ""} if field_name else ""

    def facts(value: Any) -> str:
        nested: Any = [value]
        for name in reversed(names):
            nested = {name: nested}
        return json.dumps(nested)

    return f"""id: {policy_id}
title: Say the good state each subject should be in
checklist: "{checklist}"
severity: medium            # info | low | medium | high | critical
enforcement: advisory       # advisory | soft | hard; start advisory, tighten once it is trusted
requires: [{names[0]}]
for_each: {for_each}
subject_id: {subject}
rule: {subject} != ""
message: "{{{subject}}} has an empty {field_name or 'value'}"
remediation: Say what to do when a subject fails.
examples:                   # the policy's tests and its documentation: `anops-policy test`
  - name: a subject in the good state
    facts: {facts(good)}
    expect: pass
  - name: a subject in the bad state
    facts: {facts(bad)}
    expect: fail
  - name: nothing to judge
    facts: {facts(None).replace("[null]", "[]")}
    expect: not_applicable
"""


def _is_string(ref: SchemaRef | None) -> bool:
    return ref is not None and any(alt.get("type") == "string" for alt in ref.alternatives())


def _first_item(pack: Path) -> str | None:
    items = _pack_items(pack / "pack.yaml")
    return items[0][0] if items else None


def _pack_items(pack_file: Path) -> list[tuple[str, str]]:
    """(id, section) of each item of a pack.yaml."""
    from anops_policy.yamlsafe import load_yaml_file  # noqa: PLC0415

    if not pack_file.is_file():
        return []
    data, _ = load_yaml_file(str(pack_file))
    items = data.get("items", []) if isinstance(data, dict) else []
    return [(str(i.get("id")), str(i.get("section"))) for i in items if isinstance(i, dict)]


def _add_item(pack_file: Path, item: str) -> bool:
    """Append ``item`` to the pack's items (text edit: the file's comments stay); False when it is there."""
    from anops_policy.yamlsafe import load_yaml_file  # noqa: PLC0415

    data, _ = load_yaml_file(str(pack_file))
    if not isinstance(data, dict) or not isinstance(data.get("items"), list) or not data.get("sections"):
        raise ConfigError(f"{pack_file}: expected `sections:` and `items:` lists (see `anops-policy schema pack`)")
    if any(str(i.get("id")) == item for i in data["items"] if isinstance(i, dict)):
        return False
    major = item.split(".", maxsplit=1)[0] + "."
    sections = [str(s) for s in data["sections"]]
    section = next((s for s in sections if s.startswith(major)), sections[-1])
    line = f'  - {{id: "{item}", section: {json.dumps(section)}, title: "Say what item {item} checks"}}\n'
    lines = pack_file.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next((i for i, text in enumerate(lines) if text.startswith("items:")), None)
    if start is None or not re.match(r"^items:\s*(#.*)?$", lines[start]):
        raise ConfigError(f"{pack_file}: `items:` must be a block list to add item {item}")
    end = start + 1
    while end < len(lines) and (lines[end].startswith((" ", "\t", "-")) or not lines[end].strip()):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    if lines[end - 1] and not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    lines.insert(end, line)
    _write(pack_file, "".join(lines))
    return True


def new_rule(pack: Path, rule_id: str, schemas: Path | None = None, language: str = "python") -> list[Path]:
    """``<pack>/patterns/<id>.yaml``: a pattern rule in ``language`` with a matching and a non-matching example."""
    from anops_policy.policy.rule_starters import STARTERS  # noqa: PLC0415
    from anops_policy.syntax.languages import language as known_language  # noqa: PLC0415

    if not RULE_ID.match(rule_id):
        raise ConfigError(f"rule id '{rule_id}': use snake_case, a CEL identifier (facts.patterns.{rule_id})")
    found = known_language(language)
    if found is None or found.name not in STARTERS:
        what = "unknown language" if found is None else "no starter rule for"
        raise ConfigError(f"{what} '{language}': --language takes one of {', '.join(sorted(STARTERS))}"
                          f"{suggest(language, STARTERS)}")
    starter = STARTERS[found.name]
    target = pack / "patterns" / f"{rule_id}.yaml"
    if target.exists():
        raise ConfigError(f"{target} exists; choose another id or edit it")
    schemas = schemas or pack / SCHEMA_FOLDER
    ensure_schemas(schemas)
    text = modeline(target, schemas, "pattern") + f"""# A code pattern as facts: facts.patterns.{rule_id}
# (matches with path, line, column; count; by_path). `anops-policy test` runs the examples;
# `anops-policy schema pattern` is the format.
- id: {rule_id}
  description: {_quoted(starter.description)}
  language: {found.name}
  rule: {{pattern: {_quoted(starter.pattern)}}}
  tests: exclude
  examples:
    match: [{", ".join(map(_quoted, starter.match))}]
    no_match: [{", ".join(map(_quoted, starter.no_match))}]
"""
    _write(target, text)
    return [target]


def _quoted(text: str) -> str:
    """A YAML single-quoted scalar (code reads better without backslash escapes)."""
    return "'" + text.replace("'", "''") + "'"
