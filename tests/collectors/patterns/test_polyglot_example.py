"""The bundled polyglot example (Go, TypeScript, Java, Python): each of the config's pattern rules finds
exactly the calls ``polyglot_expected.yaml`` lists, the rules' and policies' examples pass, and the local
pack fails each service with ``path:line`` in that service's language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from anops_policy.cli.main import cli

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "polyglot"
EXPECTED = yaml.safe_load((Path(__file__).parent / "polyglot_expected.yaml").read_text(encoding="utf-8"))
NOW = "2026-12-01T00:00:00Z"


@pytest.fixture(scope="module")
def facts() -> dict[str, object]:
    result = CliRunner().invoke(cli, ["facts", str(EXAMPLE), "--only", "patterns", "--now", NOW])
    assert result.exit_code == 0, result.output
    document: dict[str, object] = json.loads(result.output)
    return document


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_rule_finds_exactly_the_expected_calls(facts: dict[str, object], rule: str) -> None:
    found = facts["patterns"][rule]  # type: ignore[index]
    got = [{"path": m["path"], "line": m["line"], "captures": m["captures"]} for m in found["matches"]]
    assert got == EXPECTED[rule]
    assert found["count"] == len(EXPECTED[rule])
    assert found["errors"] == []
    assert sorted(found["by_path"]) == sorted({m["path"] for m in EXPECTED[rule]})


def test_every_rule_of_the_config_is_expected(facts: dict[str, object]) -> None:
    config = yaml.safe_load((EXAMPLE / "anops-policy.yaml").read_text(encoding="utf-8"))
    assert sorted(rule["id"] for rule in config["patterns"]) == sorted(EXPECTED)
    assert set(EXPECTED) <= set(facts["patterns"])  # type: ignore[call-overload]


def test_rule_and_policy_examples_pass() -> None:
    result = CliRunner().invoke(cli, ["test", str(EXAMPLE / "anops-policy.yaml"), str(EXAMPLE / "policies")])
    assert result.exit_code == 0, result.output
    assert "4 policies and 6 pattern rules" in result.output


def test_each_language_fails_with_its_file_and_line(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = CliRunner().invoke(
        cli, ["eval", str(EXAMPLE), "--now", NOW, "--no-decision-log", "-q", "--output", f"json={report}"]
    )
    assert result.exit_code == 1, result.output
    local = {"no-exit-outside-main", "no-console-log", "no-stdout-in-java", "http-calls-have-timeouts"}
    decisions = [d for d in json.loads(report.read_text(encoding="utf-8"))["decisions"] if d["policy"] in local]
    evidence = {d["policy"]: (d["outcome"], [(e["path"], e["line"]) for e in d["evidence"]]) for d in decisions}
    assert evidence == {
        "no-exit-outside-main": ("fail", [("gateway/internal/proxy/proxy.go", 18)]),
        "no-console-log": ("fail", [("web/src/server.ts", 11)]),
        "no-stdout-in-java": ("fail", [("billing/src/main/java/dev/anops/billing/BillingServer.java", 20)]),
        "http-calls-have-timeouts": ("fail", [("recommender/recommender/client.py", 18)]),
    }
