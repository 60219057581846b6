"""The baseline ratchet on the example: after fixing one item and introducing one new failure, a run
against the previous report blocks on exactly the new one, and reports new, unchanged and fixed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from anops_policy.evaluation.baseline import Baseline, _failures, apply_baseline, baseline_states
from anops_policy.evaluation.evaluate import fingerprint
from anops_policy.evaluation.report import Report
from anops_policy.policy.model import Decision, Level, Outcome
from anops_policy.validation import validator

NOW = "2026-11-26T12:00:00Z"
FIXED = "ao-cli/src/build.rs"
NEW = "ao-cli/src/check.rs"  # not a release file in the example, and free of markers


def _report(example: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((example.parent / "out" / name).read_text())
    return data


def _failing(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["fingerprint"]: d for d in report["decisions"] if d["outcome"] == "fail"}


def _change_the_tree(example: Path) -> None:
    """Fix one item (every marker out of build.rs) and introduce one new failure (check.rs becomes a
    release file and gains a TODO, with an owner and a ticket so that only the release-file policy minds
    it). Also move code in utils.rs: its failure must stay 'unchanged'."""
    build = example / FIXED
    build.write_text("".join(line for line in build.read_text().splitlines(keepends=True)
                             if "TODO" not in line and "FIXME" not in line))
    check = example / NEW
    assert "TODO" not in check.read_text()
    check.write_text("// TODO(jane, ANOPS-200): validate the manifest before building\n" + check.read_text())
    config = example / "anops-policy.yaml"
    text = config.read_text()
    assert "  - ao-cli/src/utils.rs\n" in text
    config.write_text(text.replace("  - ao-cli/src/utils.rs\n", f"  - ao-cli/src/utils.rs\n  - {NEW}\n"))
    utils = example / "ao-cli" / "src" / "utils.rs"
    utils.write_text("\n\n\n// moved down by three lines\n" + utils.read_text())


@pytest.fixture
def baseline(example: Path, run_cli: Any) -> dict[str, Any]:
    run = run_cli(".", "--now", NOW, "--output", f"json={example.parent / 'out' / 'base.json'}", cwd=example)
    assert run.exit_code == 1
    return _report(example, "base.json")


def test_only_the_new_failure_blocks(example: Path, run_cli: Any, baseline: dict[str, Any]) -> None:
    before = _failing(baseline)
    assert any(d["subject"] == FIXED for d in before.values())
    _change_the_tree(example)
    out = example.parent / "out"
    plain = run_cli(".", "--now", NOW, "--output", f"json={out / 'plain.json'}", cwd=example)
    ratchet = run_cli(".", "--now", NOW, "--baseline", str(out / "base.json"), "--output", f"json={out / 'r.json'}",
                      cwd=example)
    assert plain.exit_code == ratchet.exit_code == 1
    report = _report(example, "r.json")
    assert list(validator("report").iter_errors(report)) == []
    blocking = [d for d in report["decisions"] if d["blocking"]]
    assert [(d["policy"], d["subject"]) for d in blocking] == [("no-todos-in-release-files", NEW)]
    assert len([d for d in _report(example, "plain.json")["decisions"] if d["blocking"]]) > 1
    info = report["baseline"]
    unchanged = len(_failing(report)) - 1
    assert info["counts"] == {"new": 1, "unchanged": unchanged, "fixed": 1}
    assert [f["subject"] for f in info["fixed"]] == [FIXED]
    assert info["new"] == [blocking[0]["fingerprint"]]
    assert any(d["subject"] == "ao-cli/src/utils.rs" for d in report["decisions"]
               if d["fingerprint"] in info["unchanged"]), "a failure whose code moved stays unchanged"
    assert report["summary"]["line"].endswith(f"· baseline: 1 new, {unchanged} unchanged, 1 fixed")
    assert report["exit_code"] == 1
    assert f"1 fixed: no-todos-in-release-files [{FIXED}]" in ratchet.stdout


def test_every_format_shows_the_comparison(example: Path, run_cli: Any, baseline: dict[str, Any]) -> None:
    _change_the_tree(example)
    out = example.parent / "out"
    run_cli(".", "--now", NOW, "--baseline", str(out / "base.json"), "--output", f"sarif={out / 'r.sarif'}",
            "--output", f"markdown={out / 'r.md'}", "--output", f"html={out / 'r.html'}", "--output",
            f"junit={out / 'r.xml'}", cwd=example)
    sarif = json.loads((out / "r.sarif").read_text())["runs"][0]
    states = {r["properties"]["subject"]: r.get("baselineState") for r in sarif["results"]
              if r["ruleId"] == "no-todos-in-release-files"}
    assert states[NEW] == "new" and states["ao-cli/src/utils.rs"] == "unchanged"
    assert sarif["properties"]["baseline"]["fixed"] == 1
    markdown = (out / "r.md").read_text()
    assert "### Baseline" in markdown and f"- fixed: `no-todos-in-release-files` `{FIXED}`" in markdown
    assert "soft, in baseline" in markdown and "soft, blocking, new" in markdown
    assert "fixed: <code>no-todos-in-release-files</code>" in (out / "r.html").read_text()
    assert "(soft, in baseline)" in (out / "r.xml").read_text()


def test_decision_log_as_baseline(example: Path, run_cli: Any, baseline: dict[str, Any], tmp_path: Path) -> None:
    """A JSON Lines log: the last eval event counts; sign-off events and a torn last line are ignored."""
    log = tmp_path / "decisions.jsonl"
    stale = {"kind": "eval", "seq": 1, "decisions": []}
    last = {"kind": "eval", "seq": 2, "decisions": [
        {k: d[k] for k in ("policy", "subject", "outcome", "fingerprint", "message", "waiver")}
        for d in baseline["decisions"]]}
    signoff = {"kind": "signoff", "seq": 3, "decision_id": "d-1"}
    log.write_text("\n".join(json.dumps(e) for e in (stale, last, signoff)) + '\n{"kind": "eval", "decis')
    _change_the_tree(example)
    out = example.parent / "out"
    run = run_cli(".", "--now", NOW, "--baseline", str(log), "--output", f"json={out / 'r.json'}", cwd=example)
    assert run.exit_code == 1
    report = _report(example, "r.json")
    assert report["baseline"]["kind"] == "decision_log"
    assert [d["subject"] for d in report["decisions"] if d["blocking"]] == [NEW]


def test_unchanged_tree_passes_against_its_own_baseline(example: Path, run_cli: Any,
                                                        baseline: dict[str, Any]) -> None:
    out = example.parent / "out"
    run = run_cli(".", "--now", NOW, "--baseline", str(out / "base.json"), "--output", f"json={out / 'r.json'}",
                  cwd=example)
    report = _report(example, "r.json")
    assert report["baseline"]["counts"]["new"] == 0 and report["baseline"]["counts"]["fixed"] == 0
    assert run.exit_code == report["exit_code"] == (1 if report["summary"]["blocking_failures"] else 0)
    assert not any(d["blocking"] and d["outcome"] == "fail" for d in report["decisions"])


def test_errors_are_never_ratcheted(example: Path, run_cli: Any, ci_pack: Path) -> None:
    """An erroring policy keeps blocking even when the baseline had the same error (no silent green)."""
    out = example.parent / "out"
    first = run_cli(".", "--now", NOW, "--policies", str(ci_pack), "--output", f"json={out / 'b.json'}",
                    cwd=example)
    again = run_cli(".", "--now", NOW, "--policies", str(ci_pack), "--baseline", str(out / "b.json"),
                    "--output", f"json={out / 'r.json'}", cwd=example)
    assert first.exit_code == again.exit_code == 1
    report = _report(example, "r.json")
    assert [d["policy"] for d in report["decisions"] if d["blocking"]] == ["broken-lookup"]


@pytest.mark.parametrize(("content", "message"), [
    ("not json at all", "expected a JSON report"),
    ('{"apiVersion": "x", "decisions": [{"outcome": "fail"}]}', "lacks a string 'fingerprint'"),
    ('{"kind": "signoff"}\n', "no eval event"),
    ("[1, 2]", "expected a JSON report"),
])
def test_bad_baseline_is_a_usage_error(example: Path, run_cli: Any, tmp_path: Path, content: str,
                                       message: str) -> None:
    bad = tmp_path / ("bad.jsonl" if "signoff" in content else "bad.json")
    bad.write_text(content)
    run = run_cli(".", "--now", NOW, "--baseline", str(bad), cwd=example)
    assert run.exit_code == 2
    assert f"--baseline {bad}" in run.stderr and message in run.stderr


def test_missing_baseline_is_a_usage_error(example: Path, run_cli: Any, tmp_path: Path) -> None:
    run = run_cli(".", "--now", NOW, "--baseline", str(tmp_path / "nope.json"), cwd=example)
    assert run.exit_code == 2 and "no such file" in run.stderr


def _decision(policy: str, subject: str | None, paths: list[str], outcome: Outcome = Outcome.FAIL) -> Decision:
    evidence = [{"path": p, "line": 1} for p in paths]
    return Decision(policy=policy, title=policy, subject=subject, outcome=outcome, severity="high",
                    enforcement=Level.SOFT, blocking=outcome in (Outcome.FAIL, Outcome.ERROR),
                    message=f"{policy} fails", explanation={}, evidence=evidence, remediation="", checklist="1",
                    fingerprint=fingerprint(policy, subject, evidence))


def _baseline_of(*decisions: Decision) -> Baseline:
    report = Report(packs=[], decisions=list(decisions), run={}, collectors={})
    return Baseline("base.json", "report", _failures(report.to_json()["decisions"], "base.json"))


def test_aggregate_decisions_ratchet_by_their_files() -> None:
    """One decision for many files ("markers lack an owner"): losing a file is not new, gaining one is."""
    baseline = _baseline_of(_decision("owners", None, ["a.rs", "b.rs"]), _decision("gone", "x", ["x.rs"]))
    shrunk = _decision("owners", None, ["a.rs"])
    grown = _decision("owners", None, ["a.rs", "c.rs"])
    for current, state in ((shrunk, "unchanged"), (grown, "new")):
        report = Report(packs=[], decisions=[current], run={}, collectors={})
        apply_baseline(report, baseline)
        assert baseline_states(report) == {current.fingerprint: state}
        assert current.blocking is (state == "new")
        assert report.baseline is not None
        assert [f["policy"] for f in report.baseline["fixed"]] == (["gone"] if state == "unchanged" else
                                                                    ["gone", "owners"])


def test_waived_and_erroring_baseline_entries_are_not_debt() -> None:
    waived = _decision("w", "s", ["w.rs"], Outcome.WAIVED)
    errored = _decision("e", None, [], Outcome.ERROR)
    baseline = _baseline_of(waived, errored)
    assert baseline.failures == {}
    expired = _decision("w", "s", ["w.rs"])
    again = _decision("e", None, [], Outcome.ERROR)
    report = Report(packs=[], decisions=[expired, again], run={}, collectors={})
    apply_baseline(report, baseline)
    assert expired.blocking and again.blocking
