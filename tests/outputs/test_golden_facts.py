"""Golden fact document: ``anops-policy facts`` on the example repository, from one pinned run.

It pins what every collector writes for the example, byte for byte after normalising what legitimately
differs between runs (the collection time, durations and the digest over them, absolute paths), so a
refactoring of the collectors or of collection cannot change a fact unnoticed. Regenerate with
``pytest tests/outputs --update-goldens`` when a collector's output is meant to change, and review the diff.
"""

from __future__ import annotations

import difflib
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from anops_policy.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "anops"
GOLDEN = Path(__file__).resolve().parent / "golden_facts" / "facts.json"
NOW = "2026-11-26T12:00:00Z"


def _facts_of_copy(base: Path) -> str:
    copy = base / "anops"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".anops-policy"))
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(copy)
        result = CliRunner().invoke(cli, ["facts", ".", "--now", NOW, "--jobs", "1"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    text = result.output.replace(document["meta"]["digest"], "sha256:<facts-digest>")
    text = text.replace(document["meta"]["generated_at"], "<generated-at>")
    for absolute in sorted({str(copy.resolve()), str(copy)}, key=len, reverse=True):
        text = text.replace(absolute, "<example>")
    return re.sub(r'"duration_ms": \d+', '"duration_ms": 0', text)


def test_fact_document_matches_golden(tmp_path: Path, update_goldens: bool) -> None:
    actual = _facts_of_copy(tmp_path / "first")
    assert actual == _facts_of_copy(tmp_path / "second"), "the fact document is not deterministic"
    if update_goldens:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(actual, encoding="utf-8")
        return
    if not GOLDEN.is_file():
        pytest.fail(f"no golden file {GOLDEN.relative_to(ROOT)}: run `pytest tests/outputs --update-goldens`")
    expected = GOLDEN.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True),
            fromfile="golden_facts/facts.json", tofile="actual", n=2,
        ))
        pytest.fail(f"the fact document differs from its golden file (review, then `pytest tests/outputs "
                    f"--update-goldens`):\n{diff[:6000]}")
