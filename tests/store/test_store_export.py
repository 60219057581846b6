"""``audit export`` of a store and a file log together, as Parquet and JSON Lines, and the DuckDB query
of docs/store.md run verbatim (read from the doc, so the doc stays true) against the export of a
realistic organisation; then hostile inputs and bad arguments, with their messages and exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from org_builder import build_organisation
from store_helpers import invoke

from anops_policy.audit.decision_log import LOG_API
from anops_policy.audit.pg_log import PgLog
from anops_policy.keys import SIGNING_KEY_ENV, Signer
from tests.store.pg_cluster import free_port

ROOT = Path(__file__).resolve().parents[2]


def doc_query() -> str:
    """The SQL block of the store doc's analysis section."""
    text = (ROOT / "docs" / "store.md").read_text(encoding="utf-8")
    section = text.split("## Analysis", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```sql\n(.*?)```", section, re.S)
    assert found, "docs/store.md has no ```sql block in its Analysis section"
    return found.group(1)


# sign-offs appended to a stream with a correct chain by someone without the signing key (an INSERT with
# write access to the store), each bound to the stream's latest clean evaluation: the query over an export
# with --public-key must not count them; without a key only the chain is checked, so it does
FORGED_SIGNOFFS = {"github.com/acme/web": "unsigned", "github.com/acme/pay": "signed with another key"}


def forge_signoff(url: str, stream: str, how: str) -> None:
    target = [e for e in PgLog(url, stream).events() if e.get("kind") == "eval"][-1]
    event = {"apiVersion": LOG_API, "kind": "signoff", "signoff_id": "s-forged", "decision_id": target["decision_id"],
             "decision_hash": target["hash"], "decision_seq": target["seq"], "commit": target["repo"]["commit"],
             "dirty": False, "packs": [], "by": "mallory@example.com", "actor": None, "override": None}
    signer = Signer(Ed25519PrivateKey.generate()) if how == "signed with another key" else None
    PgLog(url, stream).append(lambda _tail: event, signer)


def test_export_answers_the_documented_query(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = Ed25519PrivateKey.generate()
    monkeypatch.setenv(SIGNING_KEY_ENV, key.private_bytes_raw().hex())  # every eval and sign-off is signed
    public_key = tmp_path / "ci.pub"
    public_key.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo))
    org = build_organisation(tmp_path / "org", pg_url, monkeypatch)
    monkeypatch.delenv(SIGNING_KEY_ENV)
    for stream, how in FORGED_SIGNOFFS.items():
        forge_signoff(pg_url, stream, how)
    legacy_log = org.repos["legacy"].log
    monkeypatch.chdir(tmp_path)
    keyed = ("--public-key", str(public_key))
    parquet = invoke("audit", "export", pg_url, legacy_log, *keyed, "--format", "parquet", "-o", "decisions.parquet")
    # the edited file log fails verification: exit 1, named, and the file is written all the same
    assert parquet.exit_code == 1, parquet.output
    assert "FAILED: " in parquet.stderr and "legacy" in parquet.stderr and "hash mismatch" in parquet.stderr
    assert re.search(r"exported 15 records of 5 streams to decisions\.parquet \(parquet\); 1 stream",
                     parquet.stderr), parquet.stderr
    for extra, name in [(keyed, "decisions.jsonl"), ((), "keyless.parquet"), ((), "keyless.jsonl")]:
        fmt = "parquet" if name.endswith(".parquet") else "jsonl"
        assert invoke("audit", "export", pg_url, legacy_log, *extra, "--format", fmt, "-o", name).exit_code == 1

    query = doc_query()
    answers = {}
    for name in ("decisions.parquet", "decisions.jsonl", "keyless.parquet", "keyless.jsonl"):
        with duckdb.connect() as db:
            rows = db.execute(query.replace("'decisions.parquet'", f"'{name}'")).fetchall()
        answers[name] = [(repo, commit, count, decision) for repo, commit, count, _last, decision in rows]
    print("\n".join(" | ".join(map(str, row)) for row in answers["decisions.parquet"]))  # the closing note's sample
    assert answers["decisions.parquet"] == org.expected
    assert answers["decisions.jsonl"] == org.expected
    # without a key only the chain is checked: the forged sign-offs count (the doc says so)
    keyless = [row for row in org.expected if row[0] not in FORGED_SIGNOFFS]
    assert len(keyless) == len(org.expected) - len(FORGED_SIGNOFFS)
    assert answers["keyless.parquet"] == keyless and answers["keyless.jsonl"] == keyless
    with duckdb.connect() as db:
        checked = db.execute("SELECT stream, signoff_by, signed, signature_ok FROM 'decisions.parquet' "
                             "WHERE kind = 'signoff' ORDER BY ALL").fetchall()
        assert checked == [("github.com/acme/api", "lee@example.com", True, True),
                           ("github.com/acme/pay", "jane@example.com", True, True),
                           ("github.com/acme/pay", "mallory@example.com", True, False),
                           ("github.com/acme/web", "mallory@example.com", False, False),
                           ("legacy", "mallory@example.com", True, False)]  # edited: its hash no longer matches
        assert db.execute("SELECT DISTINCT signature_ok FROM 'keyless.parquet'").fetchall() == [(None,)]

    with duckdb.connect() as db:
        types = dict(db.execute("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM 'decisions.parquet')")
                     .fetchall())
        assert types["time"] == "TIMESTAMP WITH TIME ZONE" and types["blocking_failures"] == "INTEGER"
        assert types["decisions"].startswith("STRUCT(") and types["decisions"].endswith("[]")
        per_stream = dict(db.execute("SELECT stream, count(*) FROM 'decisions.parquet' GROUP BY ALL").fetchall())
        assert per_stream == {"github.com/acme/pay": 6, "github.com/acme/web": 2, "github.com/acme/api": 4,
                              "github.com/acme/old": 1, "legacy": 2}
        broken = db.execute("SELECT DISTINCT stream FROM 'decisions.parquet' WHERE NOT chain_ok").fetchall()
        assert broken == [("legacy",)]
        # the record column is the canonical record: its hash is the row's hash, for every intact row
        record, digest = db.execute("SELECT record, hash FROM 'decisions.parquet' WHERE kind = 'signoff' "
                                "AND stream = 'github.com/acme/api'").fetchone() or ("", "")
        assert json.loads(record)["hash"] == digest and json.loads(record)["by"] == "lee@example.com"
        failing = db.execute("SELECT d.policy, d.outcome FROM (SELECT unnest(decisions) AS d FROM 'decisions.parquet' "
                         "WHERE stream = 'github.com/acme/api' AND blocking_failures > 0)").fetchall()
        assert failing == [("no-todos", "fail")]

    # one stream, a time window: the old repository's record is before it
    today = __import__("datetime").date.today().isoformat()
    one = invoke("audit", "export", pg_url, "--stream", "github.com/acme/old", "--since", today)
    assert one.exit_code == 0 and one.stdout == "" and "exported 0 records of 1 stream" in one.stderr
    pay = invoke("audit", "export", pg_url, "--stream", "github.com/acme/pay", "--until", today, "--no-verify")
    rows = [json.loads(line) for line in pay.stdout.splitlines()]
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5, 6] and {r["chain_ok"] for r in rows} == {None}
    assert [r["kind"] for r in rows].count("signoff") == 2 and {r["signature_ok"] for r in rows} == {None}


HOSTILE_RECORDS = {
    "wrong types": {"seq": "one", "kind": "eval", "time": "yesterday", "repo": ["not", "a", "map"],
                    "summary": {"blocking_failures": "lots", "items_total": 2**40}, "decisions": "none",
                    "waivers": [{"expires": "someday", "owner": 7}], "actor": None},
    "deep nesting": {"kind": "eval", "decisions": [{"policy": {"x": [[[[[]]]]]}}], "summary": None},
    "not an object": ["eval"],
    "huge number": {"kind": "eval", "seq": 10**30, "now": 5},
    # ISO 8601 forms Python reads but DuckDB's TIMESTAMPTZ does not (they failed the Parquet writer)
    "other time forms": {"kind": "eval", "time": "2026-W49-1T00:00:00+00:00", "now": "20261201T000000Z"},
    "lone surrogate": {"kind": "eval", "actor": {"name": "\ud800x"}, "branch": "\udfff"},  # no UTF-8 form
}


@pytest.mark.parametrize("case", sorted(HOSTILE_RECORDS))
@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_hand_written_records_become_nulls_not_crashes(case: str, fmt: str, tmp_path: Path) -> None:
    log = tmp_path / "repo" / ".anops-policy" / "decisions.jsonl"
    log.parent.mkdir(parents=True)
    log.write_text(json.dumps(HOSTILE_RECORDS[case]) + "\n{torn line\n", encoding="utf-8")
    out = tmp_path / f"out.{fmt}"
    result = invoke("audit", "export", str(log), "--format", fmt, "-o", str(out))
    assert result.exit_code == 1, result.output  # written, and the chain is named as failing
    assert "FAILED: " in result.stderr and str(log) in result.stderr
    columns = ("stream", "seq", "time", "blocking_failures", "chain_ok")
    if fmt == "parquet":
        with duckdb.connect() as db:
            rows = db.execute(f"SELECT {', '.join(columns)} FROM '{out}'").fetchall()
    else:
        rows = [tuple(json.loads(line)[c] for c in columns) for line in out.read_text().splitlines()]
    expected = 0 if case == "not an object" else 1
    assert len(rows) == expected
    if rows:
        assert rows[0][0] == "repo" and rows[0][1] is None and rows[0][2] is None and rows[0][3] is None
        assert rows[0][4] is False


BAD_ARGUMENTS = [
    (["--format", "parquet"], 2, "--format parquet writes a binary file: give it with -o FILE"),
    (["--since", "last week"], 2, "'last week': expected YYYY-MM-DD"),
    (["--stream", "no spaces please"], 2, "a stream is 1-255 characters"),
    (["-o", "{tmp}"], 2, "is a directory"),
    (["-o", "{tmp}/no/such/x.jsonl"], 2, "audit export: cannot write {tmp}/no/such/x.jsonl: No such file"),
    (["--format", "parquet", "-o", "{tmp}/no/such/x.parquet"], 2, "audit export: cannot write {tmp}/no/such/x.parquet"),
]


@pytest.mark.parametrize(("args", "code", "message"), BAD_ARGUMENTS,
                         ids=[" ".join(a[0]).replace("{tmp}", "TMP") for a in BAD_ARGUMENTS])
def test_bad_arguments(args: list[str], code: int, message: str, tmp_path: Path) -> None:
    log = tmp_path / "decisions.jsonl"
    log.write_text("", encoding="utf-8")
    result = invoke("audit", "export", str(log), *[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == code, result.output
    assert message.format(tmp=tmp_path) in result.output


# --stream beside several logs, a file log among them: it could apply to neither file log, so it is refused
# (exit 2) rather than silently ignored; the same for the organisation's page
SEVERAL_LOGS_WITH_STREAM = {
    "export, two file logs": ["audit", "export", "{a}", "{b}", "--stream", "github.com/acme/pay"],
    "export, a store and a file log": ["audit", "export", "postgresql://auditor@127.0.0.1:1/anops", "{a}",
                                       "--stream", "github.com/acme/pay"],
    "report, two file logs": ["audit", "report", "--log", "{a}", "--log", "{b}", "--stream", "github.com/acme/pay",
                              "--html", "{tmp}/org.html"],
}


@pytest.mark.parametrize("case", sorted(SEVERAL_LOGS_WITH_STREAM))
def test_stream_with_several_logs_is_refused(case: str, tmp_path: Path) -> None:
    logs = {name: tmp_path / name / "decisions.jsonl" for name in ("a", "b")}
    for log in logs.values():
        log.parent.mkdir()
        log.write_text("", encoding="utf-8")
    args = [a.format(tmp=tmp_path, **logs) for a in SEVERAL_LOGS_WITH_STREAM[case]]
    result = invoke(*args)
    assert result.exit_code == 2, (case, result.output)
    assert "--stream github.com/acme/pay with several logs" in result.output and str(logs["a"]) in result.output
    assert not (tmp_path / "org.html").exists()


def test_missing_log_and_unreachable_store(tmp_path: Path) -> None:
    missing = invoke("audit", "export", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 2 and f"decision log {tmp_path / 'nope.jsonl'}: no such file" in missing.output
    url = f"postgresql://auditor:s3cret@127.0.0.1:{free_port()}/anops"
    down = invoke("audit", "export", url, "--format", "parquet", "-o", str(tmp_path / "x.parquet"))
    assert down.exit_code == 3, down.output
    assert "cannot connect" in down.output and "s3cret" not in down.output and "auditor:***@" in down.output
    assert not (tmp_path / "x.parquet").exists()


def test_a_reader_that_stops_early_is_not_an_error(tmp_path: Path) -> None:
    """`audit export LOG | head`: the closed pipe ends the export quietly (exit 0), as for every command."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    log = tmp_path / "decisions.jsonl"
    log.write_text("".join(json.dumps({"seq": n, "kind": "repair", "actions": ["x" * 200]}) + "\n"
                           for n in range(1, 5001)), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "anops_policy", "audit", "export", str(log), "--no-verify"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert json.loads(proc.stdout.readline())["seq"] == 1
    proc.stdout.close()
    assert proc.wait(60) == 0
    assert proc.stderr.read() == b""
