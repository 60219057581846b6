"""The Rust validator shortcut (``anops_policy.schema_fast``) never accepts a section that ``jsonschema``
rejects: on every collector golden and on seeded random breakages of each (a key removed, a value of the
wrong type, an unknown property, a list made a tuple), whenever the shortcut says *valid*, ``jsonschema``
agrees; and on the goldens themselves both say *valid*."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from anops_policy import schema_fast
from anops_policy.validation import registry

HERE = Path(__file__).parent
GOLDENS = sorted(HERE.glob("*/cases/*/expected.json"))

pytestmark = pytest.mark.skipif(
    schema_fast._section_validator("todos") is None, reason="jsonschema_rs is not installed"
)


def jsonschema_valid(name: str, section: Any) -> bool:
    schema = {"$ref": f"https://anops.dev/schemas/facts/{name}.schema.json"}
    return bool(jsonschema.Draft202012Validator(schema, registry=registry()).is_valid(section))


def sections() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for golden in GOLDENS:
        data = json.loads(golden.read_text())
        if set(data) <= {"status", "error", "skipped", "error_contains"}:
            continue  # a case whose collector produced no section
        data.pop("_skipped", None)
        out.append((golden.parent.relative_to(HERE).as_posix(), golden.parents[2].name, data))
    return out


def containers(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if isinstance(value, dict | list) else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += containers(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value[:3]):
            found += containers(child, (*path, index))
    return found


def breakages(section: dict[str, Any], rng: random.Random) -> list[Any]:
    out = []
    paths = containers(section)
    for _ in range(12):
        broken = copy.deepcopy(section)
        where = rng.choice(paths)
        target: Any = broken
        for step in where:
            target = target[step]
        kind = rng.randrange(4)
        if isinstance(target, dict) and target:
            key = rng.choice(sorted(target))
            if kind == 0:
                del target[key]
            elif kind == 1:
                target[key] = 12345 if isinstance(target[key], str) else "not-the-right-type"
            elif kind == 2:
                target["unexpected_property_x"] = 1
            else:
                target[key] = tuple(target[key]) if isinstance(target[key], list) else None
        elif isinstance(target, list) and target:
            target[rng.randrange(len(target))] = {"unexpected": True} if kind % 2 else 7
        out.append(broken)
    return out


CASES = sections()


@pytest.mark.parametrize(("case", "name", "section"), CASES, ids=[c[0] for c in CASES])
def test_shortcut_agrees_with_jsonschema(case: str, name: str, section: dict[str, Any]) -> None:
    assert jsonschema_valid(name, section), f"golden {case} is not valid"
    assert schema_fast.section_valid(name, section)
    rng = random.Random(case)
    for broken in breakages(section, rng):
        if schema_fast.section_valid(name, broken):
            assert jsonschema_valid(name, broken), f"shortcut accepted what jsonschema rejects: {broken}"


def test_values_that_are_not_plain_json_go_to_jsonschema() -> None:
    assert schema_fast.plain_json({"a": [1, 2.5, "x", None, True, {"b": []}]})
    assert not schema_fast.plain_json({"a": (1, 2)})
    assert not schema_fast.plain_json({1: "x"})
    assert not schema_fast.plain_json({"a": {1, 2}})


def test_document_shortcut_agrees_with_jsonschema() -> None:
    """The whole-document shortcut (``eval --facts``) on the example repository's collected facts and on
    seeded breakages of them: never valid where ``jsonschema`` says invalid."""
    from datetime import UTC, datetime  # noqa: PLC0415

    from anops_policy.config import find_config, load_config  # noqa: PLC0415
    from anops_policy.pipeline.collect import collect_facts  # noqa: PLC0415

    root = HERE.parents[1] / "examples" / "anops"
    config = load_config(find_config(root))
    document = json.loads(json.dumps(collect_facts(root, config, now=datetime(2026, 11, 26, tzinfo=UTC))))
    schema = {"$ref": "https://anops.dev/schemas/fact-document.schema.json"}
    validator = jsonschema.Draft202012Validator(schema, registry=registry())
    assert validator.is_valid(document) and schema_fast.document_valid(document)
    rng = random.Random("fact-document")
    refused = 0
    for name in sorted(k for k in document if isinstance(document[k], dict)):
        for broken_section in breakages(document[name], rng):
            broken = {**document, name: broken_section}
            if schema_fast.document_valid(broken):
                assert validator.is_valid(broken), f"shortcut accepted what jsonschema rejects in {name}"
            else:
                refused += 1
    assert refused > 0  # the breakages reach the validator at all


def project_documents() -> list[tuple[str, str, Any]]:
    """Every config, policy, pack and pattern file the repository ships, read as ``validate`` sees them."""
    from anops_policy.yamlsafe import load_yaml_file  # noqa: PLC0415

    root = HERE.parents[1]
    found: list[tuple[str, str, Any]] = []
    for path in sorted(root.glob("**/anops-policy.yaml")):
        if ".git" not in path.parts:
            found.append((path.relative_to(root).as_posix(), "config", load_yaml_file(str(path), str(path))[0]))
    for path in sorted((root / "policies").glob("*/*.yaml")):
        kind = "pack" if path.name == "pack.yaml" else "policy"
        found.append((path.relative_to(root).as_posix(), kind, load_yaml_file(str(path), str(path))[0]))
    for path in sorted((root / "policies").glob("*/patterns/*.yaml")):
        found.append((path.relative_to(root).as_posix(), "pattern", load_yaml_file(str(path), str(path))[0]))
    return found


DOCUMENTS = project_documents()


@pytest.mark.parametrize(("case", "schema", "data"), DOCUMENTS, ids=[d[0] for d in DOCUMENTS])
def test_project_schema_shortcut_agrees_with_jsonschema(case: str, schema: str, data: Any) -> None:
    """``validate``'s shortcut for configs, policies, packs and pattern files: never *valid* where
    ``jsonschema`` says invalid, on the shipped files and on seeded breakages of each."""
    from anops_policy.validation import validator  # noqa: PLC0415

    check = validator(schema)
    if schema_fast.plain_json(data):
        assert schema_fast.schema_valid(schema, data) == check.is_valid(data), case
    rng = random.Random(case)
    for broken in breakages(data, rng) if isinstance(data, dict) else []:
        if schema_fast.schema_valid(schema, broken):
            assert check.is_valid(broken), f"shortcut accepted what jsonschema rejects in {case}: {broken}"


def test_project_schema_shortcut_leaves_unknown_schemas_and_odd_values_to_jsonschema() -> None:
    assert not schema_fast.schema_valid("no-such-schema", {})
    assert not schema_fast.schema_valid("config", {"apiVersion": "anops.dev/config/v1", "x": (1, 2)})
