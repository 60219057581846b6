"""Patterns written the way a developer reads the code match that code, in every language and form: each
case file holds one source file of its language (named for the language) and rules for calls, method
calls, assignments and imports, with exactly the matches each must give (line, text, captures) — and
none in the comments and strings that quote the same code. Collected through ``anops-policy facts``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from anops_policy.cli.main import cli

CASES_DIR = Path(__file__).parent / "cases"


def _cases() -> list[Any]:
    out = []
    for file in sorted(CASES_DIR.glob("*.yaml")):
        spec = yaml.safe_load(file.read_text(encoding="utf-8"))
        for case in spec["cases"]:
            out.append(pytest.param(file.stem, spec, case, id=f"{file.stem}-{case['name'].replace(' ', '-')}"))
    return out


@pytest.mark.parametrize(("language", "spec", "case"), _cases())
def test_pattern_matches_exactly_the_code(
    tmp_path: Path, language: str, spec: dict[str, Any], case: dict[str, Any]
) -> None:
    source = tmp_path / spec["file"]
    source.parent.mkdir(parents=True)
    source.write_text(spec["source"], encoding="utf-8")
    rule_id = re.sub(r"[^a-z0-9]+", "_", f"{language} {case['name']}").strip("_")
    rule = {"id": rule_id, "language": language, "rule": case["rule"]}
    config = {"apiVersion": "anops.dev/config/v1", "patterns": [rule]}
    (tmp_path / "anops-policy.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    result = CliRunner().invoke(cli, ["facts", str(tmp_path), "--only", "patterns", "--now", "2026-12-01T00:00:00Z"])
    assert result.exit_code == 0, result.output
    facts = json.loads(result.output)
    assert facts["meta"]["collectors"]["patterns"]["status"] == "ok", facts["meta"]["collectors"]["patterns"]
    found = facts["patterns"][rule_id]
    got = [{"line": m["line"], "text": m["text"], "captures": m["captures"]} for m in found["matches"]]
    assert got == case["matches"]
    assert found["count"] == len(case["matches"])
    assert all(m["path"] == spec["file"] for m in found["matches"])
    assert found["errors"] == []
