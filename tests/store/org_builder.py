"""A realistic organisation's decision records for the export and report tests: several repositories
(real git repositories, real evaluations through the CLI, real sign-offs) recorded in one PostgreSQL
store, some commits signed off and some not, some evaluations blocked, some older than 30 days."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from store_helpers import NOW, invoke, make_repo

GIT_ENV = {"GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_COMMITTER_NAME": "Dev",
           "GIT_COMMITTER_EMAIL": "dev@example.com"}


def git(repo: Path, *args: str) -> str:
    import os  # noqa: PLC0415

    out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True,
                         env={**os.environ, **GIT_ENV})
    return out.stdout.strip()


@dataclass
class Repo:
    path: Path
    pack: Path
    stream: str
    log: str  # a store URL or a file log path
    decisions: dict[str, list[str]] = field(default_factory=dict)  # commit → decision ids, oldest first

    def commit(self, todo: bool) -> str:
        source = self.path / "src" / "build.rs"
        source.write_text("fn main() {}\n" + (f"// TODO: tests ({len(self.decisions)})\n" if todo else
                                               f"// tracked in ANOPS-{len(self.decisions)}\n"), encoding="utf-8")
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "-m", f"change {len(self.decisions)}")
        return git(self.path, "rev-parse", "HEAD")

    def evaluate(self, *extra: str) -> str:
        result = invoke("eval", str(self.path), "--policies", str(self.pack), "--decision-log", self.log,
                        "--stream", self.stream, "--now", NOW, "-q", *extra)
        assert result.exit_code in (0, 1), result.output
        listed = invoke("audit", "show", "latest", "--log", self.log, "--stream", self.stream, "--format", "json")
        import json  # noqa: PLC0415

        event = json.loads(listed.stdout)
        self.decisions.setdefault(str(event["repo"]["commit"]), []).append(str(event["decision_id"]))
        return str(event["decision_id"])

    def sign_off(self, decision: str, by: str = "jane@example.com") -> None:
        result = invoke("signoff", str(self.path), "--decision", decision, "--as", by, "--decision-log", self.log,
                        "--stream", self.stream)
        assert result.exit_code == 0, result.output


def new_repo(tmp: Path, name: str, log: str, stream: str) -> Repo:
    path, pack = make_repo(tmp, name.replace("/", "-"), todo=False)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "start")
    return Repo(path, pack, stream, log)


@dataclass
class Organisation:
    repos: dict[str, Repo]
    expected: list[tuple[str, str, int, str]]  # the DuckDB query's answer: (repository, commit, evaluations, last id)


def build_organisation(tmp: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> Organisation:
    """Four repositories in the store and one legacy file log (see the cases' comments)."""
    repos = {name: new_repo(tmp, name, url, f"github.com/acme/{name}") for name in ("pay", "web", "api", "old")}
    legacy_log = tmp / "legacy" / ".anops-policy" / "decisions.jsonl"
    repos["legacy"] = new_repo(tmp, "legacy", str(legacy_log), "legacy")
    expected = []

    # old: a clean commit evaluated 45 days ago, never signed off — outside the 30-day window
    old_clock = (datetime.now(UTC) - timedelta(days=45)).isoformat(timespec="microseconds").replace("+00:00", "Z")
    with monkeypatch.context() as patched:
        patched.setattr("anops_policy.audit.decision_log.now_iso", lambda: old_clock)
        patched.setattr("anops_policy.audit.pg_log.now_iso", lambda: old_clock)
        repos["old"].commit(todo=False)
        repos["old"].evaluate()

    # pay: a blocked commit, a fixed one signed off, then a clean one evaluated twice and not signed off
    pay = repos["pay"]
    pay.commit(todo=True)
    pay.evaluate()
    pay.commit(todo=False)
    pay.sign_off(pay.evaluate())
    last = pay.commit(todo=False)
    pay.evaluate()
    expected.append(("github.com/acme/pay", last, 2, pay.evaluate()))

    # web: one clean commit, never signed off
    web = repos["web"]
    last = web.commit(todo=False)
    expected.append(("github.com/acme/web", last, 1, web.evaluate()))

    # api: a clean commit signed off (by an earlier evaluation of it), then a blocked commit
    api = repos["api"]
    api.commit(todo=False)
    first = api.evaluate()
    api.evaluate()
    api.sign_off(first, by="lee@example.com")
    api.commit(todo=True)
    api.evaluate()

    # legacy (a file log): a clean commit signed off — then the sign-off is edited in the file, so the
    # chain breaks and the sign-off is no longer valid evidence
    legacy = repos["legacy"]
    last = legacy.commit(todo=False)
    decision = legacy.evaluate()
    legacy.sign_off(decision)
    lines = legacy_log.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[-1] = lines[-1].replace('"by":"jane@example.com"', '"by":"mallory@example.com"')
    legacy_log.write_text("".join(lines), encoding="utf-8")
    expected.append(("legacy", last, 1, decision))
    return Organisation(repos, sorted(expected))  # the query's order: by repository (one commit each here)
