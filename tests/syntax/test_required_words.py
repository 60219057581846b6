"""A file that lacks every word a rule's matches must contain is neither parsed nor searched for that rule:
the words are the pattern's own identifiers (never a metavariable's), one per ``any`` alternative, the most
selective of an ``all`` or of a related node; a rule without such a word searches every file."""

from __future__ import annotations

from typing import Any

import pytest

from anops_policy.syntax.rules import required_words

CASES: list[tuple[dict[str, Any], tuple[str, ...] | None]] = [
    ({"pattern": "requests.$METHOD($$$ARGS)"}, ("requests",)),
    ({"pattern": "$$$A"}, None),
    ({"any": [{"pattern": "fmt.Println($$$A)"}, {"pattern": "println($$$A)"}]}, ("Println", "println")),
    ({"any": [{"pattern": "fmt.Println($$$A)"}, {"kind": "call_expression"}]}, None),
    ({"kind": "catch_clause", "has": {"kind": "statement_block"}}, None),
    ({"kind": "if_statement", "all": [{"has": {"field": "condition", "pattern": "$ERR != nil"}}]}, ("nil",)),
    ({"pattern": "log.Fatal($$$A)", "not": {"inside": {"kind": "function_declaration", "regex": "^func main"}}},
     ("Fatal",)),
    ({"pattern": "os.Getenv($K)", "inside": {"pattern": "func loadConfig() { $$$ }", "stopBy": "end"}},
     ("loadConfig",)),
    ({"pattern": {"context": "func _() { os.Getenv($K) }", "selector": "call_expression"}}, None),
    ({"matches": "util"}, None),
]


@pytest.mark.parametrize(("rule", "words"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_required_words(rule: dict[str, Any], words: tuple[str, ...] | None) -> None:
    assert required_words(rule) == words
