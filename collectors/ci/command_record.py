"""One test command's record in the ``ci`` section: the job and step it is attributed to (``Expansion``),
where it runs, its kinds (with the configured e2e paths), targets, components and masking reasons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from anops_policy.collectors.ci.analysis import Found, join_path
from anops_policy.collectors.ci.redaction import redact
from anops_policy.collectors.ci.tool_table import KIND_ORDER
from anops_policy.collectors.ci.values import truncate


@dataclass
class Expansion:
    """Where an expanded command is attributed: the job and step that (indirectly) run it."""

    system: str
    job: str | None
    job_key: str | None
    step: str | None
    step_index: int | None
    step_line: int
    step_path: str
    hints: tuple[str, ...]
    via: list[dict[str, Any]] = field(default_factory=list)


def command_entry(found: Found, path: str, exp: Expansion, chunk_paths: Sequence[str],
                  known_components: Sequence[tuple[str, str]], e2e_paths: Sequence[str]) -> dict[str, Any]:
    """The ``test_commands`` item of one found test command."""
    det = found.detection
    assert det is not None
    cwd = found.cwd
    if det.chdir:
        cwd = join_path(found.cwd, det.chdir) or found.cwd
    # no target argument: the command tests its directory; an unresolvable one (`${{ inputs.path }}`): unknown
    targets = sorted({t for t in (join_path(cwd, raw) for raw in det.targets) if t is not None}) \
        if det.targets else [cwd]
    kinds = list(det.kinds)
    source = det.kind_source
    if e2e_paths and any(_covers(t, e) for t in targets for e in e2e_paths) and "e2e" not in kinds:
        kinds.append("e2e")
        source = "config"
    elif e2e_paths and "e2e" in kinds and any(_covers(t, e) for t in targets for e in e2e_paths):
        source = "config" if source in ("default", "job") else source
    kinds_sorted = [k for k in KIND_ORDER if k in kinds]
    components = sorted({name for name, cpath in known_components for t in targets if _within(t, cpath)})
    masking = []
    seen: set[tuple[str, str, int]] = set()
    for reason in found.reasons:
        rpath = reason.path or (chunk_paths[reason.chunk] if reason.chunk < len(chunk_paths) else path)
        key = (reason.text, rpath, reason.line)
        if key not in seen:
            seen.add(key)
            masking.append({"reason": reason.text, "path": rpath, "line": reason.line or None})
    return {
        "path": path, "line": found.line, "system": exp.system, "job": exp.job, "job_key": exp.job_key,
        "step": exp.step, "step_index": exp.step_index, "step_line": exp.step_line, "step_path": exp.step_path,
        "command": truncate(redact(found.text), 300), "tool": det.tool, "kind": kinds_sorted[0],
        "kinds": kinds_sorted, "kind_source": source, "cwd": cwd, "targets": targets, "components": components,
        "masked": bool(masking), "masking": masking, "report_path": found.report_path,
        "report_format": found.report_format, "via": exp.via,
    }


def _within(target: str, base: str) -> bool:
    return base in (".", target) or target.startswith(base + "/")


def _covers(target: str, e2e_path: str) -> bool:
    """A test run on ``target`` includes the configured e2e path (the same file, or a directory above it)."""
    if target == ".":
        return False  # a run at the root says nothing about which suites it collects
    return target == e2e_path or e2e_path.startswith(target + "/") or target.startswith(e2e_path + "/")
