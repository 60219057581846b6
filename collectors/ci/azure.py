"""Azure Pipelines: stages, jobs and steps of ``azure-pipelines.yml``, ``script``/``bash`` steps (bash without
``-e``), ``continueOnError`` masking and ``PublishTestResults`` steps."""

from __future__ import annotations

import re
from typing import Any

from anops_policy.collectors.ci.analysis import analyze, join_path
from anops_policy.collectors.ci.github import file_entry, job_record
from anops_policy.collectors.ci.masking import Reason
from anops_policy.collectors.ci.records import FileResult, RunSite, step_record
from anops_policy.collectors.ci.shell_modes import Mode
from anops_policy.collectors.ci.values import as_text, chunk, mapping, sequence, text_list
from anops_policy.collectors.ci.yaml_source import load_annotated, mark_line

AZURE_MODE = Mode(False, False, "Azure Pipelines script (bash without -e)")
_ALWAYS = re.compile(r"always\(\)|failure\(\)|failed\(\)|succeededOrFailed\(\)|!\s*cancelled\(\)")


def parse_azure(path: str, text: str) -> FileResult:
    data, marks = load_annotated(path, text)
    res = FileResult(entry={})
    if not isinstance(data, dict):
        res.entry = file_entry("azure-pipelines", "pipeline", None, res)
        return res
    found: list[tuple[str, dict[str, Any], tuple[str | int, ...]]] = []
    if isinstance(data.get("stages"), list):
        for si, stage in enumerate(data["stages"]):
            if isinstance(stage, dict) and isinstance(stage.get("jobs"), list):
                for ji, job in enumerate(stage["jobs"]):
                    if isinstance(job, dict):
                        found.append((f"{as_text(stage.get('stage')) or si}.{_azure_id(job, ji)}", job,
                                      ("stages", si, "jobs", ji)))
    elif isinstance(data.get("jobs"), list):
        for ji, job in enumerate(data["jobs"]):
            if isinstance(job, dict):
                found.append((_azure_id(job, ji), job, ("jobs", ji)))
    elif isinstance(data.get("steps"), list):
        found.append(("job", {"steps": data["steps"]}, ()))
    for job_id, job, jpath in found:
        key = f"{path}#{job_id}"
        jline = mark_line(marks, jpath) or 1
        masks = (Reason("continueOnError: true on the job", jline, path=path),) if job.get("continueOnError") is True \
            else ()
        steps: list[dict[str, Any]] = []
        for index, step in enumerate(sequence(job.get("steps"))):
            spath = (*jpath, "steps", index)
            line = mark_line(marks, spath)
            if not isinstance(step, dict):
                continue
            kind = next((k for k in ("script", "bash", "pwsh", "powershell") if k in step), None)
            coe = step.get("continueOnError") if isinstance(step.get("continueOnError"), bool) else None
            cond = as_text(step.get("condition"))
            if kind is not None:
                script = step[kind]
                steps.append(step_record(index, line, path, name=as_text(step.get("displayName")),
                                         section="steps", run=str(as_text(script)), shell=kind,
                                         wd=as_text(step.get("workingDirectory")), coe=coe, cond=cond))
                step_masks = [*masks]
                if coe:
                    step_masks.append(Reason("continueOnError: true on the step", line, path=path))
                mode = AZURE_MODE if kind in ("script", "bash") else Mode(False, False, kind, posix=False)
                wd = as_text(step.get("workingDirectory"))
                report = analyze([chunk(script, line)], mode, cwd=join_path(".", wd) or "." if wd else ".",
                                 hints=(job_id,), outer=step_masks)
                res.runs.append(RunSite(path, "azure-pipelines", job_id, key,
                                        as_text(step.get("displayName")) or f"#{index + 1}", index, line, report,
                                        (job_id,), tuple(step_masks)))
            else:
                task = as_text(step.get("task")) or as_text(step.get("template")) or as_text(step.get("checkout"))
                steps.append(step_record(index, line, path, name=task, section="steps", run=None, coe=coe,
                                         cond=cond))
                if task and task.startswith("PublishTestResults"):
                    inputs = mapping(step.get("inputs"))
                    steps[-1]["publishes_report"] = True
                    res.reports.append({"path": path, "line": line, "system": "azure-pipelines", "job": job_id,
                                        "step": task, "kind": "azure-test-results", "action": task,
                                        "files": text_list(inputs.get("testResultsFiles")),
                                        "on_failure": bool(cond and _ALWAYS.search(cond))})
        pool = job.get("pool")
        res.jobs.append(job_record(key=key, id=job_id, name=as_text(job.get("displayName")), path=path, line=jline,
                                   system="azure-pipelines", kind="job",
                                   runs_on=as_text(pool.get("vmImage") if isinstance(pool, dict) else pool),
                                   needs=text_list(job.get("dependsOn")), condition=as_text(job.get("condition")),
                                   continue_on_error=job.get("continueOnError") if isinstance(
                                       job.get("continueOnError"), bool) else None,
                                   steps=steps))
    res.entry = file_entry("azure-pipelines", "pipeline", None, res)
    return res


def _azure_id(job: dict[str, Any], index: int) -> str:
    return str(as_text(job.get("job")) or as_text(job.get("deployment")) or as_text(job.get("template")) or index)
