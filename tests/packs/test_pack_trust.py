"""Which remote packs `eval` uses, from cases/trust.yaml: without a trust policy only a pack pinned in the lock
file, and the report (text, JSON, Markdown) says it was unsigned or unchecked; with one (the config's
trust.pack_keys or --pack-key) a valid signature by a trusted key, pinned or not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from anops_policy.cli.main import cli

from .pack_run import built as build_in_own_process

ROOT = Path(__file__).resolve().parents[2]
BUILTIN = ROOT / "policies" / "deployment-readiness"
CASES = yaml.safe_load((Path(__file__).parent / "cases" / "trust.yaml").read_text())
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  template:
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
"""


def run(*args: str) -> Result:
    if args[:2] == ("pack", "build"):  # the pack's examples run under a CPU deadline: in a process of their own
        return build_in_own_process(*args)  # type: ignore[return-value]
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_which_remote_packs_are_used(case: dict[str, Any], tmp_path: Path, registry: str) -> None:
    for name in ("platform", "other"):
        assert run("audit", "keygen", "--out", str(tmp_path / f"{name}.pem")).exit_code == 0
    archive = tmp_path / "pack.tar.gz"
    assert run("pack", "build", str(BUILTIN), "-o", str(archive)).exit_code == 0
    if case["pushed"] != "unsigned":
        key = tmp_path / ("platform.pem" if case["pushed"] == "signed" else "other.pem")
        assert run("pack", "sign", str(archive), "--signing-key", str(key)).exit_code == 0
    ref = f"oci://{registry}/platform/deployment-readiness:0.1.0"
    assert run("pack", "push", str(archive), ref).exit_code == 0
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "deploy.yaml").write_text(DEPLOYMENT)
    config = repo / "anops-policy.yaml"
    config.write_text(f"packs: ['{ref}']\n")
    if case["locked"]:
        locked = run("pack", "lock", str(repo))
        assert locked.exit_code == 0, locked.output
    extra: list[str] = []
    if case["trust"] == "config":
        config.write_text(config.read_text() + f"trust: {{pack_keys: ['{tmp_path / 'platform.pem.pub'}']}}\n")
    elif case["trust"] == "flag":
        extra = ["--pack-key", str(tmp_path / "platform.pem.pub")]
    base = ["eval", str(repo), "--no-decision-log", "--now", "2026-11-26T10:00:00Z", *extra]
    text = run(*base)
    assert "Traceback" not in text.output
    if not case.get("judged"):
        assert text.exit_code == case["exit"], text.output
        for fragment in case["says"]:
            assert fragment in text.output, (fragment, text.output)
        return
    assert text.exit_code in (0, 1), text.output
    report = json.loads(run(*base, "--format", "json").output)
    assert report["packs"][0]["source"] == ref and report["decisions"]
    markdown = tmp_path / "report.md"
    run(*base, "--output", f"markdown={markdown}")
    note = case.get("note")
    if note is None:  # verified: nothing to warn about
        assert not any("lock file pins" in n for n in report["notes"])
        return
    assert note in text.output
    assert any(note in n for n in report["notes"]), report["notes"]
    assert note in markdown.read_text()
