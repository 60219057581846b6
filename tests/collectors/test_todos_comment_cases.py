"""The comment decisions of the todos collector, one source snippet at a time: ``todos/comment_cases/<language>.yaml``
lists each snippet's comments as ``comment_spans`` finds them; where the hand lexer of before issue 21 found
others, the case keeps what it found (``before``) and ``why`` the new answer stands (docs/todos.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from anops_policy.collectors.source.comment_lexer import comment_spans
from anops_policy.collectors.source.languages import language_for

FOLDER = Path(__file__).parent / "todos" / "comment_cases"
EXTENSIONS = {"python": "py", "rust": "rs", "go": "go", "javascript": "js", "typescript": "ts", "c": "c", "cpp": "cpp",
              "shell": "sh", "yaml": "yaml"}
CASES = [
    (f.stem, i, case)
    for f in sorted(FOLDER.glob("*.yaml"))
    for i, case in enumerate(yaml.safe_load(f.read_text()))
]


@pytest.mark.parametrize(("language", "index", "case"), CASES, ids=[f"{lang}-{i}" for lang, i, _ in CASES])
def test_comments_of_a_snippet(language: str, index: int, case: dict[str, Any]) -> None:
    path = case.get("path", f"a.{EXTENSIONS[language]}")
    assert language_for(path) == language
    text = case["source"]
    assert [text[s:e] for s, e in comment_spans(text, language, path=path)] == case["comments"]
    if "before" in case:
        assert case["before"] != case["comments"] and case["why"]
