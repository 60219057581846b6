"""The static check and the loader on expressions and parameters that once went wrong: list literals
typed as their one element (false positives), and ``number`` parameters written as integers (which CEL
would never compare with a double)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from anops_policy.cli.main import cli
from anops_policy.errors import PolicyLoadError
from anops_policy.policy.packs import load_policies

POLICY = """\
id: p
title: t
checklist: "1"
severity: low
enforcement: soft
requires: [{requires}]
params:
  min_rate: {{type: number, default: {default}}}
rule: {rule}
message: m
remediation: r
examples:
{examples}
"""
EXAMPLE = "  - {name: none, facts: {todos: {items: []}}, expect: pass}"


def write(
    tmp_path: Path, rule: str, *, default: str = "0.5", examples: str = EXAMPLE, requires: str = "todos, layout"
) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(POLICY.format(rule=json.dumps(rule), default=default, examples=examples, requires=requires))
    return path


@pytest.mark.parametrize(
    "rule",
    [
        "[facts.layout.docs].exists(d, has(d.readme))",
        '[facts.todos.items[0]].all(x, x.path == "")',
        '[facts.todos.items[0], facts.todos.items[1]].all(x, x.path != "")',
        '[facts.layout.docs][0].readme != ""',
        '{"docs": facts.layout.docs}.exists(k, k == "docs")',
        "[facts.layout.docs, facts.todos.items[0]].exists(v, has(v.readme))",
        '[[facts.todos.items[0]]].all(l, l.all(x, x.path != ""))',
        'facts.todos.by_path["src/a.rs"].exists(m, m.line > 0)',
        'facts["todos"].counts.total == 0 && facts.todos["items"].size() == 0',
    ],
)
def test_accepted(tmp_path: Path, rule: str) -> None:
    [policy] = load_policies([write(tmp_path, rule)])
    assert policy.rule.source == rule


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        # a list literal of one typed element is a list of it: its macro variable is still checked
        ('[facts.todos.items[0]].all(x, x.pth == "")', "unknown field 'facts.todos.items[].pth'"),
        ("[facts.layout.docs].size() == 1 && [facts.layout.docs][0].x.y == 1", "'facts.layout.docs.x' is a string"),
        ('facts.todos.by_path["a"].exists(m, m.lin > 0)', "unknown field 'facts.todos.by_path[][].lin'"),
        ('facts.todos.items["path"] == ""', "'facts.todos.items' is a list; it has no field 'path'"),
        ('params["min_rat"] > 0.0', "unknown parameter 'min_rat' (did you mean 'min_rate'?)"),
        ('size(facts["tods"].items) == 0', "unknown field 'facts.tods' (did you mean 'facts.todos'?)"),
    ],
)
def test_rejected(tmp_path: Path, rule: str, message: str) -> None:
    with pytest.raises(PolicyLoadError, match=r"p\.yaml:9:") as info:
        load_policies([write(tmp_path, rule)])
    assert message in str(info.value)


def test_number_parameters_are_doubles(tmp_path: Path) -> None:
    examples = (
        "  - {name: full, facts: {coverage: {totals: {line_rate: 1.0}}}, expect: pass}\n"
        "  - {name: low, facts: {coverage: {totals: {line_rate: 0.5}}}, expect: fail}\n"
        "  - {name: lower bar, params: {min_rate: 0}, facts: {coverage: {totals: {line_rate: 0.5}}}, expect: pass}"
    )
    rule = "facts.coverage.totals.line_rate >= params.min_rate"
    path = write(tmp_path, rule, default="1", examples=examples, requires="coverage")
    [policy] = load_policies([path])
    [param] = policy.params
    assert param.default == 1.0 and isinstance(param.default, float)
    override = policy.examples[2].params["min_rate"]
    assert override == 0.0 and isinstance(override, float)
    result = CliRunner().invoke(cli, ["test", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 examples" in result.output


def test_number_parameter_too_large_for_a_double(tmp_path: Path) -> None:
    with pytest.raises(PolicyLoadError, match=r"p\.yaml:8:37: default of 'min_rate' is too large for a number"):
        load_policies([write(tmp_path, "params.min_rate > 0.0", default="1" + "0" * 400)])
