"""The PostgreSQL decision store against a real server: the chain under concurrent writers (real
processes), tampering with SQL named by row, the auditor's view over every stream, migration between a
file log and the store with identical hashes, the writer role, and failing closed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pg_cluster import Cluster
from store_helpers import NOW, anops, append_notes, invoke, make_repo

from anops_policy.audit.pg_log import PgLog

WRITER = """
import sys
from store_helpers import append_notes
url, worker, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for stream in ("acme/a", "acme/b", "acme/c"):
    append_notes(url, stream, count, tag=f"w{worker} ")
"""


def test_concurrent_writer_processes_keep_one_valid_chain_per_stream(pg_url: str) -> None:
    here = str(Path(__file__).parent)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, pg_url, str(w), "40"], cwd=here,
                              env={"PYTHONPATH": here, "PATH": "/usr/bin:/bin"}, stderr=subprocess.PIPE, text=True)
             for w in range(4)]
    for proc in procs:
        assert proc.wait(timeout=300) == 0, proc.stderr.read() if proc.stderr else ""
    out = invoke("audit", "verify", pg_url, "--format", "json")
    assert out.exit_code == 0, out.output
    results = {Path(r["log"]).name: r for r in json.loads(out.output)}
    assert len(results) == 3
    for stream in ("acme/a", "acme/b", "acme/c"):
        log = PgLog(pg_url, stream)
        events = log.events()
        assert [e["seq"] for e in events] == list(range(1, 161))
        assert sorted(a for e in events for a in e["actions"]) == sorted(
            f"w{w} note {i}" for w in range(4) for i in range(40))


def test_concurrent_eval_processes_record_every_run(pg_url: str, tmp_path: Path) -> None:
    repo, pack = make_repo(tmp_path)
    args = ["eval", str(repo), "--policies", str(pack), "--now", NOW, "--decision-log", pg_url, "--stream",
            "acme/eval", "-q"]
    procs = [subprocess.Popen([sys.executable, "-m", "anops_policy", *args], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for proc in procs:
        assert proc.wait(timeout=300) == 1, proc.stderr.read() if proc.stderr else ""  # the TODO blocks: exit 1
    out = invoke("audit", "verify", pg_url, "--stream", "acme/eval")
    assert out.exit_code == 0, out.output
    assert ": 4 records;" in out.output
    replayed = invoke("audit", "replay", "latest", "--log", pg_url, "--stream", "acme/eval")
    assert replayed.exit_code == 0, replayed.output
    assert "reproduced exactly" in replayed.output


# (name, SQL run with the append-only triggers bypassed as a superuser would, what verify must say)
TAMPERING = [
    ("update one decision",
     "UPDATE anops_records SET line = replace(line, 'note 1', 'note X') WHERE stream = 's' AND seq = 2",
     "record at row {2}, seq 2: hash mismatch"),
    ("delete a record",
     "DELETE FROM anops_records WHERE stream = 's' AND seq = 2",
     "record at row {3}, seq 3: missing seq 2 before this record (records deleted)"),
    ("delete the last record",
     "DELETE FROM anops_records WHERE stream = 's' AND seq = 3",
     "truncated: the head row records seq 3"),
    ("reorder by swapping two rows' records",
     "UPDATE anops_records SET seq = -seq WHERE stream = 's' AND seq IN (2, 3); "
     "UPDATE anops_records r SET line = o.line, seq = -o.seq, hash = o.hash, prev_hash = o.prev_hash "
     "FROM anops_records o WHERE r.stream = 's' AND o.stream = 's' AND r.seq + o.seq = -5 AND r.seq <> o.seq",
     "record at row {2}, seq 3: reordered: expected seq 2 here, found seq 3"),
    ("renumber a row's seq column",
     "UPDATE anops_records SET seq = 7 WHERE stream = 's' AND seq = 3",
     "record at row {3}, seq 3: the row's seq column (7) disagrees with its record (3): edited"),
    ("move the head back",
     "UPDATE anops_heads SET seq = 2, hash = (SELECT hash FROM anops_records WHERE stream = 's' AND seq = 2) "
     "WHERE stream = 's'",
     "the head row records seq 2, but the log ends at seq 3"),
]


@pytest.mark.parametrize(("sql", "expected"), [c[1:] for c in TAMPERING], ids=[c[0] for c in TAMPERING])
def test_sql_tampering_is_caught_and_named(pg_cluster: Cluster, pg_url: str, sql: str, expected: str) -> None:
    append_notes(pg_url, "other", 2)  # another stream's rows interleave ids: the message names the real row
    rows = {e["seq"]: e for e in append_notes(pg_url, "s", 3)}
    ids = {int(i): int(r) for i, r in (line.split("|") for line in pg_cluster.sql(
        "SELECT seq, id FROM anops_records WHERE stream = 's'", pg_url.rsplit("/", 1)[1]).splitlines())}
    assert len(rows) == 3
    pg_cluster.sql(f"SET session_replication_role = replica; {sql}", pg_url.rsplit("/", 1)[1])
    out = invoke("audit", "verify", pg_url)
    assert out.exit_code == 1, out.output
    assert expected.format(*[None, ids[1], ids[2], ids[3]]) in out.output, out.output
    assert "ok: " in out.output and "stream other" in out.output  # the untouched stream still verifies


def test_auditor_view_lists_every_repository(pg_url: str) -> None:
    for stream in ("github.com/acme/pay", "github.com/acme/web", "gitlab.com/ops/infra"):
        append_notes(pg_url, stream, 2)
    streams = invoke("audit", "streams", pg_url)
    assert streams.exit_code == 0, streams.output
    for stream in ("github.com/acme/pay", "github.com/acme/web", "gitlab.com/ops/infra"):
        assert stream in streams.output
    assert "3 streams, all verify" in streams.output
    listed = invoke("audit", "list", "--log", pg_url, "--format", "json")
    assert {r["stream"] for r in json.loads(listed.output)} == {"github.com/acme/pay", "github.com/acme/web",
                                                                 "gitlab.com/ops/infra"}


def test_file_log_migrates_to_the_store_and_back_with_identical_hashes(pg_url: str, tmp_path: Path) -> None:
    repo, pack = make_repo(tmp_path)
    for _ in range(3):
        assert invoke("eval", str(repo), "--policies", str(pack), "--now", NOW, "-q").exit_code == 1
    log = repo / ".anops-policy" / "decisions.jsonl"
    there = invoke("audit", "migrate", str(log), pg_url, "--stream", "acme/imported")
    assert there.exit_code == 0, there.output
    assert "identical hashes on both sides" in there.output
    back = tmp_path / "back" / "decisions.jsonl"
    again = invoke("audit", "migrate", pg_url, str(back), "--stream", "acme/imported")
    assert again.exit_code == 0, again.output
    assert back.read_bytes() == log.read_bytes()
    file_verify = json.loads(invoke("audit", "verify", str(log), "--format", "json").output)
    store_verify = json.loads(invoke("audit", "verify", pg_url, "--stream", "acme/imported", "--format",
                                     "json").output)
    assert (file_verify["records"], file_verify["last_hash"]) == (store_verify["records"], store_verify["last_hash"])
    assert file_verify["ok"] and store_verify["ok"]
    replay = invoke("audit", "replay", "latest", "--log", pg_url, "--stream", "acme/imported")
    assert replay.exit_code == 0 and "reproduced exactly" in replay.output, replay.output
    refused = invoke("audit", "migrate", str(log), pg_url, "--stream", "acme/imported")
    assert refused.exit_code == 2 and "already has records" in refused.output


def test_a_retried_request_id_is_recorded_once(pg_url: str) -> None:
    log = PgLog(pg_url, "acme/retry")
    log.prepare()
    first = log.append(lambda _t: {"apiVersion": "anops.dev/decision-log/v1", "kind": "repair", "actions": ["a"]},
                       request_id="r-1")
    second = log.append(lambda _t: {"apiVersion": "anops.dev/decision-log/v1", "kind": "repair", "actions": ["b"]},
                        request_id="r-1")
    assert second["hash"] == first["hash"] and second.get("duplicate") is True
    assert len(log.events()) == 1


def test_the_writer_role_may_not_update_or_delete(pg_cluster: Cluster, pg_url: str) -> None:
    database = pg_url.rsplit("/", 1)[1]
    pg_cluster.sql("DO $$ BEGIN CREATE ROLE anops_writer LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    out = invoke("audit", "store", "init", pg_url, "--writer-role", "anops_writer")
    assert out.exit_code == 0, out.output
    writer = pg_cluster.url(database, user="anops_writer")
    append_notes(writer, "acme/w", 2)  # the writer appends
    import psycopg  # noqa: PLC0415  (the test acts as the writer role directly)

    for statement in ("UPDATE anops_records SET line = line", "DELETE FROM anops_records",
                      "UPDATE anops_objects SET data = data", "TRUNCATE anops_records"):
        with psycopg.connect(writer, autocommit=True) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
    with psycopg.connect(pg_url, autocommit=True) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege,
                                                                         match="append-only"):
        conn.execute("DELETE FROM anops_records")  # even the owner meets the trigger
    assert invoke("audit", "verify", writer).exit_code == 0


def test_an_unreachable_store_fails_the_eval_closed_without_showing_the_password(tmp_path: Path) -> None:
    repo, pack = make_repo(tmp_path)
    from pg_cluster import free_port  # noqa: PLC0415

    url = f"postgresql://ci:s3cret-pw@127.0.0.1:{free_port()}/anops"
    out = anops("eval", str(repo), "--policies", str(pack), "--now", NOW, "--decision-log", url)
    assert out.returncode == 3, out.stderr
    assert "cannot connect" in out.stderr and "ci:***@127.0.0.1" in out.stderr
    assert "s3cret-pw" not in out.stderr + out.stdout
    assert "Traceback" not in out.stderr


def test_signoff_through_the_store_satisfies_the_item_and_the_release_gate(pg_url: str, tmp_path: Path) -> None:
    repo, pack = make_repo(tmp_path, todo=False)
    item = '  - {id: "2", section: Code, title: Signed off}\n'
    (pack / "pack.yaml").write_text((pack / "pack.yaml").read_text() + item)
    policy = (Path(__file__).resolve().parents[2] / "policies" / "production-readiness" / "engineer-signed-off.yaml")
    (pack / "engineer-signed-off.yaml").write_text(policy.read_text().replace('checklist: "6.1"', 'checklist: "2"'))
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["-c", "user.name=Dev", "-c", "user.email=d@x",
                                                                "commit", "-q", "-m", "first"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True)
    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                            check=True).stdout.strip()
    store = ["--decision-log", pg_url, "--stream", "acme/signed"]
    first = invoke("eval", str(repo), "--policies", str(pack), "--now", NOW, "--format", "json", *store)
    assert first.exit_code == 0, first.output
    assert "sign-off pending" in first.output
    gate = invoke("audit", "verify", pg_url, "--stream", "acme/signed", "--require-signoff", commit)
    assert gate.exit_code == 1 and f"no valid sign-off for commit {commit}" in gate.output
    signed = invoke("signoff", str(repo), "--decision", "latest", "--as", "jane@example.com", *store)
    assert signed.exit_code == 0 and "seq 2" in signed.output, signed.output
    second = invoke("eval", str(repo), "--policies", str(pack), "--now", NOW, "--format", "json", *store)
    decisions = {d["policy"]: d["outcome"] for d in json.loads(second.stdout)["decisions"]}
    assert decisions["engineer-signed-off"] == "pass"
    gate = invoke("audit", "verify", pg_url, "--stream", "acme/signed", "--require-signoff", commit)
    assert gate.exit_code == 0 and "signed off by jane@example.com" in gate.output, gate.output
