"""Automatic explanations through ``anops-policy eval --facts``: the failed clauses in the JSON decision
(validated by the report schema) and their ``why:`` lines in the text report, from one table."""

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
title: explained
checklist: "1"
severity: low
enforcement: soft
requires: [todos]
rule: {rule}
message: m
remediation: r
examples:
  - {{name: a, facts: {{todos: {{items: [], counts: {{total: 0}}}}}}, expect: pass}}
"""

# (rule, number of TODO items (line i+1 in f{i}.py), the failed clauses without their "failing" lists,
#  the why: lines of the text report)
CASES: list[tuple[str, int, list[dict[str, Any]], list[str]]] = [
    (  # !all: every element satisfied the predicate; nothing to list, a count and a note
        "!facts.todos.items.all(x, x.line > 0)", 2,
        [{"text": "!facts.todos.items.all(x, x.line > 0)", "negated": True, "total": 2,
          "note": "all 2 elements satisfied the condition"}],
        ["why: !facts.todos.items.all(x, x.line > 0)  →  all 2 elements satisfied the condition"],
    ),
    (  # a negated comparison says so
        "!(facts.todos.counts.total == 2)", 2,
        [{"text": "!(facts.todos.counts.total == 2)", "left": 2, "op": "==", "right": 2, "negated": True}],
        ["why: !(facts.todos.counts.total == 2)  →  not (2 == 2)"],
    ),
    (  # a double negation is none
        "!!(facts.todos.counts.total == 3)", 2,
        [{"text": "!!(facts.todos.counts.total == 3)", "left": 2, "op": "==", "right": 3}],
        ["why: !!(facts.todos.counts.total == 3)  →  2 == 3"],
    ),
    (  # false && error: the false operand decided; the erroring one is not a reason
        "facts.todos.counts.total == 0 && facts.todos.items[5].line == 1", 2,
        [{"text": "facts.todos.counts.total == 0", "left": 2, "op": "==", "right": 0}],
        ["why: facts.todos.counts.total == 0  →  2 == 0"],
    ),
    (  # error && false, and a true operand: still only the false one
        "facts.todos.items[5].line == 1 && facts.todos.counts.total == 2 && size(facts.todos.items) > 5", 2,
        [{"text": "size(facts.todos.items) > 5", "left": 2, "op": ">", "right": 5}],
        ["why: size(facts.todos.items) > 5  →  2 > 5"],
    ),
    (  # a false || lists every operand
        "facts.todos.counts.total == 0 || !(facts.todos.counts.total == 2)", 2,
        [{"text": "facts.todos.counts.total == 0", "left": 2, "op": "==", "right": 0},
         {"text": "!(facts.todos.counts.total == 2)", "left": 2, "op": "==", "right": 2, "negated": True}],
        ["why: facts.todos.counts.total == 0  →  2 == 0", "why: !(facts.todos.counts.total == 2)  →  not (2 == 2)"],
    ),
    (  # all(): the culprits, an exact count
        "facts.todos.items.all(x, x.line < 2)", 3,
        [{"text": "facts.todos.items.all(x, x.line < 2)", "macro": "all", "failing_count": 2, "total": 3}],
        ["why: facts.todos.items.all(x, x.line < 2)  →  2 of 3 elements fail"],
    ),
    (  # past 20,000 elements the scan stops: the count is a minimum and says so
        "facts.todos.items.all(x, x.line < 0)", 21_000,
        [{"text": "facts.todos.items.all(x, x.line < 0)", "macro": "all", "failing_count": 20_000, "total": 21_000,
          "truncated": True}],
        ["why: facts.todos.items.all(x, x.line < 0)  →  at least 20000 of 21000 elements fail",
         "… at least 19995 more"],
    ),
    (  # !exists: the elements that satisfied the predicate (unchanged)
        "!facts.todos.items.exists(x, x.line == 3)", 3,
        [{"text": "!facts.todos.items.exists(x, x.line == 3)", "macro": "not exists", "failing_count": 1,
          "total": 3}],
        ["why: !facts.todos.items.exists(x, x.line == 3)  →  1 of 3 elements fail"],
    ),
]


@pytest.fixture(scope="module")
def base_facts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    empty = tmp_path_factory.mktemp("empty")
    result = CliRunner().invoke(cli, ["facts", str(empty), "--only", "todos", "--now", NOW], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    facts: dict[str, Any] = json.loads(result.stdout)
    return facts


def evaluate(tmp_path: Path, base: dict[str, Any], rule: str, count: int, fmt: str) -> str:
    doc = copy.deepcopy(base)
    doc["todos"]["items"] = [
        {"path": f"f{i}.py", "line": i + 1, "tag": "TODO", "text": "x", "language": "python"} for i in range(count)
    ]
    doc["todos"]["counts"]["total"] = count
    doc["meta"]["digest"] = digest_of(doc)
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(doc))
    pack = tmp_path / "pack"
    pack.mkdir(exist_ok=True)
    (pack / "p.yaml").write_text(POLICY.format(rule=json.dumps(rule)))
    # a generous deadline: scanning 20,000 elements for the explanation takes seconds in cel-python
    args = ["eval", "--facts", str(facts), "--policies", str(pack), "--format", fmt, "--now", NOW, "--deadline", "120",
            "--no-decision-log"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    return result.stdout


@pytest.mark.parametrize(("rule", "count", "clauses", "why"), CASES, ids=[c[0] for c in CASES])
def test_failed_clauses(
    tmp_path: Path, base_facts: dict[str, Any], rule: str, count: int, clauses: list[dict[str, Any]], why: list[str]
) -> None:
    report = json.loads(evaluate(tmp_path, base_facts, rule, count, "json"))
    assert list(validator("report").iter_errors(report)) == []
    [decision] = report["decisions"]
    assert decision["outcome"] == "fail"
    failed = decision["explanation"]["failed_clauses"]
    assert [{k: v for k, v in c.items() if k != "failing"} for c in failed] == clauses

    text = [line.strip() for line in evaluate(tmp_path, base_facts, rule, count, "text").splitlines()]
    shown = [line for line in text if line.startswith("why:") or line.startswith("… ")]
    assert shown == why
