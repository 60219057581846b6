"""Helpers for the store tests: a tiny repository and pack (fast to evaluate), the CLI in process and as
a real process, and records appended through the public API."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from anops_policy.audit.decision_log import LOG_API
from anops_policy.audit.pg_log import PgLog
from anops_policy.cli.main import cli

NOW = "2026-11-26T12:00:00Z"
ENV = {"GITHUB_ACTOR": "ci-bot", "NO_COLOR": "1"}
PACK_YAML = """\
apiVersion: anops.dev/pack/v1
id: tiny
version: 1.0.0
title: Tiny pack
sections: [Code]
items:
  - {id: "1", section: Code, title: Release files carry no TODO}
"""
POLICY_YAML = """\
id: no-todos
title: Release files carry no TODO
checklist: "1"
severity: high
enforcement: soft
requires: [todos, layout]
for_each: facts.layout.release_files
variables:
  - name: found
    expression: "subject in facts.todos.by_path ? facts.todos.by_path[subject] : []"
rule: size(vars.found) == 0
message: "{subject} has {size(vars.found)} markers"
remediation: Resolve the markers.
examples:
  - name: clean
    facts: {layout: {release_files: [a.rs]}, todos: {by_path: {}}}
    expect: pass
"""


def make_repo(root: Path, name: str = "repo", todo: bool = True) -> tuple[Path, Path]:
    """A repository with one release file and the tiny pack beside it; (repo, pack)."""
    repo = root / name
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "build.rs").write_text("fn main() {}\n" + ("// TODO: tests\n" if todo else ""), encoding="utf-8")
    (repo / "anops-policy.yaml").write_text("release_files: [src/build.rs]\n", encoding="utf-8")
    pack = root / f"{name}-pack"
    pack.mkdir()
    (pack / "pack.yaml").write_text(PACK_YAML, encoding="utf-8")
    (pack / "no-todos.yaml").write_text(POLICY_YAML, encoding="utf-8")
    return repo, pack


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env={**ENV, **(env or {})}, catch_exceptions=False)


def anops(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "anops_policy", *args], capture_output=True, text=True,
                          env={**os.environ, **ENV, **(env or {})}, timeout=timeout, check=False)


def append_notes(url: str, stream: str, count: int, tag: str = "") -> list[dict[str, Any]]:
    """``count`` records appended through the public API (repair-kind notes: no inputs to store)."""
    log = PgLog(url, stream)
    log.prepare()
    return [log.append(lambda _tail, i=i: {"apiVersion": LOG_API, "kind": "repair", "actions": [f"{tag}note {i}"]})
            for i in range(count)]
