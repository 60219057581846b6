"""SARIF: every golden file and a live run validate against the official SARIF 2.1.0 schema (draft-04),
and the log says what the decisions say (rules, results, locations, fingerprints, exit code)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from anops_policy.outputs.sarif import FINGERPRINT_KEY

GOLDEN = Path(__file__).resolve().parent / "golden"
NOW = "2026-11-26T12:00:00Z"


def _errors(schema: dict[str, Any], log: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]


def test_schema_is_the_official_one(sarif_schema: dict[str, Any]) -> None:
    assert sarif_schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert "sarif-2.1.0" in sarif_schema["id"]
    jsonschema.Draft4Validator.check_schema(sarif_schema)


def test_every_golden_sarif_file_validates(sarif_schema: dict[str, Any]) -> None:
    goldens = sorted(GOLDEN.glob("*.sarif"))
    assert goldens, "no golden SARIF files (pytest tests/outputs --update-goldens)"
    for path in goldens:
        assert _errors(sarif_schema, json.loads(path.read_text(encoding="utf-8"))) == [], path.name


def test_validator_rejects_a_broken_log(sarif_schema: dict[str, Any]) -> None:
    """The validation above is not vacuous: a result without a message and a bad level are caught."""
    log = json.loads(next(GOLDEN.glob("*.sarif")).read_text(encoding="utf-8"))
    result = log["runs"][0]["results"][0]
    del result["message"]
    result["level"] = "fatal"
    assert len(_errors(sarif_schema, log)) >= 2


@pytest.fixture
def live(example: Path, run_cli: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    out = example.parent / "out"
    run = run_cli(".", "--now", NOW, f"--output=sarif={out / 'r.sarif'}", f"--output=json={out / 'r.json'}",
                  cwd=example)
    assert run.exit_code == 1
    return json.loads((out / "r.sarif").read_text()), json.loads((out / "r.json").read_text())


def test_live_log_matches_the_decisions(live: tuple[dict[str, Any], dict[str, Any]], sarif_schema: dict[str, Any],
                                        example: Path) -> None:
    log, report = live
    assert _errors(sarif_schema, log) == []
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len({r["id"] for r in rules}) == len(rules), "rule ids are unique"
    reported = [d for d in report["decisions"] if d["outcome"] in ("fail", "error", "waived")]
    assert len(run["results"]) == len(reported) > 0
    for result, decision in zip(run["results"], reported, strict=True):
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"] == decision["policy"]
        assert result["partialFingerprints"][FINGERPRINT_KEY] == decision["fingerprint"]
        assert result["level"] == ("error" if decision["blocking"] else "warning")
        assert result["message"]["text"].startswith(decision["message"])
        lines = [loc["physicalLocation"].get("region", {}).get("startLine") for loc in result["locations"]]
        if decision["evidence"]:
            assert lines == [e.get("line") for e in decision["evidence"]][: len(lines)]
        else:  # no evidence: the result points at the repository config, where the policy is tuned
            assert [loc["physicalLocation"]["artifactLocation"]["uri"] for loc in result["locations"]] == [
                "anops-policy.yaml"]
        for loc in result["locations"]:
            uri = loc["physicalLocation"]["artifactLocation"]["uri"]
            assert (example / uri).is_file(), f"{uri} does not name a file of the evaluated tree"
        assert 0.0 <= float(rule["properties"]["security-severity"]) <= 10.0
        assert rule["shortDescription"]["text"] and rule["help"]["text"]
    invocation = run["invocations"][0]
    assert invocation["exitCode"] == report["exit_code"] == 1
    assert invocation["executionSuccessful"] is True
