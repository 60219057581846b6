"""The decision log as written by `eval`: one canonical, hash-chained line per run, a head file, stored
inputs, the event schema, signatures, and the head printed for CI logs."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from audit_helpers import NOW, Tiny, events, invoke, write_key

from anops_policy.audit import store as log_store
from anops_policy.audit.decision_log import (
    DecisionLog,
    canonical,
    event_hash,
    head_path,
    objects_dir,
    read_head,
    sha256,
)
from anops_policy.audit.verify import VerifyOptions, verify_log
from anops_policy.facts import digest_of
from anops_policy.keys import load_signer
from anops_policy.pipeline.run import EvalRequest, run_eval
from anops_policy.validation import validator


def test_each_eval_appends_one_chained_canonical_record(tiny: Tiny) -> None:
    for _ in range(3):
        result = tiny.eval()
        assert result.exit_code == 1, result.output  # the TODO in src/build.rs blocks
    lines = tiny.log.read_bytes().splitlines(keepends=True)
    assert len(lines) == 3
    records = events(tiny.log)
    assert [r["seq"] for r in records] == [1, 2, 3]
    assert records[0]["prev_hash"] is None
    for prev, record, line in zip([None, *records], records, lines, strict=False):
        assert record["hash"] == event_hash(record)
        assert record["prev_hash"] == (prev["hash"] if prev else None)
        assert canonical(record) + b"\n" == line  # lines are RFC 8785 canonical JSON
        assert "signature" not in record
    head = read_head(tiny.log)
    assert head is not None and head["seq"] == 3 and head["hash"] == records[-1]["hash"]


def test_eval_record_content(tiny: Tiny) -> None:
    result = tiny.eval()
    [record] = events(tiny.log)
    assert record["kind"] == "eval" and re.fullmatch(r"d-[0-9a-f]{16}", record["decision_id"])
    assert record["actor"] == {"name": "ci-bot", "source": "GITHUB_ACTOR", "ci": {"GITHUB_RUN_ID": "4242"}}
    assert record["now"] == NOW
    assert record["packs"][0]["id"] == "tiny" and record["packs"][0]["digest"].startswith("sha256:")
    assert record["settings"] == {"fail_on": "soft", "deadline_s": 2.0, "baseline": None}
    assert record["summary"]["line"] == ("0 of 2 applicable checklist items satisfied"
        " · 0 not applicable · 1 blocking failures")
    by_subject = {d["subject"]: d for d in record["decisions"]}
    failing = by_subject["src/build.rs"]
    assert failing["outcome"] == "fail" and failing["blocking"] is True
    assert failing["explanation"] == "size(vars.found) == 0 → 1 == 0"
    assert failing["evidence"] == [{"path": "src/build.rs", "line": 2}]
    assert by_subject["src/clean.rs"]["outcome"] == "pass"
    assert list(validator("decision-log-event").iter_errors(record)) == []
    # eval prints the new head on stderr, so CI logs keep it for `audit verify --expect-head`
    assert f"head {record['hash']}" in result.stderr
    assert f"decision {record['decision_id']}" in result.stderr


def test_inputs_are_stored_content_addressed_beside_the_log(tiny: Tiny) -> None:
    tiny.eval()
    tiny.eval()
    first, second = events(tiny.log)
    store = objects_dir(tiny.log)
    for record in (first, second):
        document = log_store.get(store, record["objects"]["facts"])
        assert digest_of(document) == record["facts_digest"]
        [pack] = [log_store.get(store, a) for a in record["objects"]["packs"]]
        assert pack["digest"] == record["packs"][0]["digest"] and "no-todos.yaml" in pack["files"]
        config = log_store.get(store, record["objects"]["config"])
        assert config["raw"]["release_files"] == ["src/build.rs", "src/clean.rs"]
    # the same pack and config are stored once
    assert first["objects"]["packs"] == second["objects"]["packs"]
    assert first["objects"]["config"] == second["objects"]["config"]
    stored = log_store.object_path(store, first["objects"]["config"])
    data = gzip.decompress(stored.read_bytes())
    assert sha256(data) == first["objects"]["config"]


def test_no_decision_log_and_explicit_location(tiny: Tiny, tmp_path: Path) -> None:
    assert tiny.eval("--no-decision-log").exit_code == 1
    assert not tiny.log.exists()
    elsewhere = tmp_path / "audit" / "log.jsonl"
    result = tiny.eval("--decision-log", str(elsewhere))
    assert result.exit_code == 1 and not tiny.log.exists()
    assert [r["seq"] for r in events(elsewhere)] == [1]
    assert head_path(elsewhere).is_file() and (elsewhere.parent / "objects" / "sha256").is_dir()


def test_config_decision_log_location(tiny: Tiny) -> None:
    tiny.config("decision_log: audit/decisions.jsonl\n")
    tiny.eval()
    assert (tiny.repo / "audit" / "decisions.jsonl").is_file()
    assert not tiny.log.exists()


def test_api_eval_records_only_when_asked(tiny: Tiny) -> None:
    run_eval(EvalRequest(path=tiny.repo, policies=[tiny.pack]))
    assert not tiny.log.exists()
    report, _doc, _config, _packs = run_eval(EvalRequest(path=tiny.repo, policies=[tiny.pack], record=True))
    assert report.logged is not None and report.logged["event"]["seq"] == 1
    assert verify_log(tiny.log).ok


def test_signed_records_and_head(tiny: Tiny, tmp_path: Path) -> None:
    key_file = tmp_path / "ci.pem"
    write_key(key_file)
    result = tiny.eval("--signing-key", str(key_file))
    assert "(signed)" in result.stderr
    # the key may also come from the environment (the key material itself, as CI secrets are)
    invoke("eval", str(tiny.repo), "--policies", str(tiny.pack), "--now", NOW,
           env={"ANOPS_POLICY_SIGNING_KEY": key_file.read_text()})
    records = events(tiny.log)
    assert all(r["signature"]["alg"] == "Ed25519" for r in records)
    assert records[0]["signature"]["key_id"] == records[1]["signature"]["key_id"] == load_signer(
        key_file.read_bytes(), "k").key_id
    head = read_head(tiny.log)
    assert head is not None and "signature" in head
    pub = tmp_path / "ci.pem.pub"
    ok = invoke("audit", "verify", str(tiny.log), "--public-key", str(pub), "--require-signed")
    assert ok.exit_code == 0, ok.output
    assert "2 signed (signatures checked)" in ok.output
    other = tmp_path / "other.pem"
    write_key(other)
    bad = invoke("audit", "verify", str(tiny.log), "--public-key", str(tmp_path / "other.pem.pub"))
    assert bad.exit_code == 1 and "line 1" in bad.output and "bad signature" in bad.output


def test_require_signed_rejects_unsigned_records(tiny: Tiny, tmp_path: Path) -> None:
    key_file = tmp_path / "ci.pem"
    write_key(key_file)
    tiny.eval("--signing-key", str(key_file))
    tiny.eval()  # an unsigned record appended by someone without the key
    result = invoke("audit", "verify", str(tiny.log), "--public-key", str(tmp_path / "ci.pem.pub"), "--require-signed")
    assert result.exit_code == 1
    assert "line 2, seq 2: unsigned record" in result.output


def test_keygen_writes_a_usable_pair(tiny: Tiny, tmp_path: Path) -> None:
    key = tmp_path / "keys" / "signing.pem"
    assert invoke("audit", "keygen", "--out", str(key)).exit_code == 0
    assert key.stat().st_mode & 0o077 == 0
    assert invoke("audit", "keygen", "--out", str(key)).exit_code == 2  # never overwrites a key
    tiny.eval("--signing-key", str(key))
    assert invoke("audit", "verify", str(tiny.log), "--public-key", f"{key}.pub", "--require-signed").exit_code == 0


def test_head_lagging_by_one_record_is_accepted(tiny: Tiny) -> None:
    """A crash between appending the line and replacing the head leaves the head one record behind:
    not tampering, so verify notes it and the next append goes on."""
    tiny.eval()
    head_before = head_path(tiny.log).read_bytes()
    tiny.eval()
    head_path(tiny.log).write_bytes(head_before)
    result = invoke("audit", "verify", str(tiny.log))
    assert result.exit_code == 0 and "one record behind" in result.output
    assert tiny.eval().exit_code == 1
    assert [r["seq"] for r in events(tiny.log)] == [1, 2, 3]
    assert invoke("audit", "verify", str(tiny.log)).exit_code == 0


def test_append_api_chains_custom_events(tmp_path: Path) -> None:
    log = DecisionLog(tmp_path / "d.jsonl")
    first = log.append(lambda tail: {"apiVersion": "anops.dev/decision-log/v1", "kind": "repair",
                                     "actions": [f"after {tail.seq}"]})
    second = log.append(lambda tail: {"apiVersion": "anops.dev/decision-log/v1", "kind": "repair",
                                      "actions": [f"after {tail.seq}"]})
    assert (first["seq"], second["seq"]) == (1, 2) and second["prev_hash"] == first["hash"]
    assert second["actions"] == ["after 1"]
    result = verify_log(tmp_path / "d.jsonl", VerifyOptions())
    assert result.ok and json.loads((tmp_path / "d.jsonl.head").read_text())["seq"] == 2
