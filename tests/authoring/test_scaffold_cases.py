"""``anops-policy new``: each case file is a list of commands (``{tmp}`` is a fresh folder; ``copy builtin DIR``
copies the built-in pack there); after them, ``check`` and ``test`` (and ``test --mutate``) of every folder the
commands wrote into exit 0 without any edit, and every written YAML file names a schema that exists and
accepts it."""

from __future__ import annotations

import json
import runpy
import shutil
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from referencing import Registry, Resource

from anops_policy.cli.main import cli
from anops_policy.policy.builtin import DEFAULT_PACK
from anops_policy.policy.packs import builtin_pack_dir

CASES = sorted((Path(__file__).parent / "scaffold_cases").glob("*.txt"))


def _validate_against_modeline(file: Path) -> None:
    first = file.read_text().splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema="), first
    schema_file = (file.parent / first.split("=", 1)[1]).resolve()
    assert schema_file.is_file(), schema_file

    def retrieve(uri: str) -> Resource:
        return Resource.from_contents(json.loads(Path(uri.removeprefix("file://")).read_text()))

    registry: Registry = Registry(retrieve=retrieve)  # type: ignore[call-arg]
    schema = json.loads(schema_file.read_text())
    validator = jsonschema.Draft202012Validator({**schema, "$id": schema_file.as_uri()}, registry=registry)
    validator.validate(yaml.safe_load(file.read_text()))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_scaffolds_pass_check_and_test(case: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    folders: set[Path] = set()
    for line in case.read_text().splitlines():
        args = line.replace("{tmp}", str(tmp_path)).split()
        if args[:2] == ["copy", "builtin"]:
            shutil.copytree(builtin_pack_dir(DEFAULT_PACK), args[2], ignore=shutil.ignore_patterns("__*"))
            continue
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, f"{line}\n{result.output}"
        folders |= {Path(w.removeprefix("wrote ")).parent for w in result.output.splitlines() if w.startswith("wrote ")}
        folders = {f.parent if f.name == "patterns" else f for f in folders}
    for folder in sorted(folders):
        for command in (["check"], ["test"]):
            result = runner.invoke(cli, [*command, str(folder)])
            assert result.exit_code == 0, f"{command} {folder}\n{result.output}"
        for file in [*folder.glob("*.yaml"), *folder.glob("patterns/*.yaml")]:
            if file.read_text().startswith("# yaml-language-server"):
                _validate_against_modeline(file)


def test_scaffolded_policy_is_fully_mutation_tested(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["new", "pack", str(tmp_path / "p")]).exit_code == 0
    args = ["new", "policy", "components-named", "--pack", str(tmp_path / "p"), "--for-each", "facts.layout.components"]
    assert runner.invoke(cli, args).exit_code == 0
    result = runner.invoke(cli, ["test", "--mutate", "--min-score", "100", "--jobs", "1", "-q", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["new", "policy", "Bad_Id"], "kebab-case"),
        (["new", "policy", "ok-id", "--item", "five"], "numbers and dots"),
        (["new", "policy", "ok-id", "--for-each", "facts.layout"], "fact path of a list"),
        (["new", "policy", "ok-id", "--for-each", "facts.layout.componets"], "unknown fact path"),
        (["new", "rule", "Bad-Rule"], "snake_case"),
        (["new", "rule", "ok_rule", "--language", "klingon"], "unknown language 'klingon'"),
        (["new", "rule", "ok_rule", "--language", "json"], "no starter rule for 'json'"),
        (["new", "input", "Bad-Name"], "snake_case"),
        (["new", "input", "app_config"], "no pack here"),
        (["new", "collector", "bad-name", "x"], "snake_case"),
    ],
)
def test_scaffold_mistakes_exit_2_with_the_reason(args: list[str], message: str, tmp_path: Path) -> None:
    if "--pack" not in args and args[1] in ("policy", "rule", "input"):
        args = [*args, "--pack", str(tmp_path)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_new_collector_is_a_package_with_a_passing_test(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["new", "collector", "markdown_files", str(tmp_path / "plugin")])
    assert result.exit_code == 0, result.output
    sys.path.insert(0, str(tmp_path / "plugin"))
    try:
        namespace = runpy.run_path(str(tmp_path / "plugin" / "tests" / "test_markdown_files.py"))
        namespace["test_collects_markdown_files"]()
        module = __import__("anops_markdown_files")
        jsonschema.Draft202012Validator.check_schema(module.MarkdownFilesCollector.SCHEMA)
    finally:
        sys.path.remove(str(tmp_path / "plugin"))
