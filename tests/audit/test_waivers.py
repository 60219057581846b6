"""Waivers: they cover soft failures until their expiry, are void after it (and say so), cannot reach past
the maximum horizon, never apply to hard policies, and never matter for advisory ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from audit_helpers import Tiny, events

from anops_policy.config import RepoConfig
from anops_policy.errors import ConfigError
from anops_policy.evaluation.waivers import apply_waivers, parse_waivers
from anops_policy.policy.model import Decision, Level, Outcome
from anops_policy.validation import validator

WAIVER = """\
waivers:
  - policy: {policy}
    {key}: {target}
    owner: jane@example.com
    reason: the build rewrite lands in ANOPS-142
    ticket: ANOPS-142
    expires: {expires}
"""


def waiver(policy: str = "no-todos", expires: str = "2026-12-31", key: str = "subject",
           target: str = "src/build.rs") -> str:
    return WAIVER.format(policy=policy, expires=expires, key=key, target=target)


def decision_of(tiny: Tiny, *extra: str, now: str = "2026-11-26") -> tuple[int, dict, dict]:
    result = tiny.eval("--format", "json", *extra, now=now)
    report = json.loads(result.stdout)
    [build] = [d for d in report["decisions"] if d["subject"] == "src/build.rs"]
    return result.exit_code, build, report


def test_valid_waiver_turns_a_soft_failure_into_waived(tiny: Tiny) -> None:
    tiny.config(waiver())  # the unquoted date of DESIGN.md's example works
    code, build, report = decision_of(tiny)
    assert code == 0
    assert build["outcome"] == "waived" and build["blocking"] is False
    assert build["message"] == "src/build.rs has 1 markers"  # the failure stays visible
    assert build["explanation"]["failed_clauses"]
    assert build["waiver"]["status"] == "applied" and build["waiver"]["underlying_outcome"] == "fail"
    assert build["waiver"]["owner"] == "jane@example.com" and build["waiver"]["ticket"] == "ANOPS-142"
    assert build["waiver"]["config"].endswith("anops-policy.yaml:3:5")
    assert report["summary"]["line"] == ("1 of 2 applicable checklist items satisfied"
        " · 0 not applicable · 0 blocking failures")
    assert report["waivers"][0]["status"] == "applied"
    assert list(validator("report").iter_errors(report)) == []
    [logged] = [d for d in events(tiny.log)[-1]["decisions"] if d["subject"] == "src/build.rs"]
    assert logged["outcome"] == "waived" and logged["waiver"]["underlying_outcome"] == "fail"
    assert logged["explanation"] == "size(vars.found) == 0 → 1 == 0"  # the log keeps the underlying failure


def test_waiver_by_fingerprint(tiny: Tiny) -> None:
    _code, build, _report = decision_of(tiny)
    tiny.config(waiver(key="fingerprint", target=build["fingerprint"]))
    code, build, _report = decision_of(tiny)
    assert code == 0 and build["outcome"] == "waived"


def test_expired_waiver_is_void_and_says_so(tiny: Tiny) -> None:
    tiny.config(waiver(expires="2026-11-25"))
    code, build, report = decision_of(tiny)
    assert code == 1
    assert build["outcome"] == "fail" and build["blocking"] is True
    assert build["message"] == "src/build.rs has 1 markers (waiver expired on 2026-11-25)"
    assert build["waiver"]["status"] == "expired" and build["waiver"]["note"] == "waiver expired on 2026-11-25"
    assert any("waiver expired on 2026-11-25" in note for note in report["notes"])
    text = tiny.eval(now="2026-11-26").stdout
    assert "(waiver expired on 2026-11-25)" in text


def test_waiver_is_valid_through_its_expiry_date(tiny: Tiny) -> None:
    tiny.config(waiver(expires="2026-11-26"))
    code, build, report = decision_of(tiny, now="2026-11-26T23:59:59Z")
    assert code == 0 and build["outcome"] == "waived"
    assert any("expires on 2026-11-26 (today)" in note for note in report["notes"])


def test_waiver_beyond_the_horizon_is_a_config_error_naming_the_line(tiny: Tiny) -> None:
    tiny.config(waiver(expires="2027-03-01"))  # 95 days after the run's now; the default horizon is 90
    result = tiny.eval(now="2026-11-26")
    assert result.exit_code == 2
    assert "anops-policy.yaml:8:14: waiver for 'no-todos' expires 2027-03-01" in result.stderr
    assert "beyond the maximum horizon of 90 days from 2026-11-26 (latest allowed 2027-02-24)" in result.stderr
    assert not tiny.log.exists() or not events(tiny.log)  # nothing was decided, nothing logged
    tiny.config("waiver_max_days: 120\n" + waiver(expires="2027-03-01"))
    assert tiny.eval(now="2026-11-26").exit_code == 0


def test_hard_policy_ignores_waivers(tiny: Tiny) -> None:
    tiny.policy("no-todos", "hard")
    tiny.config(waiver())
    code, build, report = decision_of(tiny)
    assert code == 1
    assert build["outcome"] == "fail" and build["blocking"] is True
    assert build["waiver"]["status"] == "ignored" and build["waiver"]["note"] == "hard policies cannot be waived"
    assert report["waivers"][0]["status"] == "ignored"
    assert any("hard policies cannot be waived" in note for note in report["notes"])


def test_advisory_policy_is_not_waived_and_never_blocks(tiny: Tiny) -> None:
    tiny.policy("no-todos", "advisory")
    tiny.config(waiver())
    code, build, _report = decision_of(tiny)
    assert code == 0
    assert build["outcome"] == "fail" and build["blocking"] is False
    assert build["waiver"]["status"] == "ignored" and "advisory" in build["waiver"]["note"]


def test_waivers_expiring_within_14_days_are_reported(tiny: Tiny) -> None:
    tiny.config(waiver(expires="2026-12-08"))
    _code, _build, report = decision_of(tiny)
    notes = [n for n in report["notes"] if "expires on" in n]
    assert notes == ["waiver for no-todos [src/build.rs] (owner jane@example.com, ANOPS-142) expires on 2026-12-08 "
                     "(in 12 days)"]
    assert report["waivers"][0]["expiring_soon"] is True
    _code, _build, report = decision_of(tiny, now="2026-11-20")  # 18 days left: quiet
    assert not [n for n in report["notes"] if "expires on" in n]


def test_unused_and_unknown_waivers(tiny: Tiny) -> None:
    tiny.config(waiver(target="src/clean.rs"))
    _code, _build, report = decision_of(tiny)
    assert report["waivers"][0]["status"] == "unused"
    assert any("matches no failing decision" in n for n in report["notes"])
    tiny.config(waiver(policy="no-todo"))
    result = tiny.eval()
    assert result.exit_code == 2 and "waiver for unknown policy 'no-todo' (did you mean 'no-todos'?)" in result.stderr


def test_impossible_date_is_a_config_error(tiny: Tiny) -> None:
    tiny.config(waiver(expires="'2026-02-30'"))
    result = tiny.eval()
    assert result.exit_code == 2 and "is not a calendar date" in result.stderr


def test_missing_required_fields_are_schema_errors(tiny: Tiny) -> None:
    tiny.config("waivers:\n  - policy: no-todos\n    subject: src/build.rs\n    expires: 2026-12-01\n")
    result = tiny.eval()
    assert result.exit_code == 2 and "owner" in result.stderr and "anops-policy.yaml" in result.stderr


def _decision(enforcement: Level, outcome: Outcome = Outcome.FAIL) -> Decision:
    return Decision(policy="p", title="t", subject="s", outcome=outcome, severity="high", enforcement=enforcement,
                    blocking=outcome in (Outcome.FAIL, Outcome.ERROR), message="m", explanation={}, evidence=[],
                    remediation="r", checklist="1", fingerprint="sha256:" + "0" * 64)


@pytest.mark.parametrize(("level", "outcome", "expected"), [
    (Level.SOFT, Outcome.FAIL, Outcome.WAIVED),
    (Level.HARD, Outcome.FAIL, Outcome.FAIL),
    (Level.ADVISORY, Outcome.FAIL, Outcome.FAIL),
    (Level.SOFT, Outcome.ERROR, Outcome.ERROR),  # "could not decide" is not something anyone can accept
    (Level.SOFT, Outcome.PASS, Outcome.PASS),
])
def test_apply_waivers_api(level: Level, outcome: Outcome, expected: Outcome) -> None:
    now = datetime(2026, 11, 26, tzinfo=UTC)
    config = RepoConfig(raw={"waivers": [{"policy": "p", "subject": "s", "owner": "o", "reason": "r",
                                          "ticket": "T-1", "expires": "2026-12-01"}]})
    decision = _decision(level, outcome)
    apply_waivers([decision], parse_waivers(config, now, {"p"}), now)
    assert decision.outcome == expected
    assert decision.blocking == (expected in (Outcome.FAIL, Outcome.ERROR))


def test_horizon_api_error_names_config_location() -> None:
    config = RepoConfig(raw={"waivers": [{"policy": "p", "subject": "s", "owner": "o", "reason": "r", "ticket": "T",
                                          "expires": "2030-01-01"}]}, file="cfg.yaml")
    with pytest.raises(ConfigError, match="beyond the maximum horizon of 90 days"):
        parse_waivers(config, datetime(2026, 11, 26, tzinfo=UTC))
