"""Phased enforcement: `advisory` until a date, then `soft`, then `hard`, judged against the run's `now`
(so a run is reproducible), with waivers following the level in force."""

from __future__ import annotations

import json
from datetime import date

import pytest
from audit_helpers import Tiny, events, invoke

from anops_policy.policy.packs import load_policies

PHASED = """\
  - {level: advisory, until: 2027-01-15}
  - {level: soft, until: 2027-03-01}
  - {level: hard}"""
WAIVER = """\
waivers:
  - {policy: no-todos, subject: src/build.rs, owner: jane@example.com, reason: rewrite in progress,
     ticket: ANOPS-142, expires: 2027-03-31}
"""


@pytest.fixture
def phased(tiny: Tiny) -> Tiny:
    path = tiny.policy("no-todos", "soft")
    path.write_text(path.read_text().replace("enforcement: soft", "enforcement:\n" + PHASED))
    return tiny


@pytest.mark.parametrize(("now", "level", "blocking", "code"), [
    ("2027-01-14", "advisory", False, 0),
    ("2027-01-14T23:59:59Z", "advisory", False, 0),
    ("2027-01-15", "soft", True, 1),
    ("2027-02-28", "soft", True, 1),
    ("2027-03-01", "hard", True, 1),
    ("2028-01-01", "hard", True, 1),
])
def test_level_follows_the_runs_now(phased: Tiny, now: str, level: str, blocking: bool, code: int) -> None:
    result = phased.eval("--format", "json", now=now)
    assert result.exit_code == code
    [build] = [d for d in json.loads(result.stdout)["decisions"] if d["subject"] == "src/build.rs"]
    assert (build["enforcement"], build["blocking"]) == (level, blocking)
    [logged] = [d for d in events(phased.log)[-1]["decisions"] if d["subject"] == "src/build.rs"]
    assert logged["enforcement"] == level


@pytest.mark.parametrize(("now", "outcome", "status", "code"), [
    ("2027-01-14", "fail", "ignored", 0),  # advisory: never blocks, nothing to waive
    ("2027-01-15", "waived", "applied", 0),  # soft: the waiver applies
    ("2027-03-01", "fail", "ignored", 1),  # hard: the same waiver no longer helps
])
def test_waivers_follow_the_phase(phased: Tiny, now: str, outcome: str, status: str, code: int) -> None:
    phased.config(WAIVER)
    result = phased.eval("--format", "json", now=now)
    assert result.exit_code == code, result.stderr
    [build] = [d for d in json.loads(result.stdout)["decisions"] if d["subject"] == "src/build.rs"]
    assert build["outcome"] == outcome and build["waiver"]["status"] == status


def test_fail_on_advisory_makes_the_advisory_phase_block(phased: Tiny) -> None:
    assert phased.eval("--fail-on", "advisory", now="2027-01-14").exit_code == 1


def test_phases_are_checked_when_loading(tiny: Tiny) -> None:
    path = tiny.policy("no-todos", "soft")
    bad = "  - {level: advisory, until: 2027-03-01}\n  - {level: soft, until: 2027-01-15}\n  - {level: hard}"
    path.write_text(path.read_text().replace("enforcement: soft", "enforcement:\n" + bad))
    result = invoke("check", str(path))
    assert result.exit_code == 2 and "no-todos.yaml:7:26: phase dates must increase" in result.stderr
    path.write_text(path.read_text().replace("  - {level: hard}", "  - {level: hard, until: 2027-06-01}"))
    result = invoke("check", str(path))
    assert result.exit_code == 2 and "every phase but the last needs 'until'; the last has none" in result.stderr


def test_policy_level_on_dates(phased: Tiny) -> None:
    [policy] = load_policies([phased.pack / "no-todos.yaml"])
    assert [policy.level_on(date.fromisoformat(d)).value for d in ("2026-12-31", "2027-01-15", "2027-03-01")] == [
        "advisory", "soft", "hard"]
