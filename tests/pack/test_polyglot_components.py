"""The polyglot example (Go, TypeScript, Java, C# and Python services, a Python worker, a CI workflow that
runs some of their tests): `init` lists every component with its language and kind, and `eval` names the
components whose tests CI never runs (a .NET service counts as tested when CI tests its test project)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner

from anops_policy.cli.main import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "polyglot"
COMPONENTS = [
    ("Payments", "service", "csharp", "payments"),
    ("billing", "service", "java", "billing"),
    ("gateway", "service", "go", "gateway"),
    ("loadgen", "worker", "python", "loadgen"),
    ("recommender", "python-service", "python", "recommender"),
    ("web", "service", "typescript", "web"),
]


def test_init_lists_every_component_with_its_language_and_kind(tmp_path: Path) -> None:
    repo = tmp_path / "polyglot"
    shutil.copytree(EXAMPLE, repo)
    (repo / "anops-policy.yaml").unlink()
    result = CliRunner().invoke(cli, ["init", str(repo)])
    assert result.exit_code == 0, result.output
    config = yaml.safe_load((repo / "anops-policy.yaml").read_text(encoding="utf-8"))
    found = [(c["name"], c["kind"], c["language"], c["path"]) for c in config["components"]]
    assert found == COMPONENTS
    report = tmp_path / "report.json"
    result = CliRunner().invoke(cli, ["eval", str(repo), "--now", "2026-12-01T00:00:00Z", "--no-decision-log", "-q",
                                      "--output", f"json={report}"])
    assert result.exit_code == 1, result.output
    decisions = json.loads(report.read_text(encoding="utf-8"))["decisions"]
    untested = sorted(d["subject"] for d in decisions if d["policy"] == "ci-tests-every-component"
                      and d["outcome"] == "fail")
    assert untested == ["billing", "loadgen"]
    tested = sorted(d["subject"] for d in decisions if d["policy"] == "ci-tests-every-component"
                    and d["outcome"] == "pass")
    # Payments through its test project beside it (`dotnet test payments.Tests`)
    assert tested == ["Payments", "gateway", "recommender", "web"]
    settings = {
        d["subject"]: d["outcome"] for d in decisions if d["policy"] == "services-fail-clearly-on-missing-settings"
    }
    assert settings == {"Payments": "pass", "billing": "pass", "gateway": "pass", "web": "pass"}


def test_the_example_as_shipped_gives_the_line_expected_md_quotes(tmp_path: Path) -> None:
    repo = tmp_path / "polyglot"
    shutil.copytree(EXAMPLE, repo)
    report = tmp_path / "report.json"
    result = CliRunner().invoke(cli, ["eval", str(repo), "--now", "2026-12-01T00:00:00Z", "--no-decision-log", "-q",
                                      "--output", f"json={report}"])
    assert result.exit_code == 1, result.output
    line = json.loads(report.read_text(encoding="utf-8"))["summary"]["line"]
    assert f"# {line}" in (EXAMPLE / "EXPECTED.md").read_text(encoding="utf-8")
