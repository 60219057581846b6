"""GitLab CI: ``.gitlab-ci.yml`` with its local ``include:`` files, resolved the way GitLab resolves them.

Order of resolution (GitLab's): included files are merged into the including file (hashes deep-merged,
the including file wins), then ``extends:`` (single or list, multi-level, deep merge, the job wins),
then ``!reference [job, key, ...]`` tags (kept as ``{"reference": [...]}`` when the target is not in
the pipeline), then ``default:`` (and the legacy top-level ``before_script``/``after_script``...) for
keys a job does not set, unless ``inherit: default:`` says otherwise. Hidden jobs (``.name``) are
templates, not jobs. ``before_script`` + ``script`` run in one shell (bash with ``set -eo pipefail``);
``after_script`` runs in another and its failures never fail the job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pathspec
import yaml
from anops_policy.collectors.ci.analysis import ScriptReport, analyze
from anops_policy.collectors.ci.github import file_entry, job_record
from anops_policy.collectors.ci.masking import Reason
from anops_policy.collectors.ci.records import FileResult, RunSite, error_entry
from anops_policy.collectors.ci.redaction import redact
from anops_policy.collectors.ci.shell_modes import Mode
from anops_policy.collectors.ci.values import as_text, mapping, sequence, text_list, truncate
from anops_policy.collectors.ci.yaml_source import Src, annotate, mark_line

from anops_policy.errors import ConfigError
from anops_policy.yamlsafe import Marks, load_yaml

SYSTEM = "gitlab-ci"
ROOT = ".gitlab-ci.yml"
RESERVED = {"default", "include", "stages", "variables", "workflow", "image", "services", "cache", "before_script",
            "after_script", "types", "spec", "pages:deploy"}
DEFAULT_KEYS = ("before_script", "after_script", "image", "services", "artifacts", "cache", "retry", "timeout",
                "interruptible", "tags", "hooks", "id_tokens")
LEGACY_GLOBALS = ("before_script", "after_script", "image", "services", "cache")
DEFAULT_STAGES = [".pre", "build", "test", "deploy", ".post"]
GITLAB_MODE = Mode(True, True, "GitLab's job shell (set -eo pipefail)")
MAX_INCLUDES = 150
MAX_JOBS = 1000  # as for GitHub workflows: thousands of jobs only come from a hostile or generated file
MAX_EXTENDS_DEPTH = 11
MAX_REFERENCE_DEPTH = 10


class Reference(dict[str, Any]):
    """A ``!reference [job, key, ...]`` tag as loaded: ``{"reference": [...]}``."""


def _reference(node: yaml.Node) -> Reference:
    if isinstance(node, yaml.SequenceNode):
        return Reference(reference=[str(n.value) if isinstance(n, yaml.ScalarNode) else "?" for n in node.value])
    return Reference(reference=[str(getattr(node, "value", ""))])


def load_gitlab_yaml(text: str, path: str) -> tuple[Any, Marks]:
    """Load one GitLab CI file (``!reference`` allowed) and annotate its strings with their lines."""
    data, marks = load_yaml(text, path, extra_tags={"!reference": _reference})
    return annotate(data, marks, text, path), marks


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """GitLab's merge: mappings merge key by key, anything else (lists included) is replaced."""
    out = dict(base)
    for key, value in over.items():
        old = out.get(key)
        if isinstance(old, dict) and isinstance(value, dict) and not isinstance(old, Reference) \
                and not isinstance(value, Reference):
            out[key] = deep_merge(old, value)
        else:
            out[key] = value
    return out


@dataclass
class _File:
    path: str
    data: dict[str, Any]
    marks: Marks
    result: FileResult


class GitLabReader:
    def __init__(self, read: Callable[[str], str | None], files: list[str], root: str = ROOT) -> None:
        self.read = read
        self.files = files
        self.file_set = set(files)
        self.root = root
        self.loaded: dict[str, _File | None] = {}
        self.order: list[str] = []
        self.origin: dict[str, tuple[str, int]] = {}
        self.includes: list[dict[str, Any]] = []
        self.included_by: dict[str, list[str]] = {}
        self.merged: dict[str, Any] = {}
        self.resolved: dict[str, dict[str, Any]] = {}
        self.include_count = 0

    # -- files and includes
    def _load(self, path: str) -> _File | None:
        if path in self.loaded:
            return self.loaded[path]
        self.loaded[path] = None
        self.order.append(path)
        result = FileResult(entry={})
        text = self.read(path)
        if text is None:
            result.errors.append(error_entry(path, None, "cannot be read (skipped: see the collector's skips)"))
            self._placeholder(path, result)
            return None
        try:
            data, marks = load_gitlab_yaml(text, path)
        except ConfigError as exc:
            result.errors.append(error_entry(path, _line_of(str(exc), path), str(exc)))
            self._placeholder(path, result)
            return None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            result.errors.append(error_entry(path, 1, "a GitLab CI file must be a mapping"))
            data = {}
        loaded = _File(path, data, marks, result)
        self.loaded[path] = loaded
        return loaded

    def _placeholder(self, path: str, result: FileResult) -> None:
        self.loaded[path] = _File(path, {}, Marks(path), result)

    def _effective(self, path: str, stack: tuple[str, ...]) -> dict[str, Any]:
        loaded = self._load(path)
        if loaded is None:
            return {}
        merged: dict[str, Any] = {}
        for target in self._include_targets(loaded):
            if target in stack:
                loaded.result.errors.append(error_entry(path, None, f"include cycle through {target}"))
                continue
            self.include_count += 1
            if self.include_count > MAX_INCLUDES:
                loaded.result.errors.append(error_entry(path, None, f"more than {MAX_INCLUDES} includes"))
                break
            self.included_by.setdefault(target, [])
            if path not in self.included_by[target]:
                self.included_by[target].append(path)
            merged = deep_merge(merged, self._effective(target, (*stack, target)))
        own = {k: v for k, v in loaded.data.items() if k != "include"}
        for key in own:
            self.origin[key] = (path, mark_line(loaded.marks, (key,), key=True))
        return deep_merge(merged, own)

    def _include_targets(self, loaded: _File) -> list[str]:
        raw = loaded.data.get("include")
        if raw is None:
            return []
        items = raw if isinstance(raw, list) else [raw]
        out: list[str] = []
        for index, item in enumerate(items):
            line = mark_line(loaded.marks, ("include", index) if isinstance(raw, list) else ("include",))
            kind, value = "local", ""
            if isinstance(item, str):
                value = str(item)
                if value.startswith(("http://", "https://")):
                    kind = "remote"
            elif isinstance(item, dict):
                for key in ("local", "remote", "template", "component", "project"):
                    if key in item:
                        kind, value = key, str(as_text(item[key]))
                        break
                if kind == "project":
                    value = f"{value}:{', '.join(text_list(item.get('file')))}"
            else:
                loaded.result.errors.append(error_entry(loaded.path, line, "include: unsupported entry"))
                continue
            resolved: list[str] = []
            if kind == "local":
                pattern = value.lstrip("/")
                if any(ch in pattern for ch in "*?["):
                    spec = pathspec.PathSpec.from_lines("gitignore", [pattern])
                    resolved = [f for f in self.files if spec.match_file(f) and f.endswith((".yml", ".yaml"))]
                elif pattern in self.file_set:
                    resolved = [pattern]
                if not resolved:
                    loaded.result.errors.append(
                        error_entry(loaded.path, line, f"include: local file {value} not found"))
            self.includes.append({"path": loaded.path, "line": line, "kind": kind, "value": value,
                                  "resolved": resolved})
            out.extend(resolved)
        return out

    # -- jobs
    def _resolve_job(self, name: str, stack: tuple[str, ...]) -> dict[str, Any]:
        if name in self.resolved:
            return self.resolved[name]
        job = self.merged.get(name)
        if not isinstance(job, dict):
            return {}
        result: dict[str, Any] = {}
        for parent in text_list(job.get("extends")):
            where = self.origin.get(name, (self.root, 0))
            if parent in stack or parent == name:
                self._error(where, f"job {name}: extends cycle through {parent}")
                continue
            if len(stack) >= MAX_EXTENDS_DEPTH:
                self._error(where, f"job {name}: extends nested deeper than {MAX_EXTENDS_DEPTH} levels")
                break
            if not isinstance(self.merged.get(parent), dict):
                self._error(where, f"job {name}: extends unknown job {parent}")
                continue
            result = deep_merge(result, self._resolve_job(parent, (*stack, name)))
        result = deep_merge(result, {k: v for k, v in job.items() if k != "extends"})
        self.resolved[name] = result
        return result

    def _error(self, where: tuple[str, int], message: str) -> None:
        loaded = self.loaded.get(where[0])
        if loaded is not None:
            loaded.result.errors.append(error_entry(where[0], where[1], message))

    def _dereference(self, value: Any, depth: int = 0) -> Any:
        if isinstance(value, Reference):
            target = [str(x) for x in value.get("reference", [])]
            if depth >= MAX_REFERENCE_DEPTH or not target:
                return value
            node: Any = self._resolve_job(target[0], ()) if target[0] in self.merged else None
            for key in target[1:]:
                node = node.get(key) if isinstance(node, dict) else None
            if node is None:
                return value
            return self._dereference(node, depth + 1)
        if isinstance(value, dict):
            return {k: self._dereference(v, depth) for k, v in value.items()}
        if isinstance(value, list):
            return [self._dereference(v, depth) for v in value]
        return value

    def run(self) -> list[tuple[str, FileResult]]:
        self.merged = self._effective(self.root, (self.root,))
        default = self._dereference(self.merged.get("default")) if isinstance(self.merged.get("default"), dict) \
            else {}
        for key in LEGACY_GLOBALS:
            if key in self.merged and key not in default:
                default[key] = self._dereference(self.merged[key])
        stages = text_list(self.merged.get("stages")) or DEFAULT_STAGES
        jobs: dict[str, list[dict[str, Any]]] = {}
        read = 0
        for name, body in self.merged.items():
            if name in RESERVED or name.startswith(".") or not isinstance(body, dict):
                continue
            path, line = self.origin.get(name, (self.root, 0))
            read += 1
            if read > MAX_JOBS:
                self._error((path, line), f"more than {MAX_JOBS} jobs in the pipeline; job {name} and later not read")
                break
            job = self._dereference(self._resolve_job(name, ()))
            job = self._with_defaults(job, default)
            owner = self.loaded.get(path)
            if owner is None:
                continue
            jobs.setdefault(path, []).append(self._job(name, job, path, line, owner.result))
        results: list[tuple[str, FileResult]] = []
        for path in self.order:
            loaded = self.loaded.get(path)
            if loaded is None:
                continue
            res = loaded.result
            res.jobs = sorted(jobs.get(path, []), key=lambda j: (j["line"], j["id"]))
            is_root = path == self.root
            res.entry = file_entry(
                SYSTEM, "pipeline" if is_root else "include", None, res,
                includes=[i for i in self.includes if i["path"] == path],
                included_by=sorted(self.included_by.get(path, [])),
                stages=stages if is_root else [],
            )
            results.append((path, res))
        return results

    @staticmethod
    def _with_defaults(job: dict[str, Any], default: dict[str, Any]) -> dict[str, Any]:
        if "trigger" in job:
            return job  # a trigger job starts a downstream pipeline; it runs no script of its own
        inherit = job.get("inherit")
        allowed: set[str] | None = None
        if isinstance(inherit, dict) and "default" in inherit:
            spec = inherit["default"]
            allowed = set() if spec is False else (set(text_list(spec)) if isinstance(spec, list) else None)
        out = dict(job)
        for key in DEFAULT_KEYS:
            if key in default and key not in out and (allowed is None or key in allowed):
                out[key] = default[key]
        return out

    def _job(self, name: str, job: dict[str, Any], path: str, line: int, res: FileResult) -> dict[str, Any]:
        key = f"{path}#{name}"
        allow = job.get("allow_failure")
        masks: list[Reason] = []
        allow_out: bool | dict[str, Any] | None = None
        if isinstance(allow, bool):
            allow_out = allow
            if allow:
                masks.append(Reason("allow_failure: true on the job", _line(allow, line), path=_path(allow, path)))
        elif isinstance(allow, dict):
            codes = [int(c) for c in text_list(allow.get("exit_codes")) if str(c).lstrip("-").isdigit()]
            allow_out = {"exit_codes": codes}
            if 1 in codes:
                masks.append(Reason(f"allow_failure: exit_codes {codes} includes 1 (a failing test run)", line,
                                    path=path))
        hints = (name,)
        steps: list[dict[str, Any]] = []
        sections: list[tuple[str, list[Src]]] = [(s, _flatten(job.get(s), path, line)) for s in
                                                 ("before_script", "script", "after_script")]
        for section, items in sections:
            for item in items:
                steps.append({
                    "index": len(steps), "line": item.line, "path": item.path, "name": None, "id": None,
                    "section": section, "uses": None, "run": truncate(redact(str(item))), "shell": None,
                    "working_directory": None, "continue_on_error": None, "if": None, "test_commands": 0,
                    "masked": False, "publishes_report": False, "composite": False,
                })
        main = [(s, it) for s, items in sections[:2] for it in items]
        self._analyse(res, name, key, steps, main, 0, masks, hints)
        after = sections[2][1]
        after_masks = [*masks, Reason("in after_script, whose failures do not fail the job",
                                      after[0].line if after else line, path=after[0].path if after else path)]
        self._analyse(res, name, key, steps, [("after_script", it) for it in after], len(main),
                      after_masks, hints)
        artifacts = mapping(job.get("artifacts"))
        reports = mapping(artifacts.get("reports"))
        junit = text_list(reports.get("junit"))
        if junit:
            when = str(as_text(artifacts.get("when")) or "on_success")
            res.reports.append({"path": _path(reports.get("junit"), path), "line": _line(reports.get("junit"), line),
                                "system": SYSTEM,
                                "job": name, "step": None, "kind": "gitlab-junit", "action": None, "files": junit,
                                "on_failure": when in ("always", "on_failure")})
        return job_record(
            key=key, id=name, name=name, path=path, line=line, system=SYSTEM, kind="job",
            runs_on=as_text(job.get("tags")), container=as_text(_image(job.get("image"))),
            needs=[str(as_text(n.get("job")) if isinstance(n, dict) else as_text(n)) for n in
                   sequence(job.get("needs"))],
            condition=None, continue_on_error=None, timeout_minutes=None,
            environment=as_text(job["environment"].get("name") if isinstance(job.get("environment"), dict)
                                else job.get("environment")),
            matrix=_parallel(job.get("parallel")),
            services=sorted(str(as_text(_image(s))) for s in (job.get("services") or [])
                            if isinstance(job.get("services"), list)),
            uses=None, stage=str(as_text(job.get("stage")) or "test"), allow_failure=allow_out,
            when=as_text(job.get("when")), extends=text_list(self.merged.get(name, {}).get("extends")),
            rules=_rules(job.get("rules"), line), only=_only(job.get("only")), except_=_only(job.get("except")),
            junit_reports=junit, steps=steps,
        )

    @staticmethod
    def _analyse(res: FileResult, name: str, key: str, steps: list[dict[str, Any]],
                 items: list[tuple[str, Src]], first: int, masks: list[Reason], hints: tuple[str, ...]) -> None:
        if not items:
            return
        chunks = [(str(it), it.line, it.literal) for _, it in items]
        report = analyze(chunks, GITLAB_MODE, cwd=".", hints=hints, outer=masks)
        paths = tuple(it.path for _, it in items)
        by_chunk: dict[int, ScriptReport] = {}
        for found in report.found:
            by_chunk.setdefault(found.chunk, ScriptReport()).found.append(found)
        for index, (section, item) in enumerate(items):
            step = steps[first + index]
            sub = by_chunk.get(index, ScriptReport())
            res.runs.append(RunSite(item.path, SYSTEM, name, key, f"{section}[{index}]", step["index"], item.line,
                                    sub, hints, tuple(masks), chunk_paths=paths))


def _flatten(value: Any, path: str, line: int, depth: int = 0) -> list[Src]:
    """Script lines: nested lists flattened (GitLab allows 10 levels); an unresolved ``!reference``
    becomes one unanalysable line naming it."""
    if value is None or depth > MAX_REFERENCE_DEPTH:
        return []
    if isinstance(value, Reference):
        return [Src(f"!reference [{', '.join(value.get('reference', []))}]", path, line)]
    if isinstance(value, list):
        return [x for v in value for x in _flatten(v, path, line, depth + 1)]
    if isinstance(value, Src):
        return [value]
    return [Src(str(as_text(value)), path, line)]


def _line(value: Any, fallback: int) -> int:
    if isinstance(value, Src):
        return value.line
    if isinstance(value, list) and value and isinstance(value[0], Src):
        return value[0].line
    return fallback


def _path(value: Any, fallback: str) -> str:
    if isinstance(value, list) and value and isinstance(value[0], Src):
        return value[0].path
    return value.path if isinstance(value, Src) else fallback


def _image(value: Any) -> Any:
    return value.get("name") if isinstance(value, dict) else value


def _parallel(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    out: dict[str, Any] = {"size": None, "axes": {}, "include": 0, "exclude": 0, "dynamic": False,
                           "fail_fast": None, "max_parallel": None}
    if isinstance(value, int) and not isinstance(value, bool):
        out["size"] = value
    elif isinstance(value, dict) and isinstance(value.get("matrix"), list):
        total = 0
        for entry in value["matrix"]:
            if not isinstance(entry, dict):
                continue
            size = 1
            for axis, values in entry.items():
                count = len(values) if isinstance(values, list) else 1
                out["axes"][str(axis)] = max(out["axes"].get(str(axis), 0), count)
                size *= count
            total += size
        out["size"] = total
    else:
        out["dynamic"] = True
    return out


def _rules(value: Any, line: int) -> list[dict[str, Any]]:
    out = []
    for rule in value if isinstance(value, list) else []:
        if not isinstance(rule, dict):
            continue
        first = next((v for v in rule.values() if isinstance(v, Src)), None)
        allow = rule.get("allow_failure")
        out.append({"line": first.line if first is not None else line, "if": as_text(rule.get("if")),
                    "when": as_text(rule.get("when")),
                    "allow_failure": allow if isinstance(allow, bool) else None,
                    "changes": "changes" in rule, "exists": "exists" in rule})
    return out


def _only(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, dict):
        out = text_list(value.get("refs"))
        out.extend(f"{k}: {as_text(v)}" for k, v in value.items() if k != "refs")
        return out
    return text_list(value)


def _line_of(message: str, path: str) -> int | None:
    rest = message[len(path) + 1:] if message.startswith(path + ":") else ""
    head = rest.split(":", 1)[0]
    return int(head) if head.isdigit() else None


def parse_gitlab(
    read: Callable[[str], str | None], files: list[str], root: str = ROOT,
) -> list[tuple[str, FileResult]]:
    """Every file of the pipeline rooted at ``root`` (the root first), each with the jobs it defines."""
    return GitLabReader(read, files, root).run()
