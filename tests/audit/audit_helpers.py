"""Fixtures for the audit-trail tests: a tiny repository and pack (fast to evaluate), git helpers, and
ways to call the CLI (in process with click's runner, or as a real subprocess)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from anops_policy.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "anops"
NOW = "2026-11-26T12:00:00Z"
ENV = {"GITHUB_ACTOR": "ci-bot", "GITHUB_RUN_ID": "4242", "NO_COLOR": "1"}

PACK_YAML = """\
apiVersion: anops.dev/pack/v1
id: tiny
version: 1.0.0
title: Tiny pack
sections: [Code, Sign-off]
items:
  - {id: "1", section: Code, title: Release files carry no TODO}
  - {id: "2", section: Sign-off, title: Signed off}
"""

POLICY_YAML = """\
id: {id}
title: Release files carry no TODO ({id})
checklist: "1"
severity: high
enforcement: {enforcement}
requires: [todos, layout]
for_each: facts.layout.release_files
variables:
  - name: found
    expression: "subject in facts.todos.by_path ? facts.todos.by_path[subject] : []"
rule: size(vars.found) == 0
message: "{{subject}} has {{size(vars.found)}} markers"
remediation: Resolve the markers.
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


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    """The CLI in process (click's runner); stdout and stderr are kept apart."""
    return CliRunner().invoke(cli, list(args), env={**ENV, **(env or {})}, catch_exceptions=False)


def anops(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
          timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """The CLI as a real process (its own exit code handling, its own lock file descriptors)."""
    full_env = {**os.environ, **ENV, **(env or {})}
    return subprocess.run([sys.executable, "-m", "anops_policy", *args], capture_output=True, text=True, cwd=cwd,
                          env=full_env, timeout=timeout, check=False)


def git(repo: Path, *args: str, date: str = "2026-11-20T10:00:00Z") -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date, "GIT_AUTHOR_NAME": "Dev",
           "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com"}
    out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True)
    return out.stdout.strip()


def commit_all(repo: Path, message: str = "change") -> str:
    if not (repo / ".git").exists():
        git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def write_key(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.with_name(path.name + ".pub").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return key



def events(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


@dataclass
class Tiny:
    root: Path
    repo: Path
    pack: Path
    log: Path

    def policy(self, policy_id: str, enforcement: str) -> Path:
        path = self.pack / f"{policy_id}.yaml"
        path.write_text(POLICY_YAML.format(id=policy_id, enforcement=enforcement), encoding="utf-8")
        return path

    def config(self, text: str) -> None:
        (self.repo / "anops-policy.yaml").write_text(
            "release_files: [src/build.rs, src/clean.rs]\n" + text, encoding="utf-8")

    def eval(self, *extra: str, now: str = NOW) -> Result:
        return invoke("eval", str(self.repo), "--policies", str(self.pack), "--now", now, *extra)


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[Tiny]:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "build.rs").write_text("fn main() {\n    // TODO: implement the build\n}\n", encoding="utf-8")
    (repo / "src" / "clean.rs").write_text("fn clean() {}\n", encoding="utf-8")
    (repo / ".gitignore").write_text("/.anops-policy/\n", encoding="utf-8")
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.yaml").write_text(PACK_YAML, encoding="utf-8")
    t = Tiny(tmp_path, repo, pack, repo / ".anops-policy" / "decisions.jsonl")
    t.config("")
    t.policy("no-todos", "soft")
    yield t


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of examples/anops (never evaluate the source tree: the log would land in it)."""
    copy = tmp_path / "anops"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".anops-policy"))
    return copy
