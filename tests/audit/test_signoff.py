"""Engineer sign-off: refused while the evaluation has blocking failures (unless overridden with a recorded
reason), bound to the evaluation's hash, read back by the `signoff` collector for item 6.1, and checked
by the release gate `audit verify --require-signoff COMMIT`."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from audit_helpers import ROOT, Tiny, anops, commit_all, events, invoke, write_key

from anops_policy.audit.decision_log import canonical, event_hash, head_path


@pytest.fixture
def gitrepo(tiny: Tiny) -> Tiny:
    policy = (ROOT / "policies" / "production-readiness" / "engineer-signed-off.yaml").read_text()
    (tiny.pack / "engineer-signed-off.yaml").write_text(policy.replace('checklist: "6.1"', 'checklist: "2"'))
    commit_all(tiny.repo, "first")
    return tiny


def report(result_stdout: str) -> dict:
    return json.loads(result_stdout)


def signoff_decision(data: dict) -> dict:
    [decision] = [d for d in data["decisions"] if d["policy"] == "engineer-signed-off"]
    return decision


def fix_todo(tiny: Tiny) -> str:
    (tiny.repo / "src" / "build.rs").write_text("fn main() {}\n")
    return commit_all(tiny.repo, "resolve the TODO")


def test_signoff_flow(gitrepo: Tiny) -> None:
    t = gitrepo
    first = t.eval("--format", "json")
    assert first.exit_code == 1
    pending = signoff_decision(report(first.stdout))
    assert pending["outcome"] == "fail" and pending["blocking"] is False and pending["enforcement"] == "advisory"
    assert pending["message"] == "sign-off pending: run anops-policy signoff --decision latest --as <your name>"
    decision_id = events(t.log)[-1]["decision_id"]
    assert f"decision {decision_id}" in first.stderr
    assert "sign off with" not in first.stderr  # not while a sign-off would be refused

    refused = invoke("signoff", str(t.repo), "--decision", "latest", "--as", "jane")
    assert refused.exit_code == 1
    assert f"refusing to sign off decision {decision_id}: it has 1 blocking failure (no-todos [src/build.rs])" \
        in refused.stderr
    assert invoke("signoff", str(t.repo), "--decision", "latest", "--as", "jane", "--override").exit_code == 2
    assert len(events(t.log)) == 1  # nothing appended by refusals

    commit = fix_todo(t)
    clean = t.eval("--format", "json")
    assert clean.exit_code == 0  # the pending sign-off is advisory: eval is not blocked
    clean_id = events(t.log)[-1]["decision_id"]
    assert f"sign off with: anops-policy signoff {t.repo} --decision {clean_id} --as <your name>" in clean.stderr
    data = report(clean.stdout)
    assert data["summary"]["line"] == ("1 of 2 applicable checklist items satisfied"
        " · 0 not applicable · 0 blocking failures")
    again = report(t.eval("--format", "json").stdout)
    previous = events(t.log)[-2]["decision_id"]  # the earlier eval of this commit is named in the message
    assert signoff_decision(again)["message"] == (
        f"sign-off pending: run anops-policy signoff --decision {previous} --as <your name>")

    done = invoke("signoff", str(t.repo), "--decision", previous[:8], "--as", "jane@example.com")
    assert done.exit_code == 0, done.stderr
    assert f"signed off decision {previous} (commit {commit})" in done.stdout
    record = events(t.log)[-1]
    target = next(e for e in events(t.log) if e.get("decision_id") == previous and e["kind"] == "eval")
    assert record["kind"] == "signoff" and record["decision_hash"] == target["hash"]
    assert record["commit"] == commit and record["facts_digest"] == target["facts_digest"]
    assert record["packs"] == [{k: p[k] for k in ("id", "version", "digest")} for p in target["packs"]]
    assert record["by"] == "jane@example.com" and record["override"] is None

    final = report(t.eval("--format", "json").stdout)
    assert final["summary"]["line"] == ("2 of 2 applicable checklist items satisfied"
        " · 0 not applicable · 0 blocking failures")
    assert signoff_decision(final)["outcome"] == "pass"

    gate = invoke("audit", "verify", str(t.log), "--require-signoff", commit)
    assert gate.exit_code == 0 and "signed off by jane@example.com" in gate.output
    assert invoke("audit", "verify", str(t.log), "--require-signoff", commit[:12]).exit_code == 0

    (t.repo / "src" / "clean.rs").write_text("fn clean() { }\n")
    new_commit = commit_all(t.repo, "another change")
    assert signoff_decision(report(t.eval("--format", "json").stdout))["outcome"] == "fail"  # pending again
    gate = invoke("audit", "verify", str(t.log), "--require-signoff", new_commit)
    assert gate.exit_code == 1 and f"no valid sign-off for commit {new_commit}" in gate.output


def test_override_is_recorded(gitrepo: Tiny) -> None:
    gitrepo.eval()
    result = invoke("signoff", str(gitrepo.repo), "--decision", "latest", "--as", "jane", "--override", "--reason",
                    "hotfix; the TODO is tracked in ANOPS-150")
    assert result.exit_code == 0 and "with an override" in result.stdout
    record = events(gitrepo.log)[-1]
    fingerprint = record["override"]["blocking"][0]["fingerprint"]
    assert record["override"] == {"reason": "hotfix; the TODO is tracked in ANOPS-150", "blocking": [
        {"policy": "no-todos", "subject": "src/build.rs", "fingerprint": fingerprint}]}
    shown = invoke("audit", "show", record["signoff_id"], "--log", str(gitrepo.log))
    assert "override: hotfix; the TODO is tracked in ANOPS-150 (1 blocking failures accepted)" in shown.output


def test_signed_signoff_and_the_release_gate(gitrepo: Tiny, tmp_path: Path) -> None:
    key = tmp_path / "jane.pem"
    write_key(key)
    commit = fix_todo(gitrepo)
    gitrepo.eval("--signing-key", str(key))
    unsigned = invoke("signoff", str(gitrepo.repo), "--decision", "latest", "--as", "jane")
    assert unsigned.exit_code == 0
    gate = ["audit", "verify", str(gitrepo.log), "--require-signoff", commit, "--require-signed", "--public-key",
            f"{key}.pub"]
    result = invoke(*gate)
    assert result.exit_code == 1 and "unsigned record" in result.output
    assert "no signed and valid sign-off for commit" in result.output

    shutil.rmtree(gitrepo.repo / ".anops-policy")
    gitrepo.eval("--signing-key", str(key))
    signed = invoke("signoff", str(gitrepo.repo), "--decision", "latest", "--as", "jane", "--signing-key", str(key))
    assert signed.exit_code == 0 and "(signed)" in signed.stdout
    result = invoke(*gate)
    assert result.exit_code == 0, result.output


def test_collector_without_a_log(tiny: Tiny) -> None:
    result = invoke("facts", str(tiny.repo), "--only", "signoff")
    facts = json.loads(result.stdout)
    assert facts["meta"]["collectors"]["signoff"]["status"] == "ok"
    assert facts["signoff"] == {
        "log": ".anops-policy/decisions.jsonl", "log_present": False, "commit": None, "signoffs": [], "by_commit": {},
        "counts": {"signoffs": 0, "valid": 0}, "current": {"signed_off": False, "by": [], "invalid": 0},
        "pending": {"decision_id": None, "command": "anops-policy signoff --decision latest --as <your name>"}}


def test_a_tampered_signoff_is_not_valid(gitrepo: Tiny) -> None:
    fix_todo(gitrepo)
    gitrepo.eval()
    gitrepo.eval()
    assert invoke("signoff", str(gitrepo.repo), "--decision", "latest", "--as", "jane").exit_code == 0
    records = events(gitrepo.log)
    # move the sign-off to the other evaluation without the key: re-hash it and rewrite the head
    records[-1]["decision_id"] = records[0]["decision_id"]
    records[-1]["hash"] = event_hash(records[-1])
    gitrepo.log.write_bytes(b"".join(canonical(r) + b"\n" for r in records))
    head_path(gitrepo.log).write_text(json.dumps({"seq": records[-1]["seq"], "hash": records[-1]["hash"]}))
    facts = json.loads(invoke("facts", str(gitrepo.repo), "--only", "signoff").stdout)["signoff"]
    assert facts["current"] == {"signed_off": False, "by": [], "invalid": 1}
    assert facts["signoffs"][0]["problem"] == "bound to an evaluation whose record does not match the bound hash"
    verified = invoke("audit", "verify", str(gitrepo.log))
    assert verified.exit_code == 1 and "sign-off is bound to hash" in verified.output
    refused = invoke("signoff", str(gitrepo.repo), "--decision", "latest", "--as", "jane")
    assert refused.exit_code == 1 and "fails verification" in refused.stderr


def test_signoff_of_an_unknown_decision(gitrepo: Tiny) -> None:
    gitrepo.eval()
    result = invoke("signoff", str(gitrepo.repo), "--decision", "d-ffffffffffffffff", "--as", "jane")
    assert result.exit_code == 2 and "no evaluation with decision id 'd-ffffffffffffffff'" in result.stderr
    assert invoke("signoff", str(gitrepo.root / "elsewhere"), "--decision", "latest", "--as", "j").exit_code == 2


def test_signoff_through_the_real_entry_point(gitrepo: Tiny) -> None:
    fix_todo(gitrepo)
    evaluated = anops("eval", str(gitrepo.repo), "--policies", str(gitrepo.pack), "--now", "2026-11-26")
    assert evaluated.returncode == 0, evaluated.stderr
    command = re.search(r"sign off with: (anops-policy signoff .*)", evaluated.stderr)
    assert command is not None
    args = command.group(1).replace("<your name>", "jane").split()[1:]
    signed = anops(*args)
    assert signed.returncode == 0, signed.stderr
    again = anops("eval", str(gitrepo.repo), "--policies", str(gitrepo.pack), "--now", "2026-11-26")
    assert "2 of 2 applicable checklist items satisfied" in again.stdout and "sign off with" not in again.stderr


def test_ci_and_engineer_keys(gitrepo: Tiny, tmp_path: Path) -> None:
    """CI signs evaluations with its key, the engineer signs the sign-off with theirs; the gate takes both."""
    ci, jane = tmp_path / "ci.pem", gitrepo.repo / "keys" / "jane.pem"
    jane.parent.mkdir()
    write_key(ci)
    write_key(jane)
    (gitrepo.repo / ".gitignore").write_text("/.anops-policy/\nkeys/*.pem\n")
    commit = fix_todo(gitrepo)
    assert gitrepo.eval("--signing-key", str(ci)).exit_code == 0
    assert invoke("signoff", str(gitrepo.repo), "--decision", "latest", "--as", "jane",
                  "--signing-key", str(jane)).exit_code == 0
    gate = ["audit", "verify", str(gitrepo.log), "--require-signoff", commit, "--require-signed"]
    assert invoke(*gate, "--public-key", f"{ci}.pub", "--public-key", f"{jane}.pub").exit_code == 0
    only_ci = invoke(*gate, "--public-key", f"{ci}.pub")
    assert only_ci.exit_code == 1 and "line 2, seq 2: bad signature" in only_ci.output

    # the collector checks sign-off signatures against the keys the config names
    gitrepo.config("collect:\n  options:\n    signoff: {public_key: [keys/jane.pem.pub]}\n")
    facts = json.loads(invoke("facts", str(gitrepo.repo), "--only", "signoff").stdout)["signoff"]
    assert facts["current"] == {"signed_off": True, "by": ["jane"], "invalid": 0}
    assert facts["signoffs"][0]["signed"] is True
    gitrepo.config(f"collect:\n  options:\n    signoff: {{public_key: {ci}.pub}}\n")
    facts = json.loads(invoke("facts", str(gitrepo.repo), "--only", "signoff").stdout)["signoff"]
    assert facts["current"]["signed_off"] is False
    assert facts["signoffs"][0]["problem"] == "missing or bad signature for the configured public key"
