"""Shared by the end-to-end tests of the built-in pack: copies of examples/anops (before, and ready
through examples/anops-ready.patch), an `eval` that returns the text report and the JSON report, and
the per-decision outcome map the "change one thing" tests compare."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from anops_policy.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "anops"
MAKE_READY = ROOT / "examples" / "make-ready-patch.sh"
NOW = "2026-11-26T12:00:00Z"
IGNORED = shutil.ignore_patterns(".anops-policy", "__pycache__", ".pytest_cache", "target", "Cargo.lock")


def copy_example(dest: Path) -> Path:
    """A copy of examples/anops (the "before" state) without local state and build output."""
    shutil.copytree(EXAMPLE, dest, ignore=IGNORED)
    return dest


def ready_example(dest: Path) -> Path:
    """A copy with examples/anops-ready.patch applied, the documented way."""
    subprocess.run(["sh", str(MAKE_READY), "apply", str(dest)], check=True, capture_output=True)
    return dest


@dataclass(frozen=True)
class Evaluation:
    exit_code: int
    text: str
    report: dict[str, Any]

    @property
    def summary(self) -> str:
        line: str = self.report["summary"]["line"]
        return line

    def outcomes(self) -> dict[tuple[str, str | None], str]:
        """(policy, subject) -> outcome, for every decision."""
        return {(d["policy"], d["subject"]): d["outcome"] for d in self.report["decisions"]}

    def decisions(self, policy: str) -> list[dict[str, Any]]:
        return [d for d in self.report["decisions"] if d["policy"] == policy]


def evaluate(path: Path, *extra: str, log: bool = False, now: str = NOW) -> Evaluation:
    """``anops-policy eval PATH`` with a pinned ``now``; the JSON report goes to a temporary folder (never
    into the evaluated tree: examples/anops is evaluated in place too)."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "report.json"
        args = ["eval", str(path), "--now", now, "--output", f"json={out}", *extra]
        if not log:
            args.append("--no-decision-log")
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert result.exit_code in (0, 1), result.output
        report = json.loads(out.read_text(encoding="utf-8"))
    return Evaluation(result.exit_code, result.output, report)


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace ``old`` (which must occur exactly ``count`` times) by ``new`` in a text file."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == count, f"{path}: expected {count} x {old!r}, found {text.count(old)}"
    path.write_text(text.replace(old, new), encoding="utf-8")
