"""The deployment-readiness pack on examples/deployments (manifests written for it: multi-document files, a
List, a kustomize base and overlay with a patch, compose files with profiles, a broken YAML file, a Helm
chart): every failure cites the ``path:line`` of the offending key from the documents' positions (no policy
writes ``evidence:``), the explanation shows the failing value, and secrets never leave the files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from anops_policy.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "deployments"
PACK = ROOT / "policies" / "deployment-readiness"
GOLDEN = Path(__file__).resolve().parent / "golden" / "deployment-failures.json"
NOW = "2026-11-26T12:00:00Z"
SECRETS = ("s3cr3t-rabbit", "change-me", "change-me-too")  # .env.example and a literal k8s env value


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    copy = tmp_path / "deployments"
    shutil.copytree(EXAMPLE, copy)
    return copy


def _eval(repo: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    out = repo.parent / "report.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(repo)
        result = CliRunner().invoke(
            cli, ["eval", ".", "--now", NOW, "--format", "text", f"--output=json={out}", *args],
            env={"NO_COLOR": "1"}, catch_exceptions=False,
        )
    return result.exit_code, json.loads(out.read_text(encoding="utf-8")), result.output


def test_no_policy_of_the_pack_writes_evidence() -> None:
    for file in PACK.glob("*.yaml"):
        if file.name != "pack.yaml":
            assert "evidence" not in yaml.safe_load(file.read_text(encoding="utf-8")), file.name


def test_every_failure_cites_the_offending_key(repo: Path, update_goldens: bool) -> None:
    code, report, text = _eval(repo, "--pack", "builtin:deployment-readiness", "--no-decision-log")
    assert code == 1
    failures = [d for d in report["decisions"] if d["outcome"] == "fail"]
    assert failures and all(d["pack"] == "deployment-readiness" for d in failures)
    for decision in failures:
        assert decision["evidence"], decision["policy"]
        assert all("line" in e for e in decision["evidence"]), (decision["policy"], decision["evidence"])
        clauses = decision["explanation"]["failed_clauses"]
        assert any("left" in c or "value" in c or c.get("failing") or "note" in c for c in clauses), decision
        for e in decision["evidence"]:
            assert f"{e['path']}:{e['line']}" in text  # the report shows path:line
    cited = [
        {"policy": d["policy"], "subject": d["subject"], "evidence": [f"{e['path']}:{e['line']}" for e in ev]}
        for d in failures
        for ev in [d["evidence"]]
    ]
    got = sorted(cited, key=lambda d: (d["policy"], d["subject"] or ""))
    if update_goldens:
        GOLDEN.write_text(json.dumps(got, indent=2) + "\n", encoding="utf-8")
    assert got == json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert report["collectors"]["files"]["status"] == "ok"


def test_every_document_is_collected_and_unreadable_files_are_named(repo: Path) -> None:
    result = CliRunner().invoke(cli, ["facts", str(repo), "--pack", "builtin:deployment-readiness", "--only", "files"])
    assert result.exit_code == 0, result.output
    k8s = json.loads(result.output)["files"]["k8s"]
    where = {(d["path"], d["doc"], d["item"]): d["data"]["kind"] for d in k8s["documents"]}
    assert where[("deploy/api.yaml", 3, None)] == "PodDisruptionBudget"  # a multi-document file, every document
    assert where[("deploy/metrics-exporter.yaml", 0, 1)] == "Service"  # a List's items are documents
    patches = [d["path"] for d in k8s["documents"] if d["patch"]]
    assert patches == ["k8s/kustomize/overlays/prod/deployment-patch.yaml"]
    assert [(e["path"], e["line"], e["column"]) for e in k8s["errors"]] == [("deploy/broken.yaml", 12, 4)]
    assert [s["path"] for s in k8s["skipped"]] == ["charts/api/templates/deployment.yaml"]
    assert "helm template" in k8s["skipped"][0]["reason"]


def test_both_built_in_packs_in_one_eval(repo: Path) -> None:
    code, report, _text = _eval(repo, "--pack", "builtin:production-readiness", "--pack",
                                "builtin:deployment-readiness", "--no-decision-log")
    assert code == 1
    assert [p["id"] for p in report["packs"]] == ["production-readiness", "deployment-readiness"]
    assert {d["pack"] for d in report["decisions"]} == {"production-readiness", "deployment-readiness"}
    summary = report["summary"]
    assert summary["items_total"] == 17 + 8
    assert summary["items_applicable"] + summary["items_not_applicable"] == summary["items_total"]


def test_an_input_on_the_command_line_needs_no_config(repo: Path) -> None:
    assert not (repo / "anops-policy.yaml").exists()
    code, report, _text = _eval(repo, "--pack", "builtin:deployment-readiness", "--input",
                                "k8s=deploy/**/*.yaml:yaml", "--no-decision-log")
    assert code == 1
    paths = {e["path"] for d in report["decisions"] for e in d["evidence"]}
    assert any(p.startswith("deploy/") for p in paths)
    assert not any(p.startswith("k8s/") for p in paths)  # the pack's default globs were replaced


def test_secrets_appear_nowhere(repo: Path) -> None:
    facts = CliRunner().invoke(cli, ["facts", str(repo), "--pack", "builtin:deployment-readiness",
                                     "--input", "env=.env.example:dotenv", "--only", "files"])
    assert facts.exit_code == 0, facts.output
    document = json.loads(facts.output)
    assert document["files"]["env"]["documents"][0]["data"]["DB_PASSWORD"] == "<redacted>"
    log = repo / ".anops-policy" / "decisions.jsonl"
    code, report, text = _eval(repo, "--pack", "builtin:deployment-readiness", "--input",
                               "env=.env.example:dotenv", "--input", "k8s=deploy/**/*.yaml:yaml")
    assert code == 1 and log.is_file()
    stored = "".join(p.read_text(encoding="utf-8", errors="replace") for p in (repo / ".anops-policy").rglob("*")
                     if p.is_file())
    for secret in SECRETS:
        assert secret not in facts.output and secret not in text and secret not in json.dumps(report)
        assert secret not in stored
