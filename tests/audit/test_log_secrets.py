"""Secret values never reach the decision log or its stored inputs: facts are redacted by the collectors
before anything is recorded, and the log stores only what the fact document holds."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from audit_helpers import NOW, Tiny, invoke

SECRETS = ("hunter2-db-pass", "s3cr3t-token-value-9f8e", "pw-in-url-77")
DOCKERFILE = """\
FROM debian:12
ARG DB_PASSWORD=hunter2-db-pass
ENV API_TOKEN=s3cr3t-token-value-9f8e
ENV DATABASE_URL=postgres://admin:pw-in-url-77@db:5432/app
RUN echo hi
"""
DOCKER_POLICY = """\
id: dockerfiles-seen
title: Dockerfiles were read
checklist: "2"
severity: low
enforcement: advisory
requires: [dockerfiles, layout]
rule: size(facts.layout.release_files) >= 0
message: never fails
remediation: none
examples:
  - {name: any, facts: {layout: {release_files: []}, dockerfiles: {}}, expect: pass}
  - {name: none, facts: {layout: {release_files: []}}, collectors: {dockerfiles: error}, expect: error}
"""


def everything_recorded(log: Path) -> bytes:
    """The log, its head and every stored object (decompressed)."""
    parts = [log.read_bytes(), log.with_name(log.name + ".head").read_bytes()]
    parts += [gzip.decompress(p.read_bytes()) for p in sorted((log.parent / "objects").rglob("*.json.gz"))]
    return b"\n".join(parts)


def test_secrets_never_reach_the_log(tiny: Tiny) -> None:
    (tiny.repo / "Dockerfile").write_text(DOCKERFILE)
    (tiny.pack / "dockerfiles-seen.yaml").write_text(DOCKER_POLICY)
    result = tiny.eval()
    assert result.exit_code == 1, result.stderr
    recorded = everything_recorded(tiny.log)
    stored_facts = [json.loads(gzip.decompress(p.read_bytes())) for p in (tiny.log.parent / "objects").rglob("*.gz")]
    [document] = [d for d in stored_facts if d.get("apiVersion") == "anops.dev/facts/v1"]
    assert document["meta"]["collectors"]["dockerfiles"]["status"] == "ok"
    assert b"<redacted>" in recorded  # the keys are kept, the values replaced
    for secret in SECRETS:
        assert secret.encode() not in recorded, secret
        assert secret not in result.stdout + result.stderr


def test_a_redacted_fact_document_is_recorded_as_is(tiny: Tiny) -> None:
    facts = tiny.root / "facts.json"
    (tiny.repo / "Dockerfile").write_text(DOCKERFILE)
    assert invoke("facts", str(tiny.repo), "--only", "dockerfiles", "--only", "todos", "--only", "layout", "--now",
                  NOW, "-o", str(facts)).exit_code == 0
    text = facts.read_text()
    assert "<redacted>" in text and not any(s in text for s in SECRETS)
    log = tiny.root / "log" / "d.jsonl"
    assert invoke("eval", str(tiny.root), "--facts", str(facts), "--policies", str(tiny.pack), "--decision-log",
                  str(log)).exit_code == 1
    recorded = everything_recorded(log)
    assert b"<redacted>" in recorded and not any(s.encode() in recorded for s in SECRETS)
