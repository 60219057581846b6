"""The issue's "must show" lines, through the CLI against real components: reproducible builds; build →
sign → push → lock (fresh cache) → eval --locked giving the local folder's decisions, through oci://,
git+file:// and https://; a re-pushed tag caught by `pack lock --check` while `eval --locked` keeps the
locked digest; `pack diff` between two versions. Every tampered artifact, wrong key and missing signature is a
case in cases/refusals.yaml (test_pack_refusals.py); who trusts what, in cases/trust.yaml."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from anops_policy.cli.main import cli

from .pack_run import built as build_in_own_process

ROOT = Path(__file__).resolve().parents[2]
BUILTIN = ROOT / "policies" / "production-readiness"
EXAMPLE = ROOT / "examples" / "anops"
NOW = "2026-11-26T10:00:00Z"


def run(*args: str) -> Result:
    if args[:2] == ("pack", "build"):  # the pack's examples run under a CPU deadline: in a process of their own
        return build_in_own_process(*args)  # type: ignore[return-value]
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def decisions(result: Result) -> list[tuple[str, str | None, str, str]]:
    report = json.loads(result.output)
    return [(d["policy"], d.get("subject"), d["outcome"], d["message"]) for d in report["decisions"]]


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    assert run("audit", "keygen", "--out", str(tmp_path / "platform.pem")).exit_code == 0
    assert run("audit", "keygen", "--out", str(tmp_path / "other.pem")).exit_code == 0
    return tmp_path / "platform.pem", tmp_path / "other.pem"


@pytest.fixture
def signed(tmp_path: Path, keys: tuple[Path, Path]) -> Path:
    archive = tmp_path / "prod-0.1.0.tar.gz"
    assert run("pack", "build", str(BUILTIN), "-o", str(archive)).exit_code == 0
    assert run("pack", "sign", str(archive), "--signing-key", str(keys[0])).exit_code == 0
    return archive


def repo_using(tmp_path: Path, ref: str, key: Path | None) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    config = repo / "anops-policy.yaml"
    text = config.read_text().replace("packs: [builtin:production-readiness]", f"packs: ['{ref}']")
    if key is not None:
        text = text.replace("packs: [", f"trust: {{pack_keys: ['{key}.pub']}}\npacks: [", 1)
    config.write_text(text)
    return repo


def evaluate(repo: Path, *extra: str) -> Result:
    return run("eval", str(repo), "--now", NOW, "--no-decision-log", "--format", "json", *extra)


def test_two_builds_of_the_same_folder_are_byte_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    assert run("pack", "build", str(BUILTIN), "-o", str(first)).exit_code == 0
    assert run("pack", "build", str(BUILTIN), "-o", str(second)).exit_code == 0
    assert hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()


def _folder_decisions(tmp_path: Path) -> list[tuple[str, str | None, str, str]]:
    return decisions(evaluate(repo_using(tmp_path / "local", "builtin:production-readiness", None), "--pack",
                              str(BUILTIN)))


def test_round_trip_through_the_registry(tmp_path: Path, registry: str, signed: Path, keys: tuple[Path, Path],
                                         pack_cache: Path) -> None:
    ref = f"oci://{registry}/platform/production-readiness:0.1.0"
    pushed = run("pack", "push", str(signed), ref)
    assert pushed.exit_code == 0, pushed.output
    shutil.rmtree(pack_cache, ignore_errors=True)  # a new, empty cache
    repo = repo_using(tmp_path, ref, keys[0])
    locked = run("pack", "lock", str(repo))
    assert locked.exit_code == 0, locked.output
    result = evaluate(repo, "--locked")
    assert result.exit_code in (0, 1), result.output
    assert decisions(result) == _folder_decisions(tmp_path)
    lock = json.loads((repo / "anops-policy.lock").read_text())["packs"][ref]
    assert json.loads(result.output)["packs"][0]["digest"] == lock["digest"]
    # the other key is not trusted: refused before anything is judged
    wrong = evaluate(repo, "--locked", "--pack-key", str(keys[1]) + ".pub")
    assert wrong.exit_code in (0, 1)  # the config's key still verifies; a wrong key alone:
    (repo / "anops-policy.yaml").write_text((repo / "anops-policy.yaml").read_text().replace(
        f"{keys[0]}.pub", f"{keys[1]}.pub"))
    refused = evaluate(repo, "--locked")
    assert refused.exit_code == 2
    assert "signature check failed" in refused.output and "ed25519:" in refused.output


def test_round_trip_through_git_and_https(tmp_path: Path, signed: Path, keys: tuple[Path, Path],
                                          https_folder: tuple[Path, str]) -> None:
    bare, work = tmp_path / "packs.git", tmp_path / "work"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    shutil.copy(signed, work / "prod.tar.gz")
    git = ["git", "-C", str(work), "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "pack 0.1.0"], check=True)
    subprocess.run([*git, "tag", "v0.1.0"], check=True)
    subprocess.run([*git, "push", "-q", str(bare), "HEAD:refs/heads/main", "v0.1.0"], check=True)
    folder, base = https_folder
    shutil.copy(signed, folder / "prod.tar.gz")
    expected = _folder_decisions(tmp_path)
    for index, ref in enumerate([f"git+file://{bare}#v0.1.0:prod.tar.gz", f"{base}/prod.tar.gz"]):
        repo = repo_using(tmp_path / f"r{index}", ref, keys[0])
        assert run("pack", "lock", str(repo)).exit_code == 0
        result = evaluate(repo, "--locked")
        assert decisions(result) == expected, (ref, result.output[-2000:])


def test_a_repushed_tag_is_named_and_the_lock_still_wins(tmp_path: Path, registry: str, signed: Path,
                                                          keys: tuple[Path, Path], pack_cache: Path) -> None:
    ref = f"oci://{registry}/platform/production-readiness:0.1.0"
    assert run("pack", "push", str(signed), ref).exit_code == 0
    repo = repo_using(tmp_path, ref, keys[0])
    assert run("pack", "lock", str(repo)).exit_code == 0
    assert run("pack", "lock", str(repo), "--check").exit_code == 0
    locked_digest = json.loads((repo / "anops-policy.lock").read_text())["packs"][ref]["digest"]
    # another pack content re-pushed under the same tag
    changed = tmp_path / "changed"
    shutil.copytree(BUILTIN, changed, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    policy = changed / "no-todos-in-release-files.yaml"
    policy.write_text(policy.read_text().replace("enforcement: soft", "enforcement: hard", 1))
    other = tmp_path / "other.tar.gz"
    assert run("pack", "build", str(changed), "-o", str(other)).exit_code == 0
    assert run("pack", "sign", str(other), "--signing-key", str(keys[0])).exit_code == 0
    assert run("pack", "push", str(other), ref).exit_code == 0
    check = run("pack", "lock", str(repo), "--check")
    assert check.exit_code == 1 and ref in check.output and "re-pushed" in check.output
    kept = evaluate(repo, "--locked")
    assert json.loads(kept.output)["packs"][0]["digest"] == locked_digest
    # cache emptied and the old manifest gone from the registry: refused, never the new content
    shutil.rmtree(pack_cache)
    pinned = json.loads((repo / "anops-policy.lock").read_text())["packs"][ref]["pinned"]
    import requests  # noqa: PLC0415

    assert requests.delete(f"http://{registry}/v2/platform/production-readiness/manifests/{pinned}",
                           timeout=10).status_code == 202
    gone = evaluate(repo, "--locked")
    assert gone.exit_code != 0 and "not found" in gone.output


def test_pack_diff_names_the_added_and_changed_policies(tmp_path: Path) -> None:
    new = tmp_path / "new"
    shutil.copytree(BUILTIN, new, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    policy = new / "no-todos-in-release-files.yaml"
    policy.write_text(policy.read_text().replace("enforcement: soft", "enforcement: hard", 1))
    added = (new / "no-todos-in-release-files.yaml").read_text().replace(
        "id: no-todos-in-release-files", "id: no-fixmes-in-release-files", 1)
    (new / "no-fixmes-in-release-files.yaml").write_text(added)
    result = run("pack", "diff", "builtin:production-readiness", str(new))
    assert result.exit_code == 0, result.output
    assert "+ added   no-fixmes-in-release-files" in result.output
    assert "~ changed no-todos-in-release-files" in result.output
    assert "enforcement: soft → hard" in result.output
    assert result.output.rstrip().endswith("1 added, 0 removed, 1 changed")
