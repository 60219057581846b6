"""A rule that decided in time stays a failure even when explaining it runs out of time: the explanation
has its own budget and is marked truncated (variables and evidence are kept)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.cel.values import to_cel
from anops_policy.evaluation import evaluate
from anops_policy.policy.model import Outcome
from anops_policy.policy.packs import load_pack

PACK = 'id: budget\nversion: 1.0.0\ntitle: t\nsections: [S]\nitems:\n  - {id: "b.1", title: t, section: S}\n'
POLICY = """\
id: no-markers
title: No markers
checklist: "b.1"
severity: low
enforcement: soft
requires: [todos]
variables:
  - {name: found, expression: facts.todos.items}
rule: size(vars.found) == 0
message: "{size(vars.found)} markers"
remediation: Resolve them.
examples:
  - {name: none, facts: {todos: {items: []}}, expect: pass}
  - name: one
    facts: {todos: {items: [{path: a.py, line: 3, tag: TODO, text: x}]}}
    expect: fail
"""


def test_explanation_out_of_time_keeps_the_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pack.yaml").write_text(PACK)
    (tmp_path / "no-markers.yaml").write_text(POLICY)
    pack = load_pack(tmp_path)

    def never_finishes(*_args: Any) -> list[dict[str, Any]]:
        while True:  # interrupted by the explanation's own deadline
            pass

    monkeypatch.setattr(evaluate, "explain_failure", never_finishes)
    document = {
        "apiVersion": "anops.dev/facts/v1",
        "meta": {"collectors": {"todos": {"status": "ok", "error": None}}},
        "todos": {"items": [{"path": "a.py", "line": 3, "tag": "TODO", "text": "x"}]},
    }
    settings = evaluate.RunSettings(now=datetime(2026, 11, 26, tzinfo=UTC), deadline_s=0.2)
    [decision] = evaluate.evaluate_policy(pack.policies[0], document, to_cel(document), {}, settings)
    assert decision.outcome == Outcome.FAIL
    assert decision.message == "1 markers"
    assert "did not finish within 0.2 s" in decision.explanation["truncated"]
    assert decision.evidence == [{"path": "a.py", "line": 3}]
