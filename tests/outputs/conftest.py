"""Shared fixtures for the output tests: a copy of the example repository and a CLI runner."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from anops_policy.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "anops"
GOLDEN = Path(__file__).resolve().parent / "golden"
NOW = "2026-11-26T12:00:00Z"
# the official schema, vendored beside the repository (CI has it at the same relative location)
SARIF_SCHEMA_ENV = "ANOPS_SARIF_SCHEMA"


SARIF_NPM_PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"
SARIF_NPM_MEMBER = "package/lib/schemas/sarif-2.1.0-rtm.5.json"


def _schema_from_npm(folder: Path) -> Path | None:
    """Fetch the schema from the npm package that ships it (the npm registry is reachable here)."""
    npm = shutil.which("npm")
    if npm is None:
        return None
    done = subprocess.run([npm, "pack", "--silent", SARIF_NPM_PACKAGE], cwd=folder, capture_output=True, text=True,
                          timeout=180, check=False)
    archives = sorted(folder.glob("*.tgz"))
    if done.returncode != 0 or not archives:
        return None
    with tarfile.open(archives[0]) as tar:
        member = tar.extractfile(SARIF_NPM_MEMBER)
        if member is None:
            return None
        target = folder / "sarif-2.1.0.schema.json"
        target.write_bytes(member.read())
    return target


@pytest.fixture(scope="session")
def sarif_schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The official SARIF 2.1.0 schema: $ANOPS_SARIF_SCHEMA when set, else ../shared/vendor beside the
    repository, else fetched from the npm package that ships it (`npm pack @microsoft/jest-sarif`)."""
    candidates = [Path(os.environ[SARIF_SCHEMA_ENV])] if os.environ.get(SARIF_SCHEMA_ENV) else []
    candidates.append(ROOT / ".." / "shared" / "vendor" / "sarif-2.1.0.schema.json")
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        found = _schema_from_npm(tmp_path_factory.mktemp("sarif-schema"))
    if found is None:
        pytest.skip(f"the official SARIF 2.1.0 schema is not available: looked at {', '.join(map(str, candidates))} "
                    f"and npm could not fetch {SARIF_NPM_PACKAGE}; set {SARIF_SCHEMA_ENV} to a copy")
    schema: dict[str, Any] = json.loads(found.read_text(encoding="utf-8"))
    return schema


def eval_extra_args() -> list[str]:
    """``--no-decision-log`` once eval has it: golden runs must not append to a log inside the copy."""
    eval_cmd = cli.commands["eval"]
    opts = {opt for param in eval_cmd.params for opt in getattr(param, "opts", [])}
    return ["--no-decision-log"] if "--no-decision-log" in opts else []


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


RunCli = Callable[..., Run]


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of examples/anops named ``anops`` (the fact document records the directory name)."""
    copy = tmp_path / "anops"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".anops-policy"))
    return copy


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """Run ``anops-policy eval`` in ``cwd`` through click's runner (same process, real handler)."""

    def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Run:
        monkeypatch.chdir(cwd)
        for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
            monkeypatch.delenv(name, raising=False)
        result = CliRunner().invoke(cli, ["eval", *args, *eval_extra_args()], env=env, catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


PACK_YAML = """\
apiVersion: anops.dev/pack/v1
id: ci-levels
version: 0.0.1
title: Enforcement levels for the CI output tests
sections: [Levels, Hostile, Broken]
items:
  - {id: A, section: Levels, title: advisory item}
  - {id: S, section: Levels, title: soft item}
  - {id: H, section: Levels, title: hard item}
  - {id: X, section: Hostile, title: "a title with <b>markup</b> | pipes and `ticks`"}
  - {id: E, section: Broken, title: an item whose policy errors at runtime}
"""

POLICY_YAML = """\
id: {id}
title: {title}
checklist: "{item}"
severity: {severity}
enforcement: {level}
requires: [todos, layout]
for_each: facts.layout.release_files
variables:
  - name: found
    expression: "subject in facts.todos.by_path ? facts.todos.by_path[subject] : []"
rule: size(vars.found) == 0
message: {message}
remediation: Remove the marker.
examples:
  - name: clean
    facts: {{layout: {{release_files: [a.rs]}}, todos: {{by_path: {{}}}}}}
    expect: pass
  - name: marker
    facts:
      layout: {{release_files: [a.rs]}}
      todos: {{by_path: {{a.rs: [{{path: a.rs, line: 1, tag: TODO, text: x}}]}}}}
    expect: fail
"""

BROKEN_YAML = """\
id: broken-lookup
title: A rule that cannot be decided
checklist: "E"
severity: medium
enforcement: soft
requires: [todos]
rule: size(facts.todos.by_path["no/such/file.rs"]) == 0
message: cannot happen
remediation: Fix the policy.
examples:
  - name: present
    facts: {todos: {by_path: {"no/such/file.rs": []}}}
    expect: pass
  - name: marker
    facts: {todos: {by_path: {"no/such/file.rs": [{path: x, line: 1, tag: TODO, text: x}]}}}
    expect: fail
"""

HOSTILE_MESSAGE = '"<script>alert(1)</script> | *bold* `tick` %0A ::error:: a,b:c \\e[31m {subject}"'


@pytest.fixture
def ci_pack(tmp_path: Path) -> Path:
    """A pack with one policy per enforcement level (same rule: no marker in a release file), one whose
    message is hostile to every output syntax, and one that errors at runtime."""
    folder = tmp_path / "ci-pack"
    folder.mkdir()
    (folder / "pack.yaml").write_text(PACK_YAML)
    policies = [
        ("advisory-markers", "Advisory marker check", "A", "low", "advisory", '"{subject} has markers"'),
        ("soft-markers", "Soft marker check", "S", "medium", "soft", '"{subject} has markers"'),
        ("hard-markers", "Hard marker check", "H", "critical", "hard", '"{subject} has markers"'),
        ("hostile-text", "Hostile <i>text</i>", "X", "info", "advisory", HOSTILE_MESSAGE),
    ]
    for pid, title, item, severity, level, message in policies:
        (folder / f"{pid}.yaml").write_text(POLICY_YAML.format(
            id=pid, title=title, item=item, severity=severity, level=level, message=message))
    (folder / "broken-lookup.yaml").write_text(BROKEN_YAML)
    return folder
