"""The CLI as a user meets it: exit codes through the real entry point, reports, help and schemas."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from anops_policy.cli.main import cli
from anops_policy.validation import validator

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "anops"
NOW = "2026-11-26T12:00:00Z"


def anops(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "anops_policy", *args], capture_output=True, text=True, cwd=cwd, timeout=600, check=False
    )


@pytest.fixture
def example(tmp_path: Path) -> Path:
    copy = tmp_path / "anops"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".anops-policy"))
    return copy


def test_eval_example_fails_with_located_explanation(example: Path) -> None:
    proc = anops("eval", str(example), "--now", NOW)
    assert proc.returncode == 1, proc.stderr
    assert "ao-cli/src/build.rs:13" in proc.stdout
    assert "why: size(vars.found) <= params.max_markers" in proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1].endswith("blocking failures")
    assert "Traceback" not in proc.stderr


def test_json_report_validates_against_report_schema(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "report.json"
    proc = anops("eval", str(example), "--now", NOW, "--format", "json", "--output", f"json={out}")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert list(validator("report").iter_errors(report)) == []
    assert json.loads(out.read_text())["summary"] == report["summary"]
    assert report["summary"]["items_total"] == len(report["items"]) > 0
    failing = [d for d in report["decisions"] if d["outcome"] == "fail"]
    assert failing and all(d["evidence"] for d in failing if d["policy"] == "no-todos-in-release-files")


def test_eval_from_saved_facts_matches_collected(example: Path, tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    assert anops("facts", str(example), "--now", NOW, "-o", str(facts)).returncode == 0
    direct = json.loads(anops("eval", str(example), "--now", NOW, "--format", "json").stdout)
    saved = json.loads(anops("eval", "--facts", str(facts), "--format", "json").stdout)
    assert [(d["policy"], d["subject"], d["outcome"]) for d in saved["decisions"]] == [
        (d["policy"], d["subject"], d["outcome"]) for d in direct["decisions"]
    ]


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["eval", "/nonexistent/dir"], 2, "not a directory"),
        (["eval", ".", "--output", "nope=x"], 2, "unknown format 'nope'"),
        (["eval", ".", "--now", "yesterday"], 2, "expected an ISO date"),
        (["facts", ".", "--only", "todo"], 2, "did you mean 'todos'"),
        (["schema", "polcy"], 2, "did you mean 'policy'"),
        (["explain", "no-todos-in-release-file"], 2, "did you mean 'no-todos-in-release-files'"),
        (["check", "/nonexistent.yaml"], 2, "no such file or folder"),
    ],
)
def test_user_errors_exit_2_without_traceback(args: list[str], code: int, fragment: str, tmp_path: Path) -> None:
    proc = anops(*args, cwd=tmp_path)
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    assert fragment in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_config_names_file_and_line(example: Path) -> None:
    config = example / "anops-policy.yaml"
    config.write_text(config.read_text() + "\nrelease_fils: [x]\n")
    proc = anops("eval", str(example))
    assert proc.returncode == 2
    assert "anops-policy.yaml:" in proc.stderr and "did you mean 'release_files'" in proc.stderr


def test_every_command_help_has_examples() -> None:
    runner = CliRunner()
    for name in cli.list_commands(None):  # type: ignore[arg-type]
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Examples:" in result.output or name in ("audit",), name


def test_version_schema_init_explain(tmp_path: Path) -> None:
    assert anops("--version").stdout.startswith("anops-policy, version")
    listing = anops("schema").stdout.split()
    assert {"policy", "config", "fact-document", "report", "decision", "pack", "facts/todos"} <= set(listing)
    assert json.loads(anops("schema", "policy").stdout)["$id"].endswith("policy.schema.json")
    assert "no-todos-in-release-files" in anops("explain", "no-todos-in-release-files").stdout
    init = anops("init", str(tmp_path))
    assert init.returncode == 0, init.stderr
    assert (tmp_path / "anops-policy.yaml").read_text().startswith("# anops-policy.yaml")
    assert anops("init", str(tmp_path)).returncode == 2
