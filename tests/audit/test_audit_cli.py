"""`audit list` and `audit show` with their filters, and every record kind against the log schema."""

from __future__ import annotations

import json

import pytest
from audit_helpers import Tiny, commit_all, events, invoke

from anops_policy.validation import validator


@pytest.fixture
def commits() -> dict[str, str]:
    return {}


@pytest.fixture
def history(tiny: Tiny, commits: dict[str, str]) -> Tiny:
    """Three evaluations over two commits and days, by two actors, and a sign-off."""
    first = commit_all(tiny.repo, "first")
    tiny.eval(now="2026-11-20")
    (tiny.repo / "src" / "build.rs").write_text("fn main() {}\n")
    second = commit_all(tiny.repo, "fix")
    invoke("eval", str(tiny.repo), "--policies", str(tiny.pack), "--now", "2026-11-26", env={"GITHUB_ACTOR": "alice"})
    tiny.eval(now="2026-11-27")
    assert invoke("signoff", str(tiny.repo), "--decision", "latest", "--as", "jane").exit_code == 0
    commits.update(first=first, second=second)
    return tiny


def listed(*args: str) -> list[dict]:
    result = invoke("audit", "list", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_list_everything(history: Tiny) -> None:
    rows = listed("--log", str(history.log))
    assert [(r["seq"], r["kind"]) for r in rows] == [(1, "eval"), (2, "eval"), (3, "eval"), (4, "signoff")]
    text = invoke("audit", "list", "--log", str(history.log)).output
    assert text.splitlines()[-1] == "4 records"
    assert "signed off d-" in text and "by jane" in text


def test_list_filters(history: Tiny, commits: dict[str, str]) -> None:
    log = ["--log", str(history.log)]
    first, second = commits["first"], commits["second"]
    failing = listed(*log, "--policy", "no-todos", "--outcome", "fail")
    assert [r["seq"] for r in failing] == [1]
    assert failing[0]["decisions"][0]["subject"] == "src/build.rs"
    assert [r["seq"] for r in listed(*log, "--subject", "clean.rs", "--outcome", "pass")] == [1, 2, 3]
    assert [r["seq"] for r in listed(*log, "--commit", second[:10])] == [2, 3, 4]
    assert [r["seq"] for r in listed(*log, "--commit", first)] == [1]
    assert [r["seq"] for r in listed(*log, "--actor", "alice")] == [2]
    assert [r["seq"] for r in listed(*log, "--actor", "jane")] == [4]
    assert [r["seq"] for r in listed(*log, "--kind", "signoff")] == [4]
    today = events(history.log)[0]["time"][:10]
    assert len(listed(*log, "--since", today, "--until", today)) == 4
    assert listed(*log, "--until", "2000-01-01") == []
    bad = invoke("audit", "list", *log, "--since", "yesterday")
    assert bad.exit_code == 2 and "expected YYYY-MM-DD" in bad.output


def test_show(history: Tiny) -> None:
    log = ["--log", str(history.log)]
    records = events(history.log)
    as_json = json.loads(invoke("audit", "show", records[0]["decision_id"], *log, "--format", "json").stdout)
    assert as_json == records[0]
    by_seq = json.loads(invoke("audit", "show", "1", *log, "--format", "json").stdout)
    assert by_seq == records[0]
    filtered = json.loads(invoke("audit", "show", "1", *log, "--outcome", "fail", "--format", "json").stdout)
    assert [d["subject"] for d in filtered["decisions"]] == ["src/build.rs"]
    text = invoke("audit", "show", "latest", *log).output
    assert text.startswith("seq 3 · eval") and ("1 of 2 applicable checklist items satisfied"
        " · 0 not applicable · 0 blocking failures") in text
    signoff = invoke("audit", "show", records[-1]["signoff_id"], *log).output
    assert f"signed off decision {records[2]['decision_id']}" in signoff and "by jane" in signoff
    missing = invoke("audit", "show", "99", *log)
    assert missing.exit_code == 2 and "no record with seq 99" in missing.stderr


def test_default_log_is_found_from_the_working_directory(history: Tiny, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(history.repo)
    assert invoke("audit", "verify").exit_code == 0
    assert len(listed()) == 4


def test_every_record_kind_matches_the_schema(history: Tiny) -> None:
    history.log.write_bytes(history.log.read_bytes() + b"{\"torn")  # so that a repair record is written too
    assert invoke("audit", "repair", str(history.log)).exit_code == 0
    records = events(history.log)
    assert {r["kind"] for r in records} == {"eval", "signoff", "repair"}
    check = validator("decision-log-event")
    for record in records:
        assert [e.message for e in check.iter_errors(record)] == [], record["kind"]
