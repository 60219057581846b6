"""A repository's pattern rules are checked before anything runs: a snippet that does not parse for its
language stops ``eval``, ``facts`` and ``check`` with exit 2 at ``anops-policy.yaml:LINE:COLUMN`` (the column
inside the pattern where parsing failed); one parse per file serves every rule of its language."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from anops_policy.cli.main import cli
from anops_policy.syntax import trees

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "polyglot"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    copy = tmp_path / "polyglot"
    shutil.copytree(EXAMPLE, copy)
    return copy


def _edit(repo: Path, old: str, new: str) -> None:
    config = repo / "anops-policy.yaml"
    text = config.read_text(encoding="utf-8")
    assert text.count(old) == 1
    config.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize("command", [["eval", "{repo}", "--no-decision-log"], ["facts", "{repo}"],
                                     ["check", "{repo}/anops-policy.yaml"], ["test", "{repo}/anops-policy.yaml"]])
def test_a_pattern_that_does_not_parse_is_exit_2_at_its_column(repo: Path, command: list[str]) -> None:
    # `rule: {pattern: os.Getenv($KEY)}` loses its closing parenthesis: the error is at the pattern's end
    _edit(repo, "rule: {pattern: os.Getenv($KEY)}", "rule: {pattern: os.Getenv($KEY}")
    result = CliRunner().invoke(cli, [part.format(repo=repo) for part in command])
    assert result.exit_code == 2, result.output
    line = next(n for n, text in enumerate((repo / "anops-policy.yaml").read_text().splitlines(), 1)
                if "os.Getenv($KEY}" in text)
    column = (repo / "anops-policy.yaml").read_text().splitlines()[line - 1].index("os.Getenv($KEY}") + 15
    expected = f"anops-policy.yaml:{line}:{column}: pattern rule 'go_getenv': the pattern does not parse as go"
    assert expected in result.output


def test_an_unknown_language_names_the_nearest(repo: Path) -> None:
    _edit(repo, "language: typescript", "language: typescritp")
    result = CliRunner().invoke(cli, ["eval", str(repo), "--no-decision-log"])
    assert result.exit_code == 2
    assert "unknown language 'typescritp' (did you mean 'typescript'?)" in result.output


def test_one_parse_per_file_for_every_rule_of_its_language(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted where the collector parses (the run's ``SourceTrees``), not where the rules' own examples
    are checked; without the summary cache, which would serve files earlier tests already searched."""
    parsed: list[str] = []
    real = trees.SourceTrees.tree

    def counting(self: trees.SourceTrees, path: str, text: str, lang: trees.Language) -> trees.Tree:
        before = self.parses
        tree = real(self, path, text, lang)
        if self.parses > before:
            parsed.append(lang.name)
        return tree

    monkeypatch.setattr(trees.SourceTrees, "tree", counting)
    result = CliRunner().invoke(cli, ["facts", str(repo), "--only", "patterns", "--jobs", "1", "--no-cache"])
    assert result.exit_code == 0, result.output
    # two Java rules and two Go rules: each source file of those languages is still parsed once
    go_files = len([p for p in (repo / "gateway").rglob("*.go") if not p.name.endswith("_test.go")])
    java_files = len(list((repo / "billing" / "src" / "main").rglob("*.java")))
    assert go_files >= 1 and java_files >= 1
    assert parsed.count("go") == go_files
    assert parsed.count("java") == java_files
