"""Golden outputs: every registered format for the example repository, from one pinned run.

The built-in pack grows, so these files change whenever a policy lands: regenerate them with
``pytest tests/outputs --update-goldens`` and review the diff. Structure, validity and counts are
asserted by the other tests in this folder; this one pins the exact bytes (after normalising digests,
absolute paths and durations) and that the output is deterministic.
"""

from __future__ import annotations

import difflib
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from anops_policy.cli.main import cli
from anops_policy.outputs import FORMATTERS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "anops"
GOLDEN = Path(__file__).resolve().parent / "golden"
NOW = "2026-11-26T12:00:00Z"
EXTENSIONS = {"json": "json", "text": "txt", "sarif": "sarif", "junit": "xml", "markdown": "md", "github": "txt",
              "html": "html"}


def golden_file(fmt: str) -> Path:
    return GOLDEN / f"{fmt}.{EXTENSIONS.get(fmt, 'txt')}"


def _eval_in(copy: Path, out: Path, extra: list[str]) -> dict[str, str]:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(copy)
        for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
            mp.delenv(name, raising=False)
        args = ["eval", ".", "--now", NOW, *extra, *(f"--output={fmt}={out / fmt}" for fmt in FORMATTERS)]
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 1, result.output  # the example has blocking failures
    return {fmt: (out / fmt).read_text(encoding="utf-8") for fmt in FORMATTERS}


@pytest.fixture(scope="module")
def golden_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str], dict[str, str]]]:
    """Two independent runs of the same tree (the second in a fresh copy) for the determinism check."""
    opts = {o for p in cli.commands["eval"].params for o in getattr(p, "opts", [])}
    extra = ["--no-decision-log"] if "--no-decision-log" in opts else []
    runs = []
    copy = EXAMPLE
    for index in range(2):
        base = tmp_path_factory.mktemp(f"golden{index}")
        copy = base / "anops"
        shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".anops-policy"))
        runs.append(_eval_in(copy, base / "out", extra))
    yield copy, runs[0], runs[1]


def _normalised(text: str, copy: Path, report: dict[str, Any]) -> str:
    """Remove what legitimately differs between runs and machines: the digests of the facts and packs
    (they change with every collector or policy edit), absolute paths, and durations."""
    text = text.replace(report["run"]["facts_digest"], "sha256:<facts-digest>")
    for pack in report["packs"]:
        text = text.replace(pack["digest"], "sha256:<pack-digest>")
    for absolute in sorted({str(copy.resolve()), str(copy)}, key=len, reverse=True):
        text = text.replace(absolute, "<example>")
    text = re.sub(r"\bd-[0-9a-f]{16}\b", "d-<decision-id>", text)  # a new id per run (the pending sign-off cites it)
    return re.sub(r'"duration_ms": \d+', '"duration_ms": 0', text)


@pytest.mark.parametrize("fmt", sorted(FORMATTERS))
def test_golden(fmt: str, golden_run: tuple[Path, dict[str, str], dict[str, str]], update_goldens: bool) -> None:
    copy, first, second = golden_run
    report = json.loads(first["json"])
    actual = _normalised(first[fmt], copy, report)
    assert actual == _normalised(second[fmt], copy, json.loads(second["json"])), f"{fmt} output is not deterministic"
    target = golden_file(fmt)
    if update_goldens:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(actual, encoding="utf-8")
        return
    if not target.is_file():
        pytest.fail(f"no golden file {target.relative_to(ROOT)}: run `pytest tests/outputs --update-goldens`")
    expected = target.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True),
            fromfile=f"golden/{target.name}", tofile="actual", n=2,
        ))
        pytest.fail(f"{fmt} output differs from its golden file (review, then `pytest tests/outputs "
                    f"--update-goldens`):\n{diff[:6000]}")


def test_every_format_has_a_golden_file() -> None:
    """A golden file for every registered format, and none left over from a removed one."""
    expected = {golden_file(fmt).name for fmt in FORMATTERS}
    present = {p.name for p in GOLDEN.iterdir()} if GOLDEN.is_dir() else set()
    assert expected <= present, f"missing goldens: {sorted(expected - present)} (pytest tests/outputs --update-goldens)"
    assert present <= expected, f"stale goldens: {sorted(present - expected)}"
