"""Which CI files the repository has (GitHub Actions, GitLab CI, Jenkins, CircleCI, Azure Pipelines, ``.ci``
scripts) and which reader parses each; a file that cannot be read or parsed is an ``errors`` entry."""

from __future__ import annotations

import importlib
import posixpath
import re
from collections.abc import Callable

from anops_policy.collectors.ci.records import FileResult, error_entry

from anops_policy.collection.collector import CollectContext
from anops_policy.errors import ConfigError

DEFAULT_SCRIPTS = (".ci/*", "ci/*.sh")
# Jenkins reads the Jenkinsfile at the root unless the job names another script path; these are the usual
# ones. A Jenkinsfile deeper in the tree (a fixture, a vendored project) is not this repository's CI.
DEFAULT_JENKINSFILES = ("/Jenkinsfile", "/Jenkinsfile.*", "/*.jenkinsfile", "/ci/**/Jenkinsfile*",
                        "/.ci/**/Jenkinsfile*", "/jenkins/**/Jenkinsfile*", "/.jenkins/**/Jenkinsfile*")


def _parser(module: str, name: str) -> Callable[[str, str], FileResult]:
    """The parser ``name`` of ``ci.<module>``, imported when a file of its CI system is found (start-up: a
    repository with GitHub workflows alone loads no GitLab, Jenkins, CircleCI or Azure reader)."""
    parse: Callable[[str, str], FileResult] = getattr(importlib.import_module(f"{__package__}.{module}"), name)
    return parse


def discover(ctx: CollectContext, files: list[str], file_set: set[str]) -> dict[str, FileResult]:
    """Every CI file of the repository, parsed, by path (``files`` and ``file_set``: the repository's files)."""
    return _Discovery(ctx, files, file_set).collect()


def action_file(directory: str, file_set: set[str]) -> str | None:
    """The ``action.yml`` of a local action's directory, if the repository has one."""
    for name in ("action.yml", "action.yaml"):
        candidate = f"{directory}/{name}" if directory not in (".", "") else name
        if candidate in file_set:
            return candidate
    return None


class _Discovery:
    def __init__(self, ctx: CollectContext, files: list[str], file_set: set[str]) -> None:
        self.ctx = ctx
        self.files = files
        self.file_set = file_set
        self.options = ctx.options("ci")
        self.results: dict[str, FileResult] = {}

    def _read(self, path: str) -> str | None:
        return self.ctx.read_text(path)

    def _add(self, path: str, system: str, kind: str, where: tuple[str, str]) -> FileResult | None:
        text = self._read(path)
        if text is None:
            res = FileResult(entry={}, errors=[error_entry(path, None, "not read (see the collector's skips)")])
        else:
            try:
                res = _parser(*where)(path, text)
            except ConfigError as exc:
                res = FileResult(entry={}, errors=[error_entry(path, _line_of(str(exc), path), str(exc))])
        if not res.entry:
            from anops_policy.collectors.ci.github import file_entry  # noqa: PLC0415 - see _parser

            res.entry = file_entry(system, kind, None, res)
        self.results[path] = res
        return res

    def collect(self) -> dict[str, FileResult]:
        workflows = [p for p in self.files if re.fullmatch(r"\.github/workflows/[^/]+\.ya?ml", p)]
        for path in workflows:
            self._add(path, "github-actions", "workflow", ("github", "parse_workflow"))
        actions = [p for p in self.files if re.fullmatch(r"(\.github/actions/.+/|)action\.ya?ml", p)]
        for path in actions:
            self._add(path, "github-actions", "action", ("github", "parse_action"))
        for res in list(self.results.values()):  # local actions used from elsewhere in the tree
            for call in res.calls:
                target = action_file(call.target, self.file_set)
                if target and target not in self.results:
                    self._add(target, "github-actions", "action", ("github", "parse_action"))
        gitlab_root = str(self.options.get("gitlab_ci") or ".gitlab-ci.yml")
        if gitlab_root in self.file_set:
            from anops_policy.collectors.ci.gitlab import parse_gitlab  # noqa: PLC0415 - see _parser

            for path, res in parse_gitlab(self._read, self.files, gitlab_root):
                self.results[path] = res
        jenkinsfiles = [str(g) for g in self.options.get("jenkinsfiles", DEFAULT_JENKINSFILES)]
        for path in self.ctx.glob(jenkinsfiles):
            self._add(path, "jenkins", "jenkinsfile", ("jenkins", "parse_jenkins"))
        for path in self.files:
            if path in (".circleci/config.yml", ".circleci/config.yaml"):
                self._add(path, "circleci", "config", ("circleci", "parse_circleci"))
            elif re.fullmatch(r"(azure-pipelines|\.azure-pipelines/.+)\.ya?ml", path):
                self._add(path, "azure-pipelines", "pipeline", ("azure", "parse_azure"))
        script_globs = [str(g) for g in self.options.get("scripts", DEFAULT_SCRIPTS)]
        for path in self.ctx.glob(script_globs):
            if path not in self.results and posixpath.splitext(path)[1] in ("", ".sh", ".bash"):
                self._add(path, "script", "script", ("scripts", "parse_script"))
        return self.results


def _line_of(message: str, path: str) -> int | None:
    rest = message[len(path) + 1:] if message.startswith(path + ":") else ""
    head = rest.split(":", 1)[0]
    return int(head) if head.isdigit() else None
