"""`audit report --html`: one self-contained page built from the example's decision log, rendered by
headless Chromium (screenshot kept under test-artifacts/) without console errors or network access."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from audit_helpers import NOW, commit_all, events, invoke

from anops_policy.outputs.audit_report import render_html, render_run_html, trend_svg
from tests.headless_chromium import ARTIFACTS, chromium, console_problems, find_chromium

WAIVER = """
waivers:
  - policy: no-todos-in-release-files
    subject: tests/test_e2e.py
    owner: jane@example.com
    reason: negative-path tests land in ANOPS-142
    ticket: ANOPS-142
    expires: 2026-12-05
"""


@pytest.fixture
def example_log(example: Path) -> Path:
    """The example repository's log after a week of work: evaluations, a waiver, fixes, a sign-off."""
    commit_all(example, "before")
    assert invoke("eval", str(example), "--now", "2026-11-20").exit_code == 1
    with (example / "anops-policy.yaml").open("a") as fh:
        fh.write(WAIVER)
    commit_all(example, "waive the e2e TODO until ANOPS-142")
    invoke("eval", str(example), "--now", "2026-11-24")
    utils = example / "ao-cli" / "src" / "utils.rs"
    utils.write_text(re.sub(r"//\s*(TODO|FIXME)[^\n]*", "// tracked in ANOPS-150", utils.read_text()))
    commit_all(example, "resolve the utils TODO")
    invoke("eval", str(example), "--now", NOW)
    signed = invoke("signoff", str(example), "--decision", "latest", "--as", "jane@example.com", "--override",
                    "--reason", "release candidate for the demo; remaining TODOs tracked in ANOPS-151")
    assert signed.exit_code == 0, signed.stderr
    invoke("eval", str(example), "--now", NOW)
    return example / ".anops-policy" / "decisions.jsonl"


def test_html_report_of_the_example_log(example_log: Path, tmp_path: Path) -> None:
    out = tmp_path / "audit.html"
    result = invoke("audit", "report", "--log", str(example_log), "--html", str(out))
    assert result.exit_code == 0, result.output
    assert "chain intact" in result.output
    html = out.read_text()
    # self-contained: no script, no external resource of any kind, and a CSP that forbids them anyway
    assert "default-src 'none'" in html
    for forbidden in ("<script", "<link", "src=", "@import", "url(", "http://", "https://", "//cdn"):
        assert forbidden not in html, forbidden
    records = events(example_log)
    evals = [r for r in records if r["kind"] == "eval"]
    assert html.count("<circle") == len(evals) == 4
    for expected in ("Decision log audit", "✓ intact", "Pass-rate trend", "5. Outstanding TODOs in Code",
                     "6. Sign-off", "ANOPS-142", "expires soon", "jane@example.com",
                     "release candidate for the demo", evals[-1]["decision_id"], records[-1]["hash"]):
        assert expected in html, expected


def test_html_report_renders_in_headless_chromium(example_log: Path, tmp_path: Path) -> None:
    browser = find_chromium()
    if browser is None:
        pytest.skip("no chromium binary on PATH (Debian: apt-get install -y chromium)")
    page = tmp_path / "audit.html"
    assert invoke("audit", "report", "--log", str(example_log), "--html", str(page)).exit_code == 0
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "audit-report.png"
    shot.unlink(missing_ok=True)
    shot_run = chromium(browser, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1280,2400",
                        "--hide-scrollbars", page.as_uri())
    assert shot_run.returncode == 0, shot_run.stderr[-3000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2400)
    dom_run = chromium(browser, tmp_path / "profile-dom", "--dump-dom", page.as_uri())
    assert dom_run.returncode == 0
    assert "Decision log audit" in dom_run.stdout and "<svg" in dom_run.stdout and "<circle" in dom_run.stdout
    assert console_problems(shot_run.stderr + dom_run.stderr) == []
    (ARTIFACTS / "audit-report.html").write_text(page.read_text())


def test_console_error_detection_works(tmp_path: Path) -> None:
    """The negative control: a page that errors is caught by the same check."""
    browser = find_chromium()
    if browser is None:
        pytest.skip("no chromium binary on PATH (Debian: apt-get install -y chromium)")
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><html><body><p>x</p><script>throw new Error('boom')</script></body></html>")
    run = chromium(browser, tmp_path / "profile", "--dump-dom", page.as_uri())
    assert any("Uncaught Error: boom" in line for line in console_problems(run.stderr))


def test_broken_chain_is_shown(example_log: Path, tmp_path: Path) -> None:
    lines = example_log.read_bytes().splitlines(keepends=True)
    example_log.write_bytes(b"".join(lines[:1] + lines[2:]))
    out = tmp_path / "broken.html"
    result = invoke("audit", "report", "--log", str(example_log), "--html", str(out))
    assert result.exit_code == 0 and "chain BROKEN" in result.output
    html = out.read_text()
    assert "✗ BROKEN" in html and "First broken record:</b> record at line 2, seq 3: missing seq 2" in html


def test_renderers_are_reusable(example_log: Path) -> None:
    records = events(example_log)
    page = render_html(records, {"ok": True, "records": len(records), "signed": 0, "last_seq": len(records),
                                 "last_hash": records[-1]["hash"], "problems": [], "notes": []}, log_name="x.jsonl")
    assert page.startswith("<!DOCTYPE html>") and page.count("<h2>") >= 5
    assert "no evaluations yet" in trend_svg([])
    report = json.loads(invoke("eval", str(example_log.parent.parent), "--now", NOW, "--format", "json",
                               "--no-decision-log").stdout)
    run_page = render_run_html(report)
    assert report["summary"]["line"] in run_page and "<script" not in run_page


def test_org_page_of_hand_edited_records_of_the_wrong_shape(tmp_path: Path) -> None:
    """The organisation's page is drawn for broken chains too, from every record that parses: a summary, repo
    or override that is not a mapping, items and waivers that are not mappings and counts that are not whole
    numbers are left out, and a lone surrogate is replaced, never an internal error."""
    odd = [
        {"kind": "eval", "seq": 1, "time": "2026-12-01T00:00:00Z", "summary": "all green", "items": ["x"],
         "waivers": [1], "repo": "r", "decision_id": "d1"},
        {"kind": "eval", "seq": 2, "time": "2026-12-02T00:00:00Z", "decision_id": "d2", "repo": {"commit": "c"},
         "summary": {"items_satisfied": "many", "items_applicable": -1, "blocking_failures": 1.5},
         "items": [{"pack": "p", "id": "1.1", "status": "satisfied"}], "waivers": [{"expires": 5}]},
        {"kind": "signoff", "seq": 3, "time": "2026-12-02T01:00:00Z", "decision_id": "d2", "override": "yes",
         "commit": ["c"], "by": "\ud800jane"},  # a lone surrogate has no UTF-8 form
    ]
    logs = []
    for name, records in (("alpha", odd[:1]), ("beta", odd[1:])):
        log = tmp_path / name / "decisions.jsonl"
        log.parent.mkdir()
        log.write_text("".join(json.dumps(r) + "\n" for r in records))
        logs += ["--log", str(log)]
    page = tmp_path / "org.html"
    result = invoke("audit", "report", *logs, "--html", str(page))
    assert result.exit_code == 0, result.output
    assert "2 streams, 3 records, 2 chain(s) BROKEN (alpha, beta)" in result.output, result.output
    html = page.read_text(encoding="utf-8")
    assert "0 / 2</b>chains intact" in html and "Checklist items by repository" in html and "?jane" in html
