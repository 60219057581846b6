"""Idiom cases judged through the public CLI: a case folder holds ``repo/`` (a small repository) and
``expect.yaml`` — the outcome per policy and subject that ``anops-policy eval`` must decide (or
``{outcome, cites: [path:line, …]}``), and fact values (dotted paths) that ``anops-policy facts`` must
report. Shared by the Python and Rust idiom tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from anops_policy.cli.main import cli

PACK = Path(__file__).resolve().parents[2] / "policies" / "production-readiness"
NOW = "2026-11-26T12:00:00Z"


def idiom_cases(folder: Path) -> list[Path]:
    """The case folders (each with an ``expect.yaml``) under ``folder``."""
    return sorted(p for p in folder.iterdir() if (p / "expect.yaml").is_file())


def fact_at(document: dict[str, Any], dotted: str) -> Any:
    """The value at ``a.b.c``; a key with dots in it (a path) is written in brackets: ``a.[x/y.py].c``."""
    value: Any = document
    rest = dotted
    while rest:
        if rest.startswith("["):
            key, _, rest = rest[1:].partition("]")
            rest = rest.removeprefix(".")
        else:
            key, _, rest = rest.partition(".")
        assert isinstance(value, dict) and key in value, f"no {key!r} on the way to {dotted}"
        value = value[key]
    return value


def judge(case: Path, tmp_path: Path) -> tuple[dict[str, Any], dict[tuple[str, str | None], dict[str, Any]]]:
    """The case's fact document and its decisions by (policy, subject), through ``facts`` and ``eval``."""
    expect = yaml.safe_load((case / "expect.yaml").read_text(encoding="utf-8"))
    repo = tmp_path / "repo"
    shutil.copytree(case / "repo", repo)
    policies = tmp_path / "policies"
    policies.mkdir()
    sections = {dotted.split(".", 1)[0] for dotted in expect.get("facts", {})}
    for policy in expect.get("decisions", {}):
        source = PACK / f"{policy}.yaml"
        shutil.copy(source, policies / source.name)
        sections.update(yaml.safe_load(source.read_text(encoding="utf-8")).get("requires", []))
    facts_file = tmp_path / "facts.json"
    only = [arg for name in sorted(sections) for arg in ("--only", name)]
    runner = CliRunner()
    result = runner.invoke(cli, ["facts", str(repo), *only, "--now", NOW, "--jobs", "1", "-o", str(facts_file)])
    assert result.exit_code == 0, result.output
    document = json.loads(facts_file.read_text(encoding="utf-8"))
    decisions: dict[tuple[str, str | None], dict[str, Any]] = {}
    if expect.get("decisions"):
        report = tmp_path / "report.json"
        args = ["eval", "--facts", str(facts_file), "--policies", str(policies)]
        if (repo / "anops-policy.yaml").is_file():
            args += ["--config", str(repo / "anops-policy.yaml")]
        result = runner.invoke(cli, [*args, "--now", NOW, "--no-decision-log", "-q", "--output", f"json={report}"])
        assert result.exit_code in (0, 1), result.output
        for decision in json.loads(report.read_text(encoding="utf-8"))["decisions"]:
            decisions[(decision["policy"], decision["subject"])] = decision
    return document, decisions


def check_case(case: Path, tmp_path: Path) -> None:
    expect = yaml.safe_load((case / "expect.yaml").read_text(encoding="utf-8"))
    document, decisions = judge(case, tmp_path)
    problems = []
    for dotted, wanted in expect.get("facts", {}).items():
        found = fact_at(document, dotted)
        if found != wanted:
            problems.append(f"{dotted}: {json.dumps(found)} (expected {json.dumps(wanted)})")
    for policy, subjects in expect.get("decisions", {}).items():
        for subject, wanted in subjects.items():
            decision = decisions.get((policy, subject))
            if decision is None:
                problems.append(f"{policy} [{subject}]: no decision (have {sorted(decisions)})")
            elif isinstance(wanted, dict):  # {outcome: fail, cites: [path:line, ...]}
                cited = sorted(f"{e['path']}:{e.get('line')}" for e in decision["evidence"])
                if decision["outcome"] != wanted["outcome"] or cited != sorted(wanted["cites"]):
                    problems.append(f"{policy} [{subject}]: {decision['outcome']} citing {cited} (expected {wanted})")
            elif decision["outcome"] != wanted:
                found = decision["outcome"]
                problems.append(f"{policy} [{subject}]: {found} (expected {wanted}): {decision['message']}")
    assert not problems, "\n".join(problems)
