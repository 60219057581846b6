"""Configuration mistakes are never silent: a component whose folder does not exist (often a typo of
``path``) and a missing docs path stop the run (exit 2) naming ``anops-policy.yaml:LINE``; an unknown
component field close to a known one is a warning shown in the report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from anops_policy.cli.main import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "anops"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    copy = tmp_path / "anops"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".anops-policy"))
    return copy


def _edit(repo: Path, old: str, new: str) -> None:
    config = repo / "anops-policy.yaml"
    text = config.read_text(encoding="utf-8")
    assert text.count(old) == 1
    config.write_text(text.replace(old, new), encoding="utf-8")


def test_a_path_typo_is_exit_2_naming_the_line_the_folder_and_the_fix(repo: Path) -> None:
    _edit(repo, "  - name: api-service\n    kind: python-service\n    path: api-service\n",
          "  - name: api\n    kind: python-service\n    pth: api-service\n")
    result = CliRunner().invoke(cli, ["eval", str(repo), "--no-decision-log"])
    assert result.exit_code == 2
    assert "anops-policy.yaml:11:5: component 'api': its folder 'api' does not exist" in result.output
    assert "did you mean path?" in result.output


def test_a_missing_docs_path_is_exit_2(repo: Path) -> None:
    (repo / "ACTIONPLAN.md").unlink()
    result = CliRunner().invoke(cli, ["facts", str(repo), "--only", "layout"])
    assert result.exit_code == 2
    assert "docs.action_plan 'ACTIONPLAN.md' does not exist" in result.output


def test_a_near_miss_field_is_a_warning_in_every_report(repo: Path, tmp_path: Path) -> None:
    _edit(repo, "    protocol: http\n", "    protocl: http\n")
    out = tmp_path / "report.json"
    result = CliRunner().invoke(cli, ["eval", str(repo), "--no-decision-log", f"--output=json={out}"])
    assert result.exit_code == 1
    warning = "component 'api-service' has an unknown field 'protocl' (did you mean 'protocol'?)"
    assert warning in result.output
    assert any(warning in note for note in json.loads(out.read_text(encoding="utf-8"))["notes"])
