"""The hand-written comment lexers as they were before the switch to tree-sitter, loaded from git (commit
``BEFORE``, where ``collectors/source/comment_lexer.py`` dispatched to them) into a throw-away package, so
a benchmark or a comparison can run the old and the new path side by side in one process."""

from __future__ import annotations

import importlib
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

BEFORE = "5f6f8c9"  # the freeze commit: the last one whose todos collector lexed every language by hand
FILES = ("comment_lexer", "lex_c_family", "lex_config", "lex_js", "lex_python", "lex_scan", "lex_shell")
REPO = Path(__file__).resolve().parents[2]

Lexer = Callable[..., list[tuple[int, int]]]


def old_comment_spans(commit: str = BEFORE) -> Lexer:
    """``comment_spans(text, language, limit=None)`` of ``commit``."""
    folder = Path(tempfile.mkdtemp(prefix="anops-oldlex-"))
    package = folder / "anops_oldlex"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in FILES:
        source = subprocess.run(
            ["git", "show", f"{commit}:collectors/source/{name}.py"], cwd=REPO, capture_output=True, text=True,
            check=True,
        ).stdout
        (package / f"{name}.py").write_text(source.replace("anops_policy.collectors.source.", "anops_oldlex."))
    sys.path.insert(0, str(folder))
    module = importlib.import_module("anops_oldlex.comment_lexer")
    spans: Lexer = module.comment_spans
    return spans
