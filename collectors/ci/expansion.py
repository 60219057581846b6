"""Following what CI runs: the scripts, make targets and npm scripts a command invokes and the local composite
actions a job uses are read and analysed in turn (bounded), so their test commands count for the calling job."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Sequence
from typing import Any

from anops_policy.collectors.ci.analysis import Found, ScriptReport, analyze, join_path
from anops_policy.collectors.ci.command_record import Expansion, command_entry
from anops_policy.collectors.ci.discovery import action_file
from anops_policy.collectors.ci.indirection import expand_make_vars, package_scripts, parse_makefile
from anops_policy.collectors.ci.masking import Reason
from anops_policy.collectors.ci.records import FileResult, LocalCall
from anops_policy.collectors.ci.shell_modes import Mode, mode_from_shebang

MAX_EXPANSION_DEPTH = 4
MAX_TEST_COMMANDS = 5000
MAKE_MODE = Mode(False, False, "make recipe line (sh -c)")
NPM_MODE = Mode(False, False, "npm run-script (sh -c)")


class Expander:
    """Expands every run site of ``results`` into test-command records (``tests``), and gathers the files'
    report steps and errors."""

    def __init__(self, read: Callable[[str], str | None], file_set: set[str], results: dict[str, FileResult],
                 layout: dict[str, Any]) -> None:
        self._read = read
        self.file_set = file_set
        self.results = results
        self.components = [(str(c.get("name")), str(c.get("path") or c.get("name")).strip("/") or ".")
                           for c in layout.get("components", []) if isinstance(c, dict)]
        # a component's tests outside its folder (a .NET test project beside it): a command there tests it
        self.components += [(str(c.get("name")), root) for c in layout.get("components", [])
                            if isinstance(c, dict) and (root := _outside_tests(c)) is not None]
        self.e2e = [str(p).strip("/") for p in layout.get("e2e", [])]
        self.errors: list[dict[str, Any]] = []
        self.tests: list[dict[str, Any]] = []
        self.reports: list[dict[str, Any]] = []
        self.expanded_scripts: set[str] = set()
        self.dropped = 0  # test commands found beyond MAX_TEST_COMMANDS (bounded memory, said in the counts)
        self.makefiles: dict[str, Any] = {}

    def expand_all(self) -> None:
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
            exp = Expansion(site.system, site.job, site.job_key, site.step, site.step_index, site.step_line,
                            site.path, site.hints)
            self._emit(site.report, exp, site.chunk_paths or (site.path,), 0)
        for call in res.calls:
            self._composite(call, [], 0)

    def _composite(self, call: LocalCall, via: list[dict[str, Any]], depth: int) -> None:
        target = action_file(call.target, self.file_set)
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
            exp = Expansion("github-actions", call.job, call.job_key, f"{call.step} > {site.step}",
                            call.step_index, call.step_line, call.path, call.hints, chain)
            self._emit(report, exp, (site.path,), depth + 1)
        for inner in action.calls:
            nested = LocalCall(call.path, call.job, call.job_key, call.step, call.step_index, call.step_line,
                               inner.target, (*call.masks, *inner.masks), call.hints)
            self._composite(nested, chain, depth + 1)

    def _emit(self, report: ScriptReport, exp: Expansion, chunk_paths: Sequence[str], depth: int) -> None:
        for found in report.found:
            path = chunk_paths[found.chunk] if found.chunk < len(chunk_paths) else chunk_paths[0]
            if found.detection is not None:
                if len(self.tests) < MAX_TEST_COMMANDS:
                    self.tests.append(command_entry(found, path, exp, chunk_paths, self.components, self.e2e))
                else:
                    self.dropped += 1
            if found.invocation is not None and depth < MAX_EXPANSION_DEPTH:
                self._invoke(found, path, exp, depth)

    def _invoke(self, found: Found, path: str, exp: Expansion, depth: int) -> None:
        inv = found.invocation
        assert inv is not None
        via = [*exp.via, {"path": path, "line": found.line}]
        sub = Expansion(exp.system, exp.job, exp.job_key, exp.step, exp.step_index, exp.step_line,
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
              exp: Expansion, depth: int, seen: set[str]) -> None:
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


def _with_path(reason: Reason, path: str) -> Reason:
    return reason if reason.path else Reason(reason.text, reason.line, reason.chunk, path)


def _outside_tests(component: dict[str, Any]) -> str | None:
    """The folder holding a component's test files that lie outside its own folder, if any."""
    base = str(component.get("path") or "").strip("/") or "."
    outside = [posixpath.dirname(str(t)) for t in component.get("tests") or []
               if base != "." and not str(t).startswith(base + "/")]
    outside = [o for o in outside if o]
    return posixpath.commonpath(outside) if outside else None
