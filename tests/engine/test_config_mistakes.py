"""Configuration mistakes are never silent: a component whose folder does not exist (often a typo of
``path``), an ``e2e``/``release_files`` entry that matches no file and a missing docs path stop the run
(exit 2) naming ``anops-policy.yaml:LINE``; an unknown component field close to a known one, and a
component kind no policy knows, are warnings shown in every report format."""

from __future__ import annotations

import html
import json
import re
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


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("e2e: [tests/test_e2e.py]", "e2e: [tests/test_e2e_flow.py]",
         "anops-policy.yaml:25:7: e2e entry 'tests/test_e2e_flow.py' does not exist in the evaluated directory"),
        ("e2e: [tests/test_e2e.py]", "e2e: [tests/e2e/**/*.py]",
         "anops-policy.yaml:25:7: e2e pattern 'tests/e2e/**/*.py' matches no file in the evaluated directory"),
    ],
    ids=["missing-file", "glob-matching-nothing"],
)
def test_a_list_entry_matching_no_file_is_exit_2(repo: Path, old: str, new: str, expected: str) -> None:
    _edit(repo, old, new)
    result = CliRunner().invoke(cli, ["eval", str(repo), "--no-decision-log"])
    assert result.exit_code == 2, result.output
    assert expected in result.output


def test_a_release_file_glob_matching_nothing_is_exit_2(repo: Path) -> None:
    config = (repo / "anops-policy.yaml").read_text(encoding="utf-8")
    line = config.splitlines().index("release_files:") + 2
    _edit(repo, "release_files:\n", "release_files:\n  - ao-cli/src/**/*.go\n")
    result = CliRunner().invoke(cli, ["facts", str(repo), "--only", "layout"])
    assert result.exit_code == 2, result.output
    assert f"anops-policy.yaml:{line}:5: release_files pattern 'ao-cli/src/**/*.go' matches no file" in result.output


FORMATS = {"text": "r.txt", "json": "r.json", "markdown": "r.md", "sarif": "r.sarif", "junit": "r.xml",
           "html": "r.html", "github": "r.gh"}


def test_an_unknown_kind_is_a_warning_with_a_suggestion_in_every_format(repo: Path, tmp_path: Path) -> None:
    _edit(repo, "    kind: rust-cli\n", "    kind: rust_cli\n")
    args = ["eval", str(repo), "--no-decision-log", "-q"]
    args += [f"--output={fmt}={tmp_path / name}" for fmt, name in FORMATS.items()]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    warning = "has kind 'rust_cli', which no policy of the selected packs knows (did you mean 'rust-cli'?)"
    for fmt, name in FORMATS.items():
        text = (tmp_path / name).read_text(encoding="utf-8")
        if fmt == "markdown":  # punctuation is escaped to render as itself
            text = re.sub(r"\\(.)", r"\1", text)
        assert warning in html.unescape(text), fmt
