"""CircleCI: ``.circleci/config.yml`` jobs, their ``run`` steps (CircleCI's shell is ``bash -eo pipefail``)
and ``store_test_results`` steps."""

from __future__ import annotations

from typing import Any

from anops_policy.collectors.ci.analysis import analyze, join_path
from anops_policy.collectors.ci.github import file_entry, job_record
from anops_policy.collectors.ci.records import FileResult, RunSite, error_entry, step_record
from anops_policy.collectors.ci.shell_modes import Mode, mode_for_shell
from anops_policy.collectors.ci.values import as_text, chunk, text_list
from anops_policy.collectors.ci.yaml_source import load_annotated, mark_line

CIRCLE_MODE = Mode(True, True, "CircleCI's shell (/bin/bash -eo pipefail)")


def parse_circleci(path: str, text: str) -> FileResult:
    data, marks = load_annotated(path, text)
    res = FileResult(entry={})
    jobs: dict[str, Any] = data["jobs"] if isinstance(data, dict) and isinstance(data.get("jobs"), dict) else {}
    for job_id, job in jobs.items():
        jline = mark_line(marks, ("jobs", job_id), key=True)
        if not isinstance(job, dict):
            res.errors.append(error_entry(path, jline, f"job {job_id}: expected a mapping"))
            continue
        key = f"{path}#{job_id}"
        job_shell = as_text(job.get("shell"))
        steps: list[dict[str, Any]] = []
        job_steps: list[Any] = job["steps"] if isinstance(job.get("steps"), list) else []
        for index, step in enumerate(job_steps):
            line = mark_line(marks, ("jobs", job_id, "steps", index))
            if isinstance(step, str) or not isinstance(step, dict) or not step:
                steps.append(step_record(index, line, path, name=as_text(step), section="steps", run=None))
                continue
            kind, body = next(iter(step.items()))
            if kind == "run":
                spec = body if isinstance(body, dict) else {"command": body}
                command = spec.get("command")
                shell = as_text(spec.get("shell")) or job_shell
                wd = as_text(spec.get("working_directory"))
                steps.append(step_record(index, line, path, name=as_text(spec.get("name")), section="steps",
                                         run=str(as_text(command) or ""), shell=shell, wd=wd,
                                         cond=as_text(spec.get("when"))))
                mode = mode_for_shell(shell, default=CIRCLE_MODE) if shell else CIRCLE_MODE
                if mode is not None and command is not None:
                    cwd = join_path(".", wd) if wd and not wd.startswith("~") else "."
                    report = analyze([chunk(command, line)], mode, cwd=cwd or ".", hints=(job_id,))
                    res.runs.append(RunSite(path, "circleci", job_id, key, as_text(spec.get("name")) or f"#{index + 1}",
                                            index, line, report, (job_id,)))
            else:
                steps.append(step_record(index, line, path, name=str(kind), section="steps", run=None))
                if kind == "store_test_results":
                    spec = body if isinstance(body, dict) else {"path": body}
                    steps[-1]["publishes_report"] = True
                    res.reports.append({"path": path, "line": line, "system": "circleci", "job": job_id,
                                        "step": str(kind), "kind": "circleci-test-results", "action": None,
                                        "files": text_list(spec.get("path")), "on_failure": True})
        res.jobs.append(job_record(key=key, id=job_id, name=job_id, path=path, line=jline, system="circleci",
                                   kind="job", runs_on=as_text(job.get("resource_class")),
                                   container=as_text(_first_image(job.get("docker"))), steps=steps))
    res.entry = file_entry("circleci", "config", None, res)
    return res


def _first_image(docker: Any) -> Any:
    if isinstance(docker, list) and docker and isinstance(docker[0], dict):
        return docker[0].get("image")
    return None
