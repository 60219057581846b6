"""GitHub Actions: workflows (``.github/workflows/*.yml``) and local actions (``action.yml``).

Reads triggers, jobs (with matrix size computed the way GitHub expands it), steps with their ``uses``
pinning and ``run`` scripts, and hands every ``run`` script to the shell analysis with the failure mode
of its shell: GitHub runs an unspecified shell as ``bash -e {0}`` (no pipefail) on Linux and macOS and
as ``pwsh`` on Windows, but ``shell: bash`` as ``bash --noprofile --norc -eo pipefail {0}``.
"""

from __future__ import annotations

import itertools
import posixpath
import re
from typing import Any

from anops_policy.collectors.ci.analysis import Found, ScriptReport, analyze, join_path
from anops_policy.collectors.ci.masking import Reason
from anops_policy.collectors.ci.records import FileResult, LocalCall, RunSite, error_entry
from anops_policy.collectors.ci.redaction import redact
from anops_policy.collectors.ci.shell_modes import Mode, mode_for_shell
from anops_policy.collectors.ci.tool_table import Detection
from anops_policy.collectors.ci.values import as_text, chunk, mapping, text_list, truncate
from anops_policy.collectors.ci.yaml_source import Src, annotate, mark_line

from anops_policy.yamlsafe import Marks, load_yaml

SYSTEM = "github-actions"
MAX_MATRIX_COMBINATIONS = 4096
# Real workflows have tens of jobs; thousands only come from a hostile or generated file, whose facts would
# cost seconds per thousand jobs to build, validate and evaluate.
MAX_JOBS = 1000
_SHA = re.compile(r"^[0-9a-f]{40}$")
_VERSION = re.compile(r"^v?\d+(\.\d+)*([-+.][0-9A-Za-z.-]+)?$")
_RUNS_ON_FAILURE = re.compile(r"always\(\)|failure\(\)|!\s*cancelled\(\)|cancelled\(\)\s*==\s*false")
REPORTER_ACTIONS = (
    "dorny/test-reporter", "mikepenz/action-junit-report", "enricomi/publish-unit-test-result-action",
    "scacap/action-surefire-report", "test-summary/action", "pmeier/pytest-results-action",
    "phoenix-actions/test-reporting", "ctrf-io/github-test-reporter", "codecov/test-results-action",
    "actions/upload-test-results", "turing85/publish-report", "step-security/publish-unit-test-result-action",
)
_REPORT_FILES = re.compile(r"(?i)junit|test[-_]?results?|tests?[-_]?reports?|surefire|nextest|\.xml$|\.trx$|xunit"
                           r"|reports?/")
_REPORT_WITH_KEYS = ("files", "path", "paths", "report_paths", "junit_files", "reports", "junit-files", "xml_files",
                     "name")
DEFAULT_MODE = Mode(True, False, "bash -e (the default shell)")
WINDOWS_MODE = Mode(False, False, "pwsh (the default shell on Windows)", posix=False)


def parse_uses(raw: Any) -> dict[str, Any]:
    """``uses:`` split into action and ref, with how the ref pins the code it runs."""
    text = str(as_text(raw) or "").strip()
    out: dict[str, Any] = {"raw": text, "action": text, "ref": None, "pin": "unpinned", "pinned_to_sha": False,
                           "local_path": None}
    if "${{" in text:
        out["pin"] = "expression"
    elif text.startswith("docker://"):
        image = text[len("docker://"):]
        name, _, digest = image.partition("@")
        out.update(action=name, ref=digest or (name.rsplit(":", 1)[1] if ":" in name.rsplit("/", 1)[-1] else None),
                   pin="docker", pinned_to_sha=digest.startswith("sha256:"))
    elif text.startswith("./") or text == ".":
        out.update(pin="local", local_path=join_path(".", text) or text)
    else:
        action, _, ref = text.partition("@")
        out.update(action=action, ref=ref or None)
        if not ref:
            out["pin"] = "unpinned"
        elif _SHA.match(ref):
            out.update(pin="sha", pinned_to_sha=True)
        elif _VERSION.match(ref):
            out["pin"] = "tag"
        else:
            out["pin"] = "branch"
    return out


def matrix_facts(strategy: Any) -> dict[str, Any] | None:
    """Size of a job matrix as GitHub expands it: the product of the axes, minus ``exclude`` matches,
    plus each ``include`` entry that cannot extend an original combination."""
    if not isinstance(strategy, dict) or "matrix" not in strategy:
        return None
    matrix = strategy.get("matrix")
    out: dict[str, Any] = {"size": None, "axes": {}, "include": 0, "exclude": 0, "dynamic": False,
                           "fail_fast": _bool_or_text(strategy.get("fail-fast")),
                           "max_parallel": _int_or_text(strategy.get("max-parallel"))}
    if not isinstance(matrix, dict):
        out["dynamic"] = True  # `matrix: ${{ fromJSON(...) }}`
        return out
    include = matrix.get("include") or []
    exclude = matrix.get("exclude") or []
    axes = {str(k): v for k, v in matrix.items() if k not in ("include", "exclude")}
    out["axes"] = {k: len(v) if isinstance(v, list) else None for k, v in axes.items()}
    out["include"] = len(include) if isinstance(include, list) else 0
    out["exclude"] = len(exclude) if isinstance(exclude, list) else 0
    if any(not isinstance(v, list) for v in axes.values()) or not isinstance(include, list) \
            or not isinstance(exclude, list):
        out["dynamic"] = True
        return out
    product = 1
    for v in axes.values():
        product *= len(v)
    if product > MAX_MATRIX_COMBINATIONS:
        out["size"] = max(0, product - len(exclude)) + len(include)
        return out
    keys = list(axes)
    base = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*axes.values())] if keys else []
    for ex in exclude:
        if isinstance(ex, dict):
            base = [c for c in base if not all(k in c and c[k] == v for k, v in ex.items())]
    extra = 0
    for inc in include:
        if not isinstance(inc, dict):
            continue
        if not any(all(c[k] == v for k, v in inc.items() if k in axes) for c in base):
            extra += 1
    out["size"] = len(base) + extra
    return out


def _bool_or_text(value: Any) -> bool | str | None:
    if value is None or isinstance(value, bool):
        return value
    return str(as_text(value))


def _int_or_text(value: Any) -> int | str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float):
        return int(value)
    return str(as_text(value))


def _triggers(on: Any, marks: Marks) -> list[dict[str, Any]]:
    events: dict[str, Any] = {}
    if isinstance(on, str):
        events = {str(on): None}
    elif isinstance(on, list):
        events = {str(e): None for e in on}
    elif isinstance(on, dict):
        events = {str(k): v for k, v in on.items()}
    out = []
    for event, spec in events.items():
        item: dict[str, Any] = {"event": event, "line": mark_line(marks, ("on", event), key=True) or
                                mark_line(marks, ("on",)), "branches": None, "branches_ignore": None,
                                "tags": None, "paths": None, "types": None, "cron": None}
        if isinstance(spec, dict):
            for key, field_name in (("branches", "branches"), ("branches-ignore", "branches_ignore"),
                                    ("tags", "tags"), ("paths", "paths"), ("types", "types")):
                if key in spec:
                    item[field_name] = text_list(spec[key])
        elif isinstance(spec, list) and event == "schedule":
            item["cron"] = [str(as_text(s.get("cron"))) for s in spec if isinstance(s, dict) and "cron" in s]
        out.append(item)
    return sorted(out, key=lambda t: t["event"])


def _default_label(run: Any, uses: dict[str, Any] | None, index: int) -> str:
    """The name GitHub shows for an unnamed step: ``Run <first line>`` or the action."""
    if run is not None:
        first = next((ln.strip() for ln in str(as_text(run)).splitlines() if ln.strip()), "")
        return truncate(f"Run {redact(first)}", 80)
    if uses is not None:
        return f"Run {uses['raw']}"
    return f"#{index + 1}"


def _mode(shell: Any, runs_on: str | None) -> Mode | None:
    default = WINDOWS_MODE if runs_on and "windows" in runs_on.lower() else DEFAULT_MODE
    return mode_for_shell(as_text(shell), default=default)


def _runs_on_failure(condition: str | None) -> bool:
    return bool(condition and _RUNS_ON_FAILURE.search(condition))


class _Reader:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.result = FileResult(entry={})

    def load(self) -> tuple[Any, Marks]:
        data, marks = load_yaml(text=self.text, file=self.path)
        return annotate(data, marks, self.text, self.path), marks

    def steps(
        self, steps: Any, base: tuple[str | int, ...], marks: Marks, *, job_id: str | None, job_key: str | None,
        job_name: str | None, runs_on: str | None, defaults: dict[str, Any], job_masks: tuple[Reason, ...],
        job_if: str | None, composite: bool,
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if steps is None:
            return out
        if not isinstance(steps, list):
            self.result.errors.append(error_entry(self.path, mark_line(marks, base), "steps: expected a list"))
            return out
        tested_before = False
        for index, step in enumerate(steps):
            spath = (*base, index)
            line = mark_line(marks, spath)
            if not isinstance(step, dict):
                self.result.errors.append(error_entry(self.path, line, f"step {index + 1}: expected a mapping"))
                continue
            name = as_text(step.get("name"))
            uses = parse_uses(step["uses"]) if "uses" in step else None
            run = step.get("run")
            label = name or _default_label(run, uses, index)
            shell = step.get("shell", defaults.get("shell"))
            wd = step.get("working-directory", defaults.get("working-directory"))
            coe = _bool_or_text(step.get("continue-on-error"))
            cond = as_text(step.get("if"))
            masks = list(job_masks)
            if coe is True:
                masks.append(Reason("continue-on-error: true on the step",
                                    mark_line(marks, (*spath, "continue-on-error")), path=self.path))
            hints = tuple(h for h in (job_id, job_name, name) if h)
            cwd = join_path(".", str(wd)) if wd is not None else "."
            record: dict[str, Any] = {
                "index": index, "line": line, "path": self.path, "name": name, "id": as_text(step.get("id")),
                "section": "steps",
                "uses": uses, "run": truncate(redact(str(as_text(run)))) if run is not None else None,
                "shell": as_text(shell), "working_directory": as_text(wd), "continue_on_error": coe, "if": cond,
                "test_commands": 0, "masked": False, "publishes_report": False,
            }
            report: ScriptReport | None = None
            source = None
            if run is not None:
                mode = _mode(shell, runs_on)
                if mode is not None:
                    source = ((chunk(run, line),), mode, cwd or ".")
                    report = analyze(source[0], mode, cwd=cwd or ".", hints=hints, outer=masks)
                else:
                    report = ScriptReport()
            elif uses is not None and uses["action"].lower().startswith("cypress-io/github-action"):
                report = ScriptReport()
                det = Detection("cypress", (uses["raw"],), ("e2e",), "tool", ())
                report.found.append(Found(line, f"uses: {uses['raw']}", det, None, cwd or ".", tuple(masks)))
            if report is not None:
                self.result.runs.append(RunSite(self.path, SYSTEM, job_id, job_key, label, index, line, report,
                                                hints, tuple(masks), source=source))
                for summary_line in report.summary_lines:
                    record["publishes_report"] = True
                    self.result.reports.append(self._report(job_id, label, summary_line, "step-summary", None,
                                                            ["$GITHUB_STEP_SUMMARY"], True))
            if uses is not None and uses["pin"] == "local" and uses["local_path"]:
                self.result.calls.append(LocalCall(self.path, job_id, job_key, label, index, line,
                                                   uses["local_path"], tuple(masks), hints))
            if uses is not None:
                publish = self._publish(step, uses, job_id, label, line,
                                        _runs_on_failure(cond) or (_runs_on_failure(job_if) and not tested_before))
                record["publishes_report"] = record["publishes_report"] or publish
            if report is not None and any(f.detection for f in report.found):
                tested_before = True
            record["composite"] = composite
            out.append(record)
        return out

    def _publish(self, step: dict[str, Any], uses: dict[str, Any], job: str | None, label: str, line: int,
                 on_failure: bool) -> bool:
        action = str(uses["action"]).lower()
        with_ = mapping(step.get("with"))
        files: list[str] = []
        for key in _REPORT_WITH_KEYS:
            if key in with_ and key != "name":
                files.extend(x.strip() for x in str(as_text(with_[key])).splitlines() if x.strip())
        if any(action.startswith(r) for r in REPORTER_ACTIONS):
            self.result.reports.append(self._report(job, label, line, "test-reporter", uses["raw"], files, on_failure))
            return True
        if action in ("actions/upload-artifact", "actions/upload-artifact/merge"):
            name = str(as_text(with_.get("name")) or "")
            if any(_REPORT_FILES.search(f) for f in files) or _REPORT_FILES.search(name):
                self.result.reports.append(self._report(job, label, line, "artifact", uses["raw"], files,
                                                        on_failure))
                return True
        return False

    def _report(self, job: str | None, step: str, line: int, kind: str, action: str | None, files: list[str],
                on_failure: bool) -> dict[str, Any]:
        return {"path": self.path, "line": line, "system": SYSTEM, "job": job, "step": step, "kind": kind,
                "action": action, "files": files, "on_failure": on_failure}


def parse_workflow(path: str, text: str) -> FileResult:
    """One workflow file. Raises ``ConfigError`` when the YAML itself is broken (the caller records it)."""
    reader = _Reader(path, text)
    data, marks = reader.load()
    res = reader.result
    if not isinstance(data, dict):
        res.errors.append(error_entry(path, 1, "a workflow must be a mapping"))
        data = {}
    triggers = _triggers(data.get("on"), marks)
    wf_defaults = _defaults(data.get("defaults"))
    jobs = data.get("jobs")
    if jobs is not None and not isinstance(jobs, dict):
        res.errors.append(error_entry(path, mark_line(marks, ("jobs",)), "jobs: expected a mapping"))
        jobs = {}
    if jobs and len(jobs) > MAX_JOBS:
        res.errors.append(error_entry(path, mark_line(marks, ("jobs",)),
                                      f"{len(jobs)} jobs, over the limit of {MAX_JOBS} per workflow; jobs not read"))
        jobs = {}
    calls: list[str] = []
    for job_id, job in (jobs or {}).items():
        jpath = ("jobs", job_id)
        jline = mark_line(marks, jpath, key=True)
        if not isinstance(job, dict):
            res.errors.append(error_entry(path, jline, f"job {job_id}: expected a mapping"))
            continue
        key = f"{path}#{job_id}"
        runs_on = as_text(job.get("runs-on"))
        coe = _bool_or_text(job.get("continue-on-error"))
        masks = (Reason("continue-on-error: true on the job", mark_line(marks, (*jpath, "continue-on-error")),
                        path=path),) if coe is True else ()
        uses = parse_uses(job["uses"]) if "uses" in job else None
        if uses is not None:
            calls.append(uses["local_path"] or uses["raw"])
        defaults = {**wf_defaults, **_defaults(job.get("defaults"))}
        container = job.get("container")
        steps = reader.steps(
            job.get("steps"), (*jpath, "steps"), marks, job_id=job_id, job_key=key, job_name=as_text(job.get("name")),
            runs_on=runs_on, defaults=defaults, job_masks=masks, job_if=as_text(job.get("if")), composite=False,
        )
        services = job.get("services")
        res.jobs.append(_job(
            key=key, id=job_id, name=as_text(job.get("name")), path=path, line=jline, system=SYSTEM,
            kind="reusable-call" if uses is not None else "job", runs_on=runs_on,
            container=as_text(container.get("image") if isinstance(container, dict) else container),
            needs=text_list(job.get("needs")), condition=as_text(job.get("if")), continue_on_error=coe,
            timeout_minutes=_int_or_text(job.get("timeout-minutes")),
            environment=as_text(job["environment"].get("name") if isinstance(job.get("environment"), dict)
                                else job.get("environment")),
            matrix=matrix_facts(job.get("strategy")),
            services=sorted(str(s) for s in services) if isinstance(services, dict) else [],
            uses=uses, steps=steps,
        ))
    res.entry = _entry(SYSTEM, "workflow", as_text(data.get("name")), res,
                       events=[t["event"] for t in triggers], triggers=triggers, calls=sorted(set(calls)))
    return res


def parse_action(path: str, text: str) -> FileResult:
    """A local action's ``action.yml``: composite actions have steps; others are recorded by kind."""
    reader = _Reader(path, text)
    data, marks = reader.load()
    res = reader.result
    if not isinstance(data, dict):
        res.errors.append(error_entry(path, 1, "an action must be a mapping"))
        data = {}
    runs = mapping(data.get("runs"))
    using = str(as_text(runs.get("using")) or "")
    action_dir = posixpath.dirname(path) or "."
    steps: list[dict[str, Any]] = []
    if using == "composite":
        steps = reader.steps(runs.get("steps"), ("runs", "steps"), marks, job_id=None, job_key=None,
                             job_name=None, runs_on=None, defaults={}, job_masks=(), job_if=None, composite=True)
    kind = "composite-action" if using == "composite" else ("docker-action" if using == "docker" else
                                                              "javascript-action" if using.startswith("node") else
                                                              "action")
    res.actions.append({
        "path": path, "line": 1, "id": action_dir, "name": as_text(data.get("name")), "using": using or None,
        "steps": steps, "counts": _counts(steps),
    })
    res.entry = _entry(SYSTEM, kind, as_text(data.get("name")), res, events=[], triggers=[], calls=[])
    return res


def _defaults(value: Any) -> dict[str, Any]:
    if isinstance(value, dict) and isinstance(value.get("run"), dict):
        return {k: v for k, v in value["run"].items() if k in ("shell", "working-directory")}
    return {}


def _counts(steps: list[dict[str, Any]]) -> dict[str, int]:
    return {"steps": len(steps), "run_steps": sum(1 for s in steps if s["run"] is not None)}


def _job(**kw: Any) -> dict[str, Any]:
    """A job record with every field present (GitLab-only fields null), in the order the schema lists."""
    steps = kw.pop("steps")
    record = {
        "key": kw["key"], "id": kw["id"], "name": kw.get("name"), "path": kw["path"], "line": kw["line"],
        "system": kw["system"], "kind": kw["kind"], "runs_on": kw.get("runs_on"), "container": kw.get("container"),
        "needs": kw.get("needs", []), "if": kw.get("condition"), "continue_on_error": kw.get("continue_on_error"),
        "timeout_minutes": kw.get("timeout_minutes"), "environment": kw.get("environment"),
        "matrix": kw.get("matrix"), "services": kw.get("services", []), "uses": kw.get("uses"),
        "stage": kw.get("stage"), "allow_failure": kw.get("allow_failure"), "when": kw.get("when"),
        "extends": kw.get("extends", []), "rules": kw.get("rules", []), "only": kw.get("only"),
        "except": kw.get("except_"), "junit_reports": kw.get("junit_reports", []),
        "steps": steps,
    }
    record["counts"] = {**_counts(steps), "test_commands": 0, "masked": 0}
    return record


job_record = _job


def _entry(system: str, kind: str, name: str | None, res: FileResult, **extra: Any) -> dict[str, Any]:
    steps = [s for j in res.jobs for s in j["steps"]] + [s for a in res.actions for s in a["steps"]]
    return {
        "system": system, "kind": kind, "name": name,
        "jobs": [j["id"] for j in res.jobs],
        "counts": {"jobs": len(res.jobs), **_counts(steps), "test_commands": 0, "masked": 0},
        "events": sorted(set(extra.get("events", []))), "triggers": extra.get("triggers", []),
        "calls": extra.get("calls", []), "includes": extra.get("includes", []),
        "included_by": extra.get("included_by", []), "stages": extra.get("stages", []),
        "errors": len(res.errors),
    }


file_entry = _entry
__all__ = ["Src", "file_entry", "job_record", "matrix_facts", "parse_action", "parse_uses", "parse_workflow"]
