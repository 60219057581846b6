"""An evaluation that cannot be recorded fails closed (exit 3); a torn last line is reported, never
silently dropped, and only `audit repair` moves it aside; a truncated log is never "healed" by appending."""

from __future__ import annotations

import json

from audit_helpers import Tiny, anops, events, invoke

from anops_policy.audit.decision_log import head_path


def test_unwritable_log_exits_3_before_reporting(tiny: Tiny) -> None:
    blocker = tiny.root / "not-a-folder"
    blocker.write_text("a file where the log's folder should be\n")
    proc = anops("eval", str(tiny.repo), "--policies", str(tiny.pack), "--decision-log", str(blocker / "d.jsonl"))
    assert proc.returncode == 3
    assert proc.stdout == ""
    assert f"error: decision log {blocker / 'd.jsonl'}: cannot be written: {blocker} is not a folder" in proc.stderr
    assert "fails closed" in proc.stderr and "--no-decision-log" in proc.stderr
    assert "Traceback" not in proc.stderr
    ok = anops("eval", str(tiny.repo), "--policies", str(tiny.pack), "--decision-log", str(blocker / "d.jsonl"),
               "--no-decision-log")
    assert ok.returncode == 1  # the user can still evaluate without recording, explicitly


def test_log_path_that_is_a_folder(tiny: Tiny) -> None:
    tiny.log.mkdir(parents=True)
    result = tiny.eval()
    assert result.exit_code == 3 and "cannot be written" in result.stderr


def test_torn_last_line_blocks_appends_until_repaired(tiny: Tiny) -> None:
    for _ in range(3):
        tiny.eval()
    data = tiny.log.read_bytes()
    torn = b'{"apiVersion":"anops.dev/decision-log/v1","decisions":[{"blocking":tr'
    tiny.log.write_bytes(data + torn)  # a crash in the middle of the fourth write

    result = tiny.eval()
    assert result.exit_code == 3 and "its last line is torn" in result.stderr
    assert tiny.log.read_bytes() == data + torn  # nothing appended, nothing dropped

    verified = invoke("audit", "verify", str(tiny.log))
    assert verified.exit_code == 1
    assert f"record at line 4: torn line: {len(torn)} bytes without a final newline" in verified.output

    repaired = invoke("audit", "repair", str(tiny.log))
    assert repaired.exit_code == 0, repaired.output
    [aside] = list(tiny.log.parent.glob("decisions.jsonl.torn-*"))
    assert aside.read_bytes() == torn  # kept as evidence
    assert f"moved the torn last line ({len(torn)} bytes)" in repaired.output
    assert "recorded the repair as seq 4" in repaired.output
    record = events(tiny.log)[-1]
    assert record["kind"] == "repair" and record["actions"][0].startswith("moved the torn last line")
    assert invoke("audit", "verify", str(tiny.log)).exit_code == 0
    assert tiny.eval().exit_code == 1
    assert [r["seq"] for r in events(tiny.log)] == [1, 2, 3, 4, 5]


def test_truncated_log_is_not_healed_by_appending(tiny: Tiny) -> None:
    for _ in range(3):
        tiny.eval()
    lines = tiny.log.read_bytes().splitlines(keepends=True)
    tiny.log.write_bytes(b"".join(lines[:-1]))
    result = tiny.eval()
    assert result.exit_code == 3
    assert "its head file records seq 3" in result.stderr and "ends at seq 2" in result.stderr
    assert len(tiny.log.read_bytes().splitlines()) == 2
    refused = invoke("audit", "repair", str(tiny.log))
    assert refused.exit_code == 1 and "evidence to keep" in refused.stderr and "truncated" in refused.stderr


def test_repair_refuses_real_damage(tiny: Tiny) -> None:
    for _ in range(3):
        tiny.eval()
    lines = tiny.log.read_bytes().splitlines(keepends=True)
    tiny.log.write_bytes(lines[0] + lines[2])
    before = tiny.log.read_bytes()
    result = invoke("audit", "repair", str(tiny.log))
    assert result.exit_code == 1 and "missing seq 2" in result.stderr
    assert tiny.log.read_bytes() == before


def test_missing_head_needs_an_explicit_repair(tiny: Tiny) -> None:
    tiny.eval()
    tiny.eval()
    head_path(tiny.log).unlink()
    result = tiny.eval()
    assert result.exit_code == 3 and "head file is missing" in result.stderr
    assert invoke("audit", "verify", str(tiny.log)).exit_code == 1
    repaired = invoke("audit", "repair", str(tiny.log))
    assert repaired.exit_code == 0 and "rewrote the head file" in repaired.output
    head = json.loads(head_path(tiny.log).read_text())
    assert head["seq"] == 3 and head["hash"] == events(tiny.log)[-1]["hash"]
    assert tiny.eval().exit_code == 1


def test_nothing_to_repair(tiny: Tiny) -> None:
    tiny.eval()
    result = invoke("audit", "repair", str(tiny.log))
    assert result.exit_code == 0 and "nothing to repair" in result.output
    assert len(events(tiny.log)) == 1


def test_verify_of_a_missing_log(tiny: Tiny) -> None:
    result = invoke("audit", "verify", str(tiny.root / "none.jsonl"))
    assert result.exit_code == 2 and "no such file" in result.stderr
