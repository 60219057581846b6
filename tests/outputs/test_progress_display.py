"""The progress display: events from collection and evaluation, a line rewritten on a terminal only, and
nothing at all when stderr is not a terminal or with -q."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import load_config
from anops_policy.pipeline.collect import collect_facts
from anops_policy.pipeline.run import EvalRequest, run_eval
from anops_policy.telemetry.progress import (
    COLLECT,
    EVALUATE,
    ProgressEvent,
    TerminalProgress,
    render,
    terminal_progress,
)

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_collection_reports_each_collector_and_the_files_read(example: Path) -> None:
    events: list[ProgressEvent] = []
    collect_facts(example, load_config(example / "anops-policy.yaml"), now=NOW, only=["layout", "todos"],
                  use_git=False, progress=events.append)
    assert events[0] == ProgressEvent(COLLECT, 0, events[0].total, events[0].current, 0)
    assert events[-1].done == events[-1].total and events[-1].current == ""
    assert [e.done for e in events] == sorted(e.done for e in events), "progress never goes back"
    assert [e.files for e in events] == sorted(e.files for e in events)
    assert events[-1].files > 0, "the todos collector reads files"
    assert {e.current for e in events if e.current} >= {"layout", "todos"}


def test_evaluation_reports_each_policy(example: Path) -> None:
    events: list[ProgressEvent] = []
    run_eval(EvalRequest(path=example, now=NOW, progress=events.append, **_no_log()))
    evaluate = [e for e in events if e.stage == EVALUATE]
    assert evaluate[0].done == 0 and evaluate[-1].done == evaluate[-1].total > 0
    assert len(evaluate) == evaluate[-1].total + 1
    assert events.index(evaluate[0]) > max(i for i, e in enumerate(events) if e.stage == COLLECT)


def _no_log() -> dict[str, bool]:
    fields = EvalRequest.__dataclass_fields__
    return {"record": False} if "record" in fields else {}


def test_terminal_line_is_rewritten_throttled_and_erased() -> None:
    stream = FakeTerminal()
    ticks = iter([0.0, 0.01, 0.02, 0.5, 0.51])
    progress = TerminalProgress(stream, interval=0.1, clock=lambda: next(ticks))
    progress(ProgressEvent(COLLECT, 0, 3, "todos", 0))
    progress(ProgressEvent(COLLECT, 0, 3, "todos", 1))  # same step, 10 ms later: skipped
    progress(ProgressEvent(COLLECT, 1, 3, "rust", 5))  # a new step: drawn at once
    progress(ProgressEvent(COLLECT, 1, 3, "rust", 90))  # same step, but the interval passed: drawn
    progress.close()
    frames = stream.getvalue().split("\r\x1b[2K")
    assert frames[1:] == [render(ProgressEvent(COLLECT, 0, 3, "todos", 0)),
                          render(ProgressEvent(COLLECT, 1, 3, "rust", 5)),
                          render(ProgressEvent(COLLECT, 1, 3, "rust", 90)), ""]
    assert frames[-2] == "collecting facts 1/3 collectors · 90 files read · rust"


def test_no_display_off_a_terminal_with_quiet_or_dumb_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    assert terminal_progress(io.StringIO(), quiet=False) is None
    assert terminal_progress(FakeTerminal(), quiet=True) is None
    assert isinstance(terminal_progress(FakeTerminal(), quiet=False), TerminalProgress)
    monkeypatch.setenv("TERM", "dumb")
    assert terminal_progress(FakeTerminal(), quiet=False) is None


def _run_with_tty_stderr(example: Path, *args: str) -> tuple[str, str]:
    """eval with stderr on a pseudo-terminal and stdout on a pipe, as in `anops-policy eval | less`."""
    primary, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")} | {"TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "anops_policy", "eval", ".", "--now", "2026-11-26", *args],
                            cwd=example, stdout=subprocess.PIPE, stderr=secondary, env=env)
    os.close(secondary)
    chunks = []
    while True:
        try:
            data = os.read(primary, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    stdout, _ = proc.communicate(timeout=600)
    os.close(primary)
    return stdout.decode(), b"".join(chunks).decode(errors="replace")


def test_real_run_shows_progress_on_a_terminal_only(example: Path) -> None:
    no_log = ["--no-decision-log"] if _has_no_log() else []
    stdout, tty = _run_with_tty_stderr(example, *no_log)
    assert "collecting facts" in tty and "evaluating" in tty
    assert tty.rfind("\r\x1b[2K") > tty.rfind("evaluating"), "the progress line is erased at the end"
    assert "collecting facts" not in stdout and "\x1b[2K" not in stdout
    _stdout, quiet = _run_with_tty_stderr(example, "-q", *no_log)
    assert "collecting facts" not in quiet


def test_no_progress_when_stderr_is_captured(example: Path, run_cli: Any) -> None:
    run = run_cli(".", "--now", "2026-11-26", cwd=example)
    assert run.exit_code == 1 and "collecting facts" not in run.stderr and "\x1b[2K" not in run.stderr


def _has_no_log() -> bool:
    return "record" in EvalRequest.__dataclass_fields__
