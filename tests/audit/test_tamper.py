"""Tampering with the decision log: every kind of edit is caught by `audit verify`, which exits 1 and
names the first broken record (with the head file; with the key for the re-hash case)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from audit_helpers import Tiny, invoke, write_key

from anops_policy.audit.decision_log import canonical, event_hash, head_message, head_path
from anops_policy.audit.store import object_path
from anops_policy.keys import load_signer

RECORDS = 6


@pytest.fixture
def signed_log(tiny: Tiny, tmp_path: Path) -> tuple[Path, Path]:
    key = tmp_path / "ci.pem"
    write_key(key)
    for _ in range(RECORDS):
        assert tiny.eval("--signing-key", str(key)).exit_code == 1
    assert invoke("audit", "verify", str(tiny.log)).exit_code == 0
    return tiny.log, key


def lines_of(log: Path) -> list[bytes]:
    return log.read_bytes().splitlines(keepends=True)


def verify(log: Path, *extra: str) -> tuple[int, str]:
    result = invoke("audit", "verify", str(log), *extra)
    return result.exit_code, result.output


def first_problem(output: str) -> str:
    first = output.splitlines()[0]
    assert first.startswith("FAILED: "), output
    return first


def test_every_single_byte_edit_is_caught_and_located(signed_log: tuple[Path, Path], tmp_path: Path) -> None:
    log, _key = signed_log
    original = lines_of(log)
    checked = 0
    for index, line in enumerate(original):
        body = line[:-1]
        # positions spread over the whole record (seq, time, hashes, decisions, objects, …) except the
        # signature, which is outside the hash and checked with the key (next test)
        signature_at = body.find(b'"signature"')
        positions = sorted({int(len(body) * k / 40) for k in range(40)} | {body.find(b'"seq"') + 6})
        for pos in positions:
            if signature_at <= pos < body.find(b"}", signature_at) + 1:
                continue
            old = body[pos:pos + 1]
            new = b"Y" if old == b"Z" else b"Z"
            edited = [*original]
            edited[index] = body[:pos] + new + body[pos + 1:] + b"\n"
            log.write_bytes(b"".join(edited))
            code, output = verify(log, "--no-objects")
            assert code == 1, f"edit at line {index + 1} byte {pos} went unnoticed"
            assert f"line {index + 1}" in first_problem(output), (pos, output)
            checked += 1
    assert checked > RECORDS * 30


def test_signature_byte_edit_is_caught_with_the_key(signed_log: tuple[Path, Path]) -> None:
    log, key = signed_log
    original = lines_of(log)
    record = json.loads(original[2])
    value = record["signature"]["value"]
    record["signature"]["value"] = ("B" if value[0] == "A" else "A") + value[1:]
    log.write_bytes(b"".join([*original[:2], canonical(record) + b"\n", *original[3:]]))
    code, output = verify(log, "--public-key", f"{key}.pub")
    assert code == 1 and "line 3, seq 3: bad signature" in first_problem(output)


def test_deleted_line(signed_log: tuple[Path, Path]) -> None:
    log, _key = signed_log
    original = lines_of(log)
    log.write_bytes(b"".join(original[:2] + original[3:]))
    code, output = verify(log)
    assert code == 1
    assert "line 3, seq 4: missing seq 3 before this record (records deleted)" in first_problem(output)


def test_swapped_lines(signed_log: tuple[Path, Path]) -> None:
    log, _key = signed_log
    original = lines_of(log)
    swapped = [*original]
    swapped[1], swapped[3] = original[3], original[1]
    log.write_bytes(b"".join(swapped))
    code, output = verify(log)
    assert code == 1
    assert "line 2, seq 4: reordered: expected seq 2 here, found seq 4 (seq 2 is at line 4)" in first_problem(output)


def test_torn_last_line(signed_log: tuple[Path, Path]) -> None:
    log, _key = signed_log
    data = log.read_bytes()
    log.write_bytes(data[: len(data) - 200])
    code, output = verify(log)
    assert code == 1
    assert f"line {RECORDS}: torn line" in first_problem(output)


def test_trailing_records_removed_is_caught_by_the_head(signed_log: tuple[Path, Path]) -> None:
    log, _key = signed_log
    original = lines_of(log)
    log.write_bytes(b"".join(original[:-2]))
    code, output = verify(log)
    assert code == 1
    assert (f"line {RECORDS - 2}, seq {RECORDS - 2}: truncated: the head file records seq {RECORDS}"
            in first_problem(output))
    assert f"records {RECORDS - 1}..{RECORDS} missing" in output


def test_truncation_with_the_head_removed_is_still_reported(signed_log: tuple[Path, Path]) -> None:
    log, _key = signed_log
    log.write_bytes(b"".join(lines_of(log)[:-2]))
    head_path(log).unlink()
    code, output = verify(log)
    assert code == 1 and "head file missing" in first_problem(output)


def test_truncation_with_a_rewritten_head_is_caught_by_an_external_head(signed_log: tuple[Path, Path]) -> None:
    log, key = signed_log
    original = lines_of(log)
    recorded_head = json.loads(original[-1])["hash"]  # what CI printed after the last eval
    last_kept = json.loads(original[-3])
    log.write_bytes(b"".join(original[:-2]))
    head_path(log).write_text(json.dumps({"seq": last_kept["seq"], "hash": last_kept["hash"]}))
    assert verify(log)[0] == 0  # head and log agree again: only an outside reference can tell
    code, output = verify(log, "--expect-head", recorded_head)
    assert code == 1 and "the expected head" in output and "is not in the log" in output
    code, output = verify(log, "--public-key", f"{key}.pub", "--require-signed")
    assert code == 1 and "unsigned head file" in output


def rehash_from(records: list[dict], start: int, edit: Callable[[dict], None]) -> list[bytes]:
    """What someone without the signing key can do: edit a record and recompute every hash after it."""
    edit(records[start])
    for index in range(start, len(records)):
        if index > 0:
            records[index]["prev_hash"] = records[index - 1]["hash"]
        records[index]["hash"] = event_hash(records[index])
    return [canonical(r) + b"\n" for r in records]


def test_rehashed_edit_without_the_key(signed_log: tuple[Path, Path]) -> None:
    log, key = signed_log
    recorded_head = json.loads(lines_of(log)[-1])["hash"]
    records = [json.loads(line) for line in lines_of(log)]

    def waive(record: dict) -> None:
        for decision in record["decisions"]:
            decision["outcome"], decision["blocking"] = "pass", False

    log.write_bytes(b"".join(rehash_from(records, 2, waive)))
    head_path(log).write_text(json.dumps({"seq": records[-1]["seq"], "hash": records[-1]["hash"]}))
    # without a key or an outside head a full rewrite is undetectable (documented); with either it is not
    assert verify(log, "--no-objects")[0] == 0
    code, output = verify(log, "--public-key", f"{key}.pub")
    assert code == 1 and "line 3, seq 3: bad signature" in first_problem(output)
    code, output = verify(log, "--expect-head", recorded_head)
    assert code == 1 and "is not in the log" in output


def test_rehash_of_one_record_breaks_the_next_link(signed_log: tuple[Path, Path]) -> None:
    log, _key = signed_log
    records = [json.loads(line) for line in lines_of(log)]
    records[1]["decisions"][0]["message"] = "nothing to see"
    records[1]["hash"] = event_hash(records[1])
    log.write_bytes(b"".join(canonical(r) + b"\n" for r in records))
    code, output = verify(log)
    assert code == 1 and "line 3, seq 3: prev_hash" in first_problem(output)


def test_forged_signature_with_another_key(signed_log: tuple[Path, Path], tmp_path: Path) -> None:
    log, key = signed_log
    records = [json.loads(line) for line in lines_of(log)]
    write_key(tmp_path / "mallory.pem")
    mallory = load_signer((tmp_path / "mallory.pem").read_bytes(), "mallory")
    records[4]["actor"]["name"] = "someone else"
    records[4]["hash"] = event_hash(records[4])
    records[4]["signature"] = mallory.sign(records[4]["hash"].encode())
    for index in (5,):
        records[index]["prev_hash"] = records[index - 1]["hash"]
        records[index]["hash"] = event_hash(records[index])
        records[index]["signature"] = mallory.sign(records[index]["hash"].encode())
    log.write_bytes(b"".join(canonical(r) + b"\n" for r in records))
    head = {"seq": records[-1]["seq"], "hash": records[-1]["hash"],
            "signature": mallory.sign(head_message(records[-1]["seq"], records[-1]["hash"]))}
    head_path(log).write_text(json.dumps(head))
    code, output = verify(log, "--public-key", f"{key}.pub")
    assert code == 1 and "line 5, seq 5: bad signature" in first_problem(output)
    assert "bad signature on the head file" in output


def test_edited_stored_object_is_caught(signed_log: tuple[Path, Path]) -> None:
    log, _key = signed_log
    stored = object_path(log.parent / "objects", json.loads(lines_of(log)[0])["objects"]["config"])
    backup = stored.read_bytes()
    stored.write_bytes(backup[:-4] + b"\0\0\0\0")
    code, output = verify(log)
    assert code == 1 and "line 1, seq 1" in first_problem(output) and "stored object" in output
    assert verify(log, "--no-objects")[0] == 0


def test_a_copied_log_folder_verifies(signed_log: tuple[Path, Path], tmp_path: Path) -> None:
    """Stored objects are found relative to the log, so an auditor can verify a copy."""
    log, _key = signed_log
    copy = tmp_path / "copy"
    shutil.copytree(log.parent, copy)
    assert verify(copy / log.name)[0] == 0
