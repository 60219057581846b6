"""Every schema is a valid 2020-12 schema; every shipped policy, pack, config and example conforms."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from anops_policy.validation import (
    fact_fragment_names,
    load_fact_fragment,
    load_schema,
    schema_names,
    validator,
)
from anops_policy.yamlsafe import load_yaml_file

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", schema_names())
def test_schema_is_valid(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(load_schema(name))


@pytest.mark.parametrize("name", fact_fragment_names())
def test_fact_fragment_is_valid(name: str) -> None:
    schema = load_fact_fragment(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"].endswith(f"facts/{name}.schema.json")


SHIPPED = [
    *[(p, "policy") for p in sorted((ROOT / "policies").glob("*/*.yaml")) if p.name != "pack.yaml"],
    *[(p, "pack") for p in sorted((ROOT / "policies").glob("*/pack.yaml"))],
    *[(p, "config") for p in sorted((ROOT / "examples").glob("*/anops-policy.yaml"))],
]


@pytest.mark.parametrize(("path", "schema"), SHIPPED, ids=[str(p.relative_to(ROOT)) for p, _ in SHIPPED])
def test_shipped_files_conform(path: Path, schema: str) -> None:
    data, _ = load_yaml_file(str(path))
    assert list(validator(schema).iter_errors(data)) == []
