"""CI scripts in the tree (``.ci/*``, ``ci/*.sh``): one job with one run step, analysed with the shell its
shebang names."""

from __future__ import annotations

from anops_policy.collectors.ci.analysis import analyze
from anops_policy.collectors.ci.github import file_entry, job_record
from anops_policy.collectors.ci.records import FileResult, RunSite, step_record
from anops_policy.collectors.ci.shell_modes import mode_from_shebang


def parse_script(path: str, text: str) -> FileResult:
    """A ``.ci/run``-style script: one job, one run step, analysed with its shebang's shell."""
    res = FileResult(entry={})
    key = f"{path}#run"
    report = analyze([(text, 1, True)], mode_from_shebang(text), hints=(path,))
    res.runs.append(RunSite(path, "script", "run", key, path, 0, 1, report, (path,)))
    step = step_record(0, 1, path, name=path, section="script", run=text)
    res.jobs.append(job_record(key=key, id="run", name=path, path=path, line=1, system="script", kind="script",
                               steps=[step]))
    res.entry = file_entry("script", "script", None, res)
    return res
