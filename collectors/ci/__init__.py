"""``ci``: what the repository's CI runs, and whether a failing test can go unnoticed.

Reads GitHub Actions workflows and local actions (``ci_github``), GitLab CI with its local includes
(``ci_gitlab``), and the minimal shape of Jenkins, CircleCI, Azure Pipelines and ``.ci/*`` scripts. Every
shell script goes through the same analysis (``ci_commands``): the test commands it runs (tool, kind,
the component it targets) and the reasons a failure would be masked. Scripts, make targets and npm
scripts that CI invokes, and local composite actions a job uses, are followed (bounded) so their test
commands count for the calling job. A broken file is an ``errors`` entry; the rest is still collected.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from anops_policy.collectors.ci.commands import (
    KIND_ORDER,
    FileResult,
    Found,
    LocalCall,
    Mode,
    Reason,
    RunSite,
    ScriptReport,
    analyze,
    annotate,
    as_text,
    chunk,
    error_entry,
    expand_make_vars,
    join_path,
    mapping,
    mark_line,
    mode_for_shell,
    mode_from_shebang,
    package_scripts,
    parse_makefile,
    redact,
    sequence,
    text_list,
    truncate,
)
from anops_policy.collectors.ci.github import file_entry, job_record, parse_action, parse_workflow
from anops_policy.collectors.ci.gitlab import parse_gitlab

from anops_policy.collection.collector import CollectContext
from anops_policy.errors import ConfigError
from anops_policy.yamlsafe import load_yaml

MAX_EXPANSION_DEPTH = 4
MAX_TEST_COMMANDS = 5000
DEFAULT_SCRIPTS = (".ci/*", "ci/*.sh")
# Jenkins reads the Jenkinsfile at the root unless the job names another script path; these are the usual
# ones. A Jenkinsfile deeper in the tree (a fixture, a vendored project) is not this repository's CI.
DEFAULT_JENKINSFILES = ("/Jenkinsfile", "/Jenkinsfile.*", "/*.jenkinsfile", "/ci/**/Jenkinsfile*",
                        "/.ci/**/Jenkinsfile*", "/jenkins/**/Jenkinsfile*", "/.jenkins/**/Jenkinsfile*")
JENKINS_MODE = Mode(True, False, "Jenkins sh (sh -xe)")
CIRCLE_MODE = Mode(True, True, "CircleCI's shell (/bin/bash -eo pipefail)")
AZURE_MODE = Mode(False, False, "Azure Pipelines script (bash without -e)")
MAKE_MODE = Mode(False, False, "make recipe line (sh -c)")
NPM_MODE = Mode(False, False, "npm run-script (sh -c)")
_ALWAYS = re.compile(r"always\(\)|failure\(\)|failed\(\)|succeededOrFailed\(\)|!\s*cancelled\(\)")


@dataclass
class _Expansion:
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


class CiCollector:
    name = "ci"
    version = "1"
    depends_on: tuple[str, ...] = ("layout",)

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        section: dict[str, Any] = _plain(_Run(ctx).collect())
        return section


class _Run:
    def __init__(self, ctx: CollectContext) -> None:
        self.ctx = ctx
        self.files = ctx.files()
        self.file_set = set(self.files)
        self.options = ctx.options("ci")
        layout = ctx.facts.get("layout") or {}
        self.components = [(str(c.get("name")), str(c.get("path") or c.get("name")).strip("/") or ".")
                           for c in layout.get("components", []) if isinstance(c, dict)]
        self.e2e = [str(p).strip("/") for p in layout.get("e2e", [])]
        self.results: dict[str, FileResult] = {}
        self.errors: list[dict[str, Any]] = []
        self.tests: list[dict[str, Any]] = []
        self.reports: list[dict[str, Any]] = []
        self.expanded_scripts: set[str] = set()
        self.dropped = 0  # test commands found beyond MAX_TEST_COMMANDS (bounded memory, said in the counts)
        self.makefiles: dict[str, Any] = {}

    # ---- reading -----------------------------------------------------------------------------------
    def _read(self, path: str) -> str | None:
        return self.ctx.read_text(path)

    def _add(self, path: str, system: str, kind: str, parse: Any) -> FileResult | None:
        text = self._read(path)
        if text is None:
            res = FileResult(entry={}, errors=[error_entry(path, None, "not read (see the collector's skips)")])
        else:
            try:
                res = parse(path, text)
            except ConfigError as exc:
                res = FileResult(entry={}, errors=[error_entry(path, _line_of(str(exc), path), str(exc))])
        if not res.entry:
            res.entry = file_entry(system, kind, None, res)
        self.results[path] = res
        return res

    def collect(self) -> dict[str, Any]:
        workflows = [p for p in self.files if re.fullmatch(r"\.github/workflows/[^/]+\.ya?ml", p)]
        for path in workflows:
            self._add(path, "github-actions", "workflow", parse_workflow)
        actions = [p for p in self.files if re.fullmatch(r"(\.github/actions/.+/|)action\.ya?ml", p)]
        for path in actions:
            self._add(path, "github-actions", "action", parse_action)
        for res in list(self.results.values()):  # local actions used from elsewhere in the tree
            for call in res.calls:
                target = self._action_file(call.target)
                if target and target not in self.results:
                    self._add(target, "github-actions", "action", parse_action)
        gitlab_root = str(self.options.get("gitlab_ci") or ".gitlab-ci.yml")
        if gitlab_root in self.file_set:
            for path, res in parse_gitlab(self._read, self.files, gitlab_root):
                self.results[path] = res
        jenkinsfiles = [str(g) for g in self.options.get("jenkinsfiles", DEFAULT_JENKINSFILES)]
        for path in self.ctx.glob(jenkinsfiles):
            self._add(path, "jenkins", "jenkinsfile", _parse_jenkins)
        for path in self.files:
            if path in (".circleci/config.yml", ".circleci/config.yaml"):
                self._add(path, "circleci", "config", _parse_circleci)
            elif re.fullmatch(r"(azure-pipelines|\.azure-pipelines/.+)\.ya?ml", path):
                self._add(path, "azure-pipelines", "pipeline", _parse_azure)
        script_globs = [str(g) for g in self.options.get("scripts", DEFAULT_SCRIPTS)]
        for path in self.ctx.glob(script_globs):
            if path not in self.results and posixpath.splitext(path)[1] in ("", ".sh", ".bash"):
                self._add(path, "script", "script", _parse_script)
        self._expand_all()
        return self._section()

    def _action_file(self, directory: str) -> str | None:
        for name in ("action.yml", "action.yaml"):
            candidate = f"{directory}/{name}" if directory not in (".", "") else name
            if candidate in self.file_set:
                return candidate
        return None

    # ---- following what CI runs --------------------------------------------------------------------
    def _expand_all(self) -> None:
        for _path, res in sorted(self.results.items()):
            if res.entry.get("kind") in ("composite-action", "action", "docker-action", "javascript-action"):
                continue  # a local action's commands run where a job uses it (see _composite)
            if res.entry.get("system") == "script":
                continue
            self._sites(res)
        for path, res in sorted(self.results.items()):
            # a .ci script counts on its own only when no CI configuration already ran it
            if res.entry.get("system") == "script" and path not in self.expanded_scripts:
                self._sites(res)
        for res in self.results.values():
            self.reports.extend(res.reports)
            self.errors.extend(res.errors)

    def _sites(self, res: FileResult) -> None:
        for site in res.runs:
            exp = _Expansion(site.system, site.job, site.job_key, site.step, site.step_index, site.step_line,
                             site.path, site.hints)
            self._emit(site.report, exp, site.chunk_paths or (site.path,), 0)
        for call in res.calls:
            self._composite(call, [], 0)

    def _composite(self, call: LocalCall, via: list[dict[str, Any]], depth: int) -> None:
        target = self._action_file(call.target)
        if target is None or depth >= MAX_EXPANSION_DEPTH:
            return
        action = self.results.get(target)
        if action is None:
            return
        chain = [*via, {"path": call.path, "line": call.step_line}]
        for site in action.runs:
            if site.source is None:
                continue
            chunks, mode, cwd = site.source
            report = analyze(chunks, mode, cwd=cwd, hints=call.hints, outer=(*call.masks, *site.masks))
            exp = _Expansion("github-actions", call.job, call.job_key, f"{call.step} > {site.step}",
                             call.step_index, call.step_line, call.path, call.hints, chain)
            self._emit(report, exp, (site.path,), depth + 1)
        for inner in action.calls:
            nested = LocalCall(call.path, call.job, call.job_key, call.step, call.step_index, call.step_line,
                               inner.target, (*call.masks, *inner.masks), call.hints)
            self._composite(nested, chain, depth + 1)

    def _emit(self, report: ScriptReport, exp: _Expansion, chunk_paths: Sequence[str], depth: int) -> None:
        for found in report.found:
            path = chunk_paths[found.chunk] if found.chunk < len(chunk_paths) else chunk_paths[0]
            if found.detection is not None:
                if len(self.tests) < MAX_TEST_COMMANDS:
                    self.tests.append(self._entry(found, path, exp, chunk_paths))
                else:
                    self.dropped += 1
            if found.invocation is not None and depth < MAX_EXPANSION_DEPTH:
                self._invoke(found, path, exp, depth)

    def _invoke(self, found: Found, path: str, exp: _Expansion, depth: int) -> None:
        inv = found.invocation
        assert inv is not None
        via = [*exp.via, {"path": path, "line": found.line}]
        sub = _Expansion(exp.system, exp.job, exp.job_key, exp.step, exp.step_index, exp.step_line,
                         exp.step_path, exp.hints, via)
        outer = tuple(_with_path(r, path) for r in found.reasons)
        if inv.kind == "script":
            target = join_path(found.cwd, inv.name)
            if target is None or target not in self.file_set:
                return
            text = self._read(target)
            if text is None:
                return
            self.expanded_scripts.add(target)
            report = analyze([(text, 1, True)], mode_from_shebang(text), cwd=found.cwd, hints=exp.hints,
                             outer=outer)
            self._emit(report, sub, (target,), depth + 1)
        elif inv.kind == "make":
            directory = join_path(found.cwd, inv.chdir) if inv.chdir else found.cwd
            if directory is None:
                return
            self._make(directory, inv.makefile, inv.name.split(), outer, sub, depth, set())
        elif inv.kind == "npm":
            directory = join_path(found.cwd, inv.chdir) if inv.chdir else found.cwd
            pkg = posixpath.normpath(posixpath.join(directory or ".", "package.json"))
            if pkg not in self.file_set:
                return
            text = self._read(pkg)
            scripts = package_scripts(text) if text else {}
            if inv.name in scripts:
                line, command = scripts[inv.name]
                report = analyze([(command, line, False)], NPM_MODE, cwd=directory or ".", hints=exp.hints,
                                 outer=outer)
                self._emit(report, sub, (pkg,), depth + 1)

    def _make(self, directory: str, makefile: str | None, goals: list[str], outer: tuple[Reason, ...],
              exp: _Expansion, depth: int, seen: set[str]) -> None:
        names = [makefile] if makefile else ["GNUmakefile", "makefile", "Makefile"]
        path = next((p for p in (posixpath.normpath(posixpath.join(directory, n)) for n in names)
                     if p in self.file_set), None)
        if path is None:
            return
        if path not in self.makefiles:
            text = self._read(path)
            self.makefiles[path] = parse_makefile(text) if text is not None else ({}, {}, None)
        rules, variables, default = self.makefiles[path]
        for goal in goals or ([default] if default else []):
            if goal in seen or goal not in rules or len(seen) > 50:
                continue
            seen.add(goal)
            rule = rules[goal]
            self._make(directory, makefile, rule.prereqs, outer, exp, depth, seen)
            for line, raw in rule.recipe:
                body = raw.lstrip()
                prefix = re.match(r"^[@+\-]*", body)
                flags = prefix.group(0) if prefix else ""
                reasons = list(outer)
                if "-" in flags:
                    reasons.append(Reason("make's '-' prefix ignores this recipe line's failure", line, path=path))
                text = expand_make_vars(body[len(flags):], variables)
                report = analyze([(text, line, True)], MAKE_MODE, cwd=directory, hints=exp.hints, outer=reasons)
                self._emit(report, exp, (path,), depth + 1)

    # ---- one test command ---------------------------------------------------------------------------
    def _entry(self, found: Found, path: str, exp: _Expansion, chunk_paths: Sequence[str]) -> dict[str, Any]:
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
        if self.e2e and any(_covers(t, e) for t in targets for e in self.e2e) and "e2e" not in kinds:
            kinds.append("e2e")
            source = "config"
        elif self.e2e and "e2e" in kinds and any(_covers(t, e) for t in targets for e in self.e2e):
            source = "config" if source in ("default", "job") else source
        kinds_sorted = [k for k in KIND_ORDER if k in kinds]
        components = sorted({name for name, cpath in self.components for t in targets if _within(t, cpath)})
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

    # ---- the section ---------------------------------------------------------------------------------
    def _section(self) -> dict[str, Any]:
        layout_e2e = (self.ctx.facts.get("layout") or {}).get("e2e", [])
        e2e = set(self.e2e) | {str(p) for p in layout_e2e}
        tests = sorted(self.tests, key=lambda t: (t["step_path"], t["step_line"], t["path"], t["line"],
                                                  t["command"]))
        jobs = sorted((j for r in self.results.values() for j in r.jobs), key=lambda j: (j["path"], j["line"], j["id"]))
        actions = sorted((a for r in self.results.values() for a in r.actions), key=lambda a: a["path"])
        job_by_key = {j["key"]: j for j in jobs}
        by_path = {path: res.entry for path, res in sorted(self.results.items())}
        for test in tests:
            job = job_by_key.get(test["job_key"] or "")
            if job is not None:
                job["counts"]["test_commands"] += 1
                job["counts"]["masked"] += int(test["masked"])
                if test["step_index"] is not None and test["step_index"] < len(job["steps"]):
                    step = next((s for s in job["steps"] if s["index"] == test["step_index"]), None)
                    if step is not None:
                        step["test_commands"] += 1
                        step["masked"] = step["masked"] or test["masked"]
                owner = by_path.get(job["path"])
                if owner is not None:
                    owner["counts"]["test_commands"] += 1
                    owner["counts"]["masked"] += int(test["masked"])
            elif test["step_path"] in by_path:
                by_path[test["step_path"]]["counts"]["test_commands"] += 1
                by_path[test["step_path"]]["counts"]["masked"] += int(test["masked"])
        masked_steps: dict[tuple[str, int, str], dict[str, Any]] = {}
        for test in tests:
            if not test["masked"]:
                continue
            key = (test["step_path"], test["step_line"], test["job_key"] or "")
            entry = masked_steps.setdefault(key, {
                "path": test["step_path"], "line": test["step_line"], "system": test["system"], "job": test["job"],
                "job_key": test["job_key"], "step": test["step"], "commands": [], "kinds": [], "reasons": [],
            })
            entry["commands"].append(test["command"])
            entry["kinds"] = [k for k in KIND_ORDER if k in set(entry["kinds"]) | set(test["kinds"])]
            for reason in test["masking"]:
                if reason not in entry["reasons"]:
                    entry["reasons"].append(reason)
        reports = sorted(self.reports, key=lambda r: (r["path"], r["line"], r["kind"]))
        errors = sorted(self.errors, key=lambda e: (e["path"], e["line"] or 0, e["message"]))
        systems = sorted({e["system"] for e in by_path.values()})
        steps_all = [s for j in jobs for s in j["steps"]] + [s for a in actions for s in a["steps"]]
        pins: dict[str, int] = {}
        for use in [s["uses"] for s in steps_all if s["uses"]] + [j["uses"] for j in jobs if j["uses"]]:
            pins[use["pin"]] = pins.get(use["pin"], 0) + 1
        by_system: dict[str, dict[str, int]] = {}
        for entry in by_path.values():
            agg = by_system.setdefault(entry["system"], {"files": 0, "jobs": 0, "steps": 0, "run_steps": 0,
                                                         "test_commands": 0, "masked": 0})
            agg["files"] += 1
            for k in ("jobs", "steps", "run_steps", "test_commands", "masked"):
                agg[k] += entry["counts"][k]
        components = {}
        for name, cpath in sorted(self.components):
            mine = [t for t in tests if name in t["components"]]
            clean = [t for t in mine if not t["masked"]]
            components[name] = {
                "path": cpath, "test_commands": len(mine), "unmasked": len(clean),
                "kinds": [k for k in KIND_ORDER if any(k in t["kinds"] for t in mine)],
                "unmasked_kinds": [k for k in KIND_ORDER if any(k in t["kinds"] for t in clean)],
            }
        masked_count = sum(1 for t in tests if t["masked"])
        return {
            "present": bool(by_path),
            "systems": systems,
            "files": sorted(by_path),
            "events": sorted({e for entry in by_path.values() for e in entry["events"]}),
            "counts": {
                "files": len(by_path),
                "workflows": sum(1 for e in by_path.values() if e["kind"] == "workflow"),
                "jobs": len(jobs), "steps": len(steps_all),
                "run_steps": sum(1 for s in steps_all if s["run"] is not None),
                "composite_actions": sum(1 for e in by_path.values() if e["kind"] == "composite-action"),
                "test_commands": len(tests), "masked": masked_count, "masked_steps": len(masked_steps),
                "reports": len(reports), "errors": len(errors), "dropped_test_commands": self.dropped,
            },
            "counts_by_system": by_system,
            "kinds_run": sorted({k for t in tests for k in t["kinds"]}),
            "kinds_run_unmasked": sorted({k for t in tests if not t["masked"] for k in t["kinds"]}),
            "tools_run": sorted({t["tool"] for t in tests}),
            "test_commands": tests,
            # the few commands that may run the e2e suite: a policy scans these, not every test command
            "e2e_test_commands": [t for t in tests if "e2e" in t["kinds"] or any(x in e2e for x in t["targets"])],
            "masked_test_steps": sorted(masked_steps.values(), key=lambda m: (m["path"], m["line"])),
            "components": components,
            "reports_published": bool(reports),
            "reports_on_failure": any(r["on_failure"] for r in reports),
            "reports": reports,
            "report_files": sorted({t["report_path"] for t in tests if t["report_path"]}),
            "actions_by_pin": dict(sorted(pins.items())),
            "by_path": by_path,
            "jobs": jobs,
            "actions": actions,
            "errors": errors,
        }


def _plain(value: Any) -> Any:
    """The section with plain ``str`` everywhere: the readers' line-carrying ``Src`` strings must not leak
    into the fact document (it is deep-copied and hashed)."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _with_path(reason: Reason, path: str) -> Reason:
    return reason if reason.path else Reason(reason.text, reason.line, reason.chunk, path)


def _within(target: str, base: str) -> bool:
    return base in (".", target) or target.startswith(base + "/")


def _covers(target: str, e2e_path: str) -> bool:
    """A test run on ``target`` includes the configured e2e path (the same file, or a directory above it)."""
    if target == ".":
        return False  # a run at the root says nothing about which suites it collects
    return target == e2e_path or e2e_path.startswith(target + "/") or target.startswith(e2e_path + "/")


def _line_of(message: str, path: str) -> int | None:
    rest = message[len(path) + 1:] if message.startswith(path + ":") else ""
    head = rest.split(":", 1)[0]
    return int(head) if head.isdigit() else None


def _step(index: int, line: int, path: str, *, name: str | None, section: str, run: str | None,
          shell: str | None = None, wd: str | None = None, coe: bool | str | None = None,
          cond: str | None = None) -> dict[str, Any]:
    return {"index": index, "line": line, "path": path, "name": name, "id": None, "section": section, "uses": None,
            "run": truncate(redact(run)) if run is not None else None, "shell": shell, "working_directory": wd,
            "continue_on_error": coe, "if": cond, "test_commands": 0, "masked": False, "publishes_report": False,
            "composite": False}


# ---- other CI systems (presence and minimal facts) ---------------------------------------------------

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


def _parse_jenkins(path: str, text: str) -> FileResult:
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
        step = _step(len(job["steps"]), line, path, name=m.group(1), section="sh", run=script)
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
        mode = JENKINS_MODE if m.group(1) == "sh" else Mode(False, False, m.group(1))
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


def _load(path: str, text: str) -> tuple[Any, Any]:
    data, marks = load_yaml(text, path)
    return annotate(data, marks, text, path), marks


def _parse_circleci(path: str, text: str) -> FileResult:
    data, marks = _load(path, text)
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
                steps.append(_step(index, line, path, name=as_text(step), section="steps", run=None))
                continue
            kind, body = next(iter(step.items()))
            if kind == "run":
                spec = body if isinstance(body, dict) else {"command": body}
                command = spec.get("command")
                shell = as_text(spec.get("shell")) or job_shell
                wd = as_text(spec.get("working_directory"))
                steps.append(_step(index, line, path, name=as_text(spec.get("name")), section="steps",
                                   run=str(as_text(command) or ""), shell=shell, wd=wd, cond=as_text(spec.get("when"))))
                mode = mode_for_shell(shell, default=CIRCLE_MODE) if shell else CIRCLE_MODE
                if mode is not None and command is not None:
                    cwd = join_path(".", wd) if wd and not wd.startswith("~") else "."
                    report = analyze([chunk(command, line)], mode, cwd=cwd or ".", hints=(job_id,))
                    res.runs.append(RunSite(path, "circleci", job_id, key, as_text(spec.get("name")) or f"#{index + 1}",
                                            index, line, report, (job_id,)))
            else:
                steps.append(_step(index, line, path, name=str(kind), section="steps", run=None))
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


def _parse_azure(path: str, text: str) -> FileResult:
    data, marks = _load(path, text)
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
                steps.append(_step(index, line, path, name=as_text(step.get("displayName")), section="steps",
                                   run=str(as_text(script)), shell=kind, wd=as_text(step.get("workingDirectory")),
                                   coe=coe, cond=cond))
                step_masks = [*masks]
                if coe:
                    step_masks.append(Reason("continueOnError: true on the step", line, path=path))
                mode = AZURE_MODE if kind in ("script", "bash") else Mode(False, False, kind)
                wd = as_text(step.get("workingDirectory"))
                report = analyze([chunk(script, line)], mode, cwd=join_path(".", wd) or "." if wd else ".",
                                 hints=(job_id,), outer=step_masks)
                res.runs.append(RunSite(path, "azure-pipelines", job_id, key,
                                        as_text(step.get("displayName")) or f"#{index + 1}", index, line, report,
                                        (job_id,), tuple(step_masks)))
            else:
                task = as_text(step.get("task")) or as_text(step.get("template")) or as_text(step.get("checkout"))
                steps.append(_step(index, line, path, name=task, section="steps", run=None, coe=coe, cond=cond))
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


def _parse_script(path: str, text: str) -> FileResult:
    """A ``.ci/run``-style script: one job, one run step, analysed with its shebang's shell."""
    res = FileResult(entry={})
    key = f"{path}#run"
    report = analyze([(text, 1, True)], mode_from_shebang(text), hints=(path,))
    res.runs.append(RunSite(path, "script", "run", key, path, 0, 1, report, (path,)))
    step = _step(0, 1, path, name=path, section="script", run=text)
    res.jobs.append(job_record(key=key, id="run", name=path, path=path, line=1, system="script", kind="script",
                               steps=[step]))
    res.entry = file_entry("script", "script", None, res)
    return res
