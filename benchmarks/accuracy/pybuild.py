"""Python tests that run a build or code-generation step, for draw.py's ``built_artifacts`` pre-filter
(plain text and syntax, never our collectors).

A test function (as pytest collects it, in ``test_*.py``/``*_test.py``) is a candidate when its text, or
the text of a module-level function of its module that it names (a helper it calls or passes on, one
level deep), carries a word of a build or generation step (``BUILD_WORDS``: ``build``, ``.build(``,
``protoc``, ``grpc_tools``, ``squash``, ``generate`` …). Half the sample comes from candidates with an
assertion that names a product word (``CHECK_WORDS``: exists, inspect, image, tag, ``_pb2``, a ``.py``
file …), half from the rest, so that tests that verify what they built and tests that do not are both
drawn."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from pyserve import SKIP_PARTS, Row, test_functions

BUILD_WORDS = re.compile(
    r"\bbuild\b|\.build\(|build_image|run_build|\bprotoc\b|grpc_tools|\bsquash|\bbud\b|\bgenerate|codegen"
)
CHECK_WORDS = re.compile(
    r"(assert|self\.assert\w*|\.assert_\w+)[^\n]*(exist|isfile|is_file|isdir|inspect|image|tag|_pb2|generated"
    r"|\.pyi?\b|label)",
    re.I,
)


def build_rows(root: Path) -> Iterator[Row]:
    for file in sorted(root.rglob("*.py")):
        relative = file.relative_to(root).as_posix()
        name = relative.rsplit("/", 1)[-1]
        parts = set(relative.split("/")[:-1])
        if not (name.startswith("test_") or name.endswith("_test.py")) or SKIP_PARTS & parts or "third_party" in parts:
            continue
        try:
            text = file.read_text(encoding="utf-8")
            tree = ast.parse(text)
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue
        lines = text.splitlines(keepends=True)
        helpers = {
            s.name: "".join(lines[s.lineno - 1 : s.end_lineno or s.lineno])
            for s in tree.body
            if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        for test, node in test_functions(tree):
            body = "".join(lines[node.lineno - 1 : node.end_lineno or node.lineno])
            named = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} & set(helpers) - {node.name}
            reached = body + "".join(helpers[h] for h in sorted(named))
            if not BUILD_WORDS.search(reached):
                continue
            hit = bool(CHECK_WORDS.search(reached))
            yield hit, relative, node.lineno, test, "checks_product_word" if hit else "other", body
