"""python and logging collectors against files that are not ordinary source: binary, invalid UTF-8,
50 MB, a symlink loop, a symlink out of the tree, absurd nesting, syntax errors. Each one is a recorded
skip (or syntax error) and the rest of the tree is still read; the sections always match their schema."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import RepoConfig
from anops_policy.facts import section_errors
from anops_policy.pipeline.collect import collect_facts

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
APP = """\
import logging
import os
from flask import Flask

logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"), format="%(levelname)s %(message)s")
app = Flask(__name__)
"""


def collect(root: Path) -> dict[str, Any]:
    document = collect_facts(root, RepoConfig(), now=NOW, only=["python", "logging"], use_git=False)
    for name in ("python", "logging"):
        meta = document["meta"]["collectors"][name]
        assert meta["status"] == "ok", meta
        assert section_errors(name, document[name]) == []
    return document


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    service = tmp_path / "svc"
    service.mkdir()
    (service / "app.py").write_text(APP)
    return tmp_path


def skipped(document: dict[str, Any], name: str) -> dict[str, str]:
    return {s["path"]: s["reason"] for s in document["meta"]["collectors"][name].get("skipped", [])}


def assert_service_still_read(document: dict[str, Any]) -> None:
    assert document["python"]["services"]["svc"]["framework"] == "flask"
    level = document["logging"]["python"]["by_service"]["svc"]["level"]
    assert (level["source"], level["env_var"], level["default"]) == ("env", "LOG_LEVEL", "INFO")


def test_binary_and_invalid_utf8(tree: Path) -> None:
    (tree / "svc" / "blob.py").write_bytes(b"\x00\x01\x02 not python")
    (tree / "svc" / "latin1.py").write_bytes(b"name = '\xe9t\xe9'\n")
    document = collect(tree)
    reasons = skipped(document, "python")
    assert reasons["svc/blob.py"] == "binary file"
    assert reasons["svc/latin1.py"].startswith("not UTF-8")
    assert_service_still_read(document)


def test_fifty_megabytes(tree: Path) -> None:
    big = tree / "svc" / "huge.py"
    with big.open("w") as fh:
        line = "x = 1  # " + "a" * 90 + "\n"
        for _ in range(50 * 1024 * 1024 // len(line) + 1):
            fh.write(line)
    assert big.stat().st_size >= 50 * 1024 * 1024
    document = collect(tree)
    assert "larger than" in skipped(document, "python")["svc/huge.py"]
    assert_service_still_read(document)


def test_symlink_loop_and_escape(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    (tree / "svc" / "loop_a.py").symlink_to(tree / "svc" / "loop_b.py")
    (tree / "svc" / "loop_b.py").symlink_to(tree / "svc" / "loop_a.py")
    outside = tmp_path_factory.mktemp("outside") / "secret.py"
    outside.write_text("print('outside')\n")
    (tree / "svc" / "escape.py").symlink_to(outside)
    document = collect(tree)
    reasons = skipped(document, "python")
    assert "symlink loop" in reasons["svc/loop_a.py"]
    assert reasons["svc/escape.py"] == "symlink points outside the evaluated directory"
    assert "svc/escape.py" not in document["logging"]["python"]["by_path"]
    assert_service_still_read(document)


def test_absurd_nesting_and_syntax_errors(tree: Path) -> None:
    (tree / "svc" / "deep.py").write_text("x = " + "(" * 5000 + "1" + ")" * 5000 + "\n")
    (tree / "svc" / "broken.py").write_text("def f(:\n    pass\n")
    (tree / "svc" / "tests").mkdir()
    (tree / "svc" / "tests" / "test_broken.py").write_text("def test_x():\n    assert (\n")
    document = collect(tree)
    reasons = skipped(document, "python")
    assert reasons["svc/broken.py"].startswith("SyntaxError at line 1")
    assert "svc/deep.py" in reasons
    assert {(e["path"], e["line"]) for e in document["python"]["syntax_errors"]} >= {
        ("svc/broken.py", 1),
        ("svc/tests/test_broken.py", 2),
    }
    assert_service_still_read(document)


def test_logging_without_python_or_rust_facts(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("nothing to read\n")
    document = collect_facts(tmp_path, RepoConfig(), now=NOW, only=["python", "logging"], use_git=False)
    assert document["meta"]["collectors"]["python"]["status"] == "not_configured"
    assert document["meta"]["collectors"]["logging"]["status"] == "not_configured"
