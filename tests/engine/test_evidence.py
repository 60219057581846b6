"""What a failing decision cites (`evidence`) and shows of its variables, through ``anops-policy eval --facts``,
from one table: fact items are cited as they are (their path and a positive integer line), lists of them
are flattened, at most 50 locations are cited, and a variable is shown as its first 20 items."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from anops_policy.cli.main import cli
from anops_policy.facts import digest_of
from anops_policy.validation import validator

NOW = "2026-11-26T12:00:00Z"
POLICY = """\
id: p
title: cites its evidence
checklist: "1"
severity: low
enforcement: soft
requires: [todos]
variables:
  - name: found
    expression: facts.todos.items
rule: size(vars.found) == 0
message: m
remediation: r
{evidence}
examples:
  - {{name: a, facts: {{todos: {{items: []}}}}, expect: pass}}
"""


def marker(i: int) -> dict[str, Any]:
    return {"path": f"src/f{i}.py", "line": i + 1, "tag": "TODO", "text": "x", "language": "python"}


# (evidence expression or None, number of TODO items, the decision's evidence)
CASES: list[tuple[str | None, int, list[dict[str, Any]]]] = [
    # fact items cited as they are: only path and line are kept
    ("facts.todos.items", 2, [{"path": "src/f0.py", "line": 1}, {"path": "src/f1.py", "line": 2}]),
    # a line that is null, zero, a string or a bool is no line; an item without a string path is skipped
    (
        '[{"path": "a.py", "line": null}, {"path": "b.py", "line": 0}, {"path": "c.py", "line": "3"},'
        ' {"path": "d.py", "line": true}, {"path": 5, "line": 1}, {"line": 2}, {"path": "", "line": 1}]',
        1,
        [{"path": "a.py"}, {"path": "b.py"}, {"path": "c.py"}, {"path": "d.py"}],
    ),
    # lists of locations are flattened in order (`steps.map(s, s.reasons)`)
    (
        "facts.todos.items.map(t, [t, {\"path\": t.path + \".orig\"}])",
        2,
        [{"path": "src/f0.py", "line": 1}, {"path": "src/f0.py.orig"},
         {"path": "src/f1.py", "line": 2}, {"path": "src/f1.py.orig"}],
    ),
    # at most 50 locations
    ("facts.todos.items", 70, [{"path": f"src/f{i}.py", "line": i + 1} for i in range(50)]),
    # no expression: the variables' first 20 located items
    (None, 30, [{"path": f"src/f{i}.py", "line": i + 1} for i in range(20)]),
    # an expression that locates nothing: the same fallback
    ('["not a location"]', 3, [{"path": f"src/f{i}.py", "line": i + 1} for i in range(3)]),
]


@pytest.fixture(scope="module")
def base_facts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    empty = tmp_path_factory.mktemp("empty")
    result = CliRunner().invoke(cli, ["facts", str(empty), "--only", "todos", "--now", NOW], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    facts: dict[str, Any] = json.loads(result.stdout)
    return facts


def decide(tmp_path: Path, base: dict[str, Any], evidence: str | None, count: int) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    doc["todos"]["items"] = [marker(i) for i in range(count)]
    doc["meta"]["digest"] = digest_of(doc)
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(doc))
    pack = tmp_path / "pack"
    pack.mkdir(exist_ok=True)
    line = "" if evidence is None else f"evidence: {json.dumps(evidence)}"
    (pack / "p.yaml").write_text(POLICY.format(evidence=line))
    args = ["eval", "--facts", str(facts), "--policies", str(pack), "--format", "json", "--now", NOW,
            "--no-decision-log"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert list(validator("report").iter_errors(report)) == []
    [decision] = report["decisions"]
    assert decision["outcome"] == "fail"
    return dict(decision)


@pytest.mark.parametrize(("evidence", "count", "expected"), CASES, ids=[str(c[0]) for c in CASES])
def test_evidence(
    tmp_path: Path, base_facts: dict[str, Any], evidence: str | None, count: int, expected: list[dict[str, Any]]
) -> None:
    assert decide(tmp_path, base_facts, evidence, count)["evidence"] == expected


def test_a_long_variable_is_shown_as_its_first_items(tmp_path: Path, base_facts: dict[str, Any]) -> None:
    shown = decide(tmp_path, base_facts, None, 25)["explanation"]["variables"]["found"]
    assert shown == [marker(i) for i in range(20)] + ["… 5 more"]
