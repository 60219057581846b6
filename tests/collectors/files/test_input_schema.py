"""An input that names a JSON Schema for its documents: policies' paths inside ``data`` are checked against
it (a typo is a located error with a suggestion), and documents that do not match are reported with the
line of the offending value."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from anops_policy.cli.main import cli

PACK_YAML = """\
apiVersion: anops.dev/pack/v1
id: services
version: 0.1.0
title: Service configs
sections: [Config]
items:
  - {id: "1", section: Config, title: Services listen on an unprivileged port}
inputs:
  svc: {files: ["conf/*.json"], parser: json, schema: svc.schema.json}
"""
SCHEMA = {
    "type": "object",
    "required": ["name", "port"],
    "properties": {"name": {"type": "string"}, "port": {"type": "integer"}, "tls": {"type": "boolean"}},
    "additionalProperties": False,
}
POLICY = """\
id: unprivileged-ports
title: Services listen on an unprivileged port
checklist: "1"
severity: medium
enforcement: soft
requires: [files]
for_each: facts.files.svc.documents
subject_id: subject.path
rule: has(subject.data.{field}) && subject.data.{field} >= 1024
message: "{{subject.path}} listens on a privileged port"
remediation: Listen on 1024 or above.
examples:
  - name: high
    facts: {{files: {{svc: {{documents: [{{path: a.json, data: {{name: a, port: 8080}}}}]}}}}}}
    expect: pass
  - name: low
    facts: {{files: {{svc: {{documents: [{{path: a.json, data: {{name: a, port: 80}}}}]}}}}}}
    expect: fail
"""


def _pack(tmp_path: Path, field: str) -> Path:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.yaml").write_text(PACK_YAML, encoding="utf-8")
    (pack / "svc.schema.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
    (pack / "unprivileged-ports.yaml").write_text(POLICY.format(field=field), encoding="utf-8")
    return pack


def test_a_path_the_schema_lacks_is_a_located_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["check", str(_pack(tmp_path, "prot"))])
    assert result.exit_code == 2
    assert "unprivileged-ports.yaml:9:" in result.output
    field = "facts.files.svc.documents[].data"
    wanted = f"unknown field '{field}.prot' (did you mean '{field}.port'?)"
    assert wanted in result.output


def test_documents_that_do_not_match_are_reported_at_their_line(tmp_path: Path) -> None:
    pack = _pack(tmp_path, "port")
    assert CliRunner().invoke(cli, ["check", str(pack)]).exit_code == 0
    repo = tmp_path / "repo"
    (repo / "conf").mkdir(parents=True)
    (repo / "conf" / "api.json").write_text('{\n  "name": "api",\n  "port": 8443\n}\n', encoding="utf-8")
    web = '{\n  "name": "web",\n  "port": "80",\n  "tls": true\n}\n'
    (repo / "conf" / "web.json").write_text(web, encoding="utf-8")
    result = CliRunner().invoke(cli, ["facts", str(repo), "--pack", str(pack), "--only", "files"])
    assert result.exit_code == 0, result.output
    section = json.loads(result.output)["files"]["svc"]
    assert section["count"] == 2
    assert section["mismatches"] == [
        {"path": "conf/web.json", "doc": 0, "line": 3, "pointer": "/port", "message": "'80' is not of type 'integer'"}
    ]
