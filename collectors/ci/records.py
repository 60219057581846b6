"""What a CI reader hands to the collector: run sites, local action calls, per-file results, and the
step and error records they carry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from anops_policy.collectors.ci.analysis import ScriptReport
from anops_policy.collectors.ci.masking import Reason
from anops_policy.collectors.ci.redaction import redact
from anops_policy.collectors.ci.shell_modes import Mode
from anops_policy.collectors.ci.values import truncate


@dataclass
class RunSite:
    """One shell script of one job (a GitHub ``run`` step, a GitLab script section, ...) and its analysis."""

    path: str
    system: str
    job: str | None
    job_key: str | None
    step: str | None  # the step's label: its name, or `#<index>`, or the GitLab section
    step_index: int | None
    step_line: int
    report: ScriptReport
    hints: tuple[str, ...] = ()
    masks: tuple[Reason, ...] = ()  # step/job level reasons (continue-on-error, allow_failure, after_script)
    chunk_paths: tuple[str, ...] = ()  # file of each analysed chunk when they differ from ``path``
    source: tuple[tuple[tuple[str, int, bool], ...], Mode, str] | None = None  # to re-analyse at a call site


@dataclass
class LocalCall:
    """A step that runs a local composite action (``uses: ./path``): its commands run in the calling job."""

    path: str
    job: str | None
    job_key: str | None
    step: str | None
    step_index: int | None
    step_line: int
    target: str  # the action's directory, repository-relative
    masks: tuple[Reason, ...] = ()
    hints: tuple[str, ...] = ()


@dataclass
class FileResult:
    """Everything one CI file contributes: its ``by_path`` entry, jobs, local actions, scripts to expand,
    report-publishing steps and per-file errors."""

    entry: dict[str, Any]
    jobs: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    runs: list[RunSite] = field(default_factory=list)
    calls: list[LocalCall] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def error_entry(path: str, line: int | None, message: str) -> dict[str, Any]:
    return {"path": path, "line": line or None, "message": message}


def step_record(index: int, line: int, path: str, *, name: str | None, section: str, run: str | None,
                shell: str | None = None, wd: str | None = None, coe: bool | str | None = None,
                cond: str | None = None) -> dict[str, Any]:
    """A step of a job (the shape GitHub's reader builds), for the readers of the other CI systems."""
    return {"index": index, "line": line, "path": path, "name": name, "id": None, "section": section, "uses": None,
            "run": truncate(redact(run)) if run is not None else None, "shell": shell, "working_directory": wd,
            "continue_on_error": coe, "if": cond, "test_commands": 0, "masked": False, "publishes_report": False,
            "composite": False}
