"""Jenkins: the ``sh``/``bat`` steps of a declarative or scripted Jenkinsfile by stage, ``catchError``/``warnError``
and ``returnStatus`` masking, and ``junit`` report steps (presence and minimal facts, read with regexes)."""

from __future__ import annotations

import re
from typing import Any

from anops_policy.collectors.ci.analysis import analyze
from anops_policy.collectors.ci.github import file_entry, job_record
from anops_policy.collectors.ci.masking import Reason
from anops_policy.collectors.ci.records import FileResult, RunSite, step_record
from anops_policy.collectors.ci.shell_modes import Mode

JENKINS_MODE = Mode(True, False, "Jenkins sh (sh -xe)")
_JENKINS_STAGE = re.compile(r"\bstage\s*\(\s*(['\"])(.+?)\1\s*\)")
_JENKINS_SH = re.compile(r"\b(sh|bat|powershell|pwsh)\s*(\(\s*(?:script\s*:\s*)?)?('''|\"\"\"|'|\")(.*?)\3([^\n]*)",
                         re.S)
# a failure inside these blocks leaves the build green (catchError's default buildResult FAILURE does not)
_JENKINS_CATCH = re.compile(r"\bcatchError\s*\([^)]*buildResult\s*:\s*['\"]SUCCESS['\"][^)]*\)\s*\{"
                            r"|\bwarnError\s*\([^)]*\)\s*\{")


def _block_end(text: str, open_brace: int) -> int:
    """Index of the ``}`` closing the block opened at ``open_brace`` (Groovy; strings are not special-cased)."""
    depth = 0
    for i in range(open_brace, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return len(text)


_JENKINS_JUNIT = re.compile(r"\bjunit\s*(?:\(\s*(?:testResults\s*:\s*)?)?(['\"])(.+?)\1")


def parse_jenkins(path: str, text: str) -> FileResult:
    res = FileResult(entry={})
    stages = [(m.start(), m.group(2), text.count("\n", 0, m.start()) + 1) for m in _JENKINS_STAGE.finditer(text)]
    jobs: dict[str, dict[str, Any]] = {}
    order = [(pos, name, line) for pos, name, line in stages] or [(0, "pipeline", 1)]

    def stage_at(pos: int) -> tuple[str, int]:
        current = (order[0][1], order[0][2])
        for start, name, line in order:
            if start <= pos:
                current = (name, line)
        return current

    for _pos, name, line in order:
        jobs[name] = job_record(key=f"{path}#{name}", id=name, name=name, path=path, line=line, system="jenkins",
                                kind="stage", steps=[])
    guarded = [(m.start(), _block_end(text, m.end() - 1), m.group(0).split("(")[0].strip())
               for m in _JENKINS_CATCH.finditer(text)]
    for m in _JENKINS_SH.finditer(text):
        stage, _ = stage_at(m.start())
        job = jobs[stage]
        line = text.count("\n", 0, m.start(4)) + 1
        script = m.group(4)
        step = step_record(len(job["steps"]), line, path, name=m.group(1), section="sh", run=script)
        job["steps"].append(step)
        masks = []
        if "returnStatus" in m.group(5) and "true" in m.group(5):
            masks.append(Reason("returnStatus: true (the step never fails)", line, path=path))
        for start, end, block in guarded:
            if start < m.start() < end:
                what = "catchError(buildResult: 'SUCCESS')" if block == "catchError" \
                    else "warnError (the build is only unstable)"
                masks.append(Reason(f"inside {what}", text.count("\n", 0, start) + 1, path=path))
                break
        mode = JENKINS_MODE if m.group(1) == "sh" else Mode(False, False, m.group(1), posix=False)
        report = analyze([(script, line, True)], mode, hints=(stage,), outer=masks)
        res.runs.append(RunSite(path, "jenkins", stage, job["key"], f"{m.group(1)} #{step['index'] + 1}",
                                step["index"], line, report, (stage,), tuple(masks)))
    for m in _JENKINS_JUNIT.finditer(text):
        before = text[max(0, m.start() - 300):m.start()]
        res.reports.append({"path": path, "line": text.count("\n", 0, m.start()) + 1, "system": "jenkins",
                            "job": stage_at(m.start())[0], "step": "junit", "kind": "jenkins-junit", "action": None,
                            "files": [m.group(2)], "on_failure": bool(re.search(r"\b(always|failure|unstable)\s*\{",
                                                                                 before))})
    for job in jobs.values():
        job["counts"].update(steps=len(job["steps"]), run_steps=len(job["steps"]))
    res.jobs = list(jobs.values())
    res.entry = file_entry("jenkins", "jenkinsfile", None, res)
    return res
