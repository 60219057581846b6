"""The built-in pack's language rules (patterns/*.yaml next to its policies) judge a service in each of Go,
TypeScript, Java and C#: a compliant one passes, a violating one fails citing the violating file and line.
``cases.yaml`` holds both versions of each service; ``null`` means the policy does not judge that language
(no decision for the component)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from anops_policy.cli.main import cli

CASES = yaml.safe_load((Path(__file__).parent / "cases.yaml").read_text(encoding="utf-8"))
PARAMS = [(lang, state) for lang in CASES for state in ("compliant", "violating")]


@pytest.mark.parametrize(("lang", "state"), PARAMS, ids=[f"{lang}-{state}" for lang, state in PARAMS])
def test_language_rules_judge_the_service(tmp_path: Path, lang: str, state: str) -> None:
    for rel, text in CASES[lang][state].items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    report = tmp_path / "report.json"
    result = CliRunner().invoke(cli, ["eval", str(tmp_path), "--pack", "builtin:production-readiness", "--now",
                                      "2026-12-01T00:00:00Z", "--no-decision-log", "-q", "--output", f"json={report}"])
    assert result.exit_code in (0, 1), result.output
    decisions: list[dict[str, Any]] = json.loads(report.read_text(encoding="utf-8"))["decisions"]
    for policy, expected in CASES[lang]["expect"][state].items():
        mine = [d for d in decisions if d["policy"] == policy and d["subject"] is not None]
        if expected is None:
            assert mine == [], mine
            continue
        outcome, *cited = [expected] if isinstance(expected, str) else expected
        assert [d["outcome"] for d in mine] == [outcome], (policy, [(d["outcome"], d["message"]) for d in mine])
        evidence = [f"{e['path']}:{e['line']}" for e in mine[0]["evidence"] if e.get("line")]
        assert sorted(evidence) == sorted(cited), (policy, mine[0]["message"])
