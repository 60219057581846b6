"""What `pack inspect` and `pack pull` print (text and --format json), the changelog's dates in a reproducible
manifest, a source that cannot be reached (exit 3 without a cached copy; the cached copy used offline), and
`facts`/`eval` collecting the inputs and pattern rules a remote pack declares, as for its local folder."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from anops_policy.cli.main import cli

from .pack_run import built as build_in_own_process

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ROOT / "policies" / "production-readiness"
DEPLOYMENT = ROOT / "policies" / "deployment-readiness"
NOW = "2026-11-26T10:00:00Z"
CHANGELOG = """changelog:
  - version: 0.2.0
    date: 2026-12-01
    changes: ["no-todos-in-release-files is hard now", "2026-12-01: dates inside text stay text"]
  - {version: 0.1.0, date: 2026-11-02, changes: [first release]}
"""


def run(*args: str) -> Result:
    if args[:2] == ("pack", "build"):  # the pack's examples run under a CPU deadline: in a process of their own
        return build_in_own_process(*args)  # type: ignore[return-value]
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again: nothing listens there


@pytest.fixture
def platform_key(tmp_path: Path) -> Path:
    assert run("audit", "keygen", "--out", str(tmp_path / "platform.pem")).exit_code == 0
    return tmp_path / "platform.pem"


def _released(tmp_path: Path, key: Path) -> Path:
    """The production pack as 0.2.0 with a dated changelog, built and signed."""
    folder = tmp_path / "prod-0.2.0"
    shutil.copytree(PRODUCTION, folder, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    meta = folder / "pack.yaml"
    meta.write_text(meta.read_text().replace("version: 0.1.0", "version: 0.2.0", 1) + CHANGELOG)
    archive = tmp_path / "prod-0.2.0.tar.gz"
    built = run("pack", "build", str(folder), "-o", str(archive))
    assert built.exit_code == 0, built.output
    again = tmp_path / "again.tar.gz"
    assert run("pack", "build", str(folder), "-o", str(again)).exit_code == 0
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == hashlib.sha256(again.read_bytes()).hexdigest()
    assert run("pack", "sign", str(archive), "--signing-key", str(key)).exit_code == 0
    return archive


def test_inspect_and_pull_print_the_manifest_and_what_was_verified(tmp_path: Path, registry: str,
                                                                   platform_key: Path, pack_cache: Path) -> None:
    archive = _released(tmp_path, platform_key)
    ref = f"oci://{registry}/platform/production-readiness:0.2.0"
    pushed = run("pack", "push", str(archive), ref)
    assert pushed.exit_code == 0 and "pushed" in pushed.output and "(signed)" in pushed.output
    manifest_digest = pushed.output.split("@")[1].split()[0]

    for source in (str(archive), ref):
        text = run("pack", "inspect", source)
        assert text.exit_code == 0, text.output
        assert text.output.startswith("pack production-readiness 0.2.0 — Production readiness\n")
        assert "(not verified here: pack verify)" in text.output
        assert "changelog 0.2.0 (2026-12-01): no-todos-in-release-files is hard now; 2026-12-01: dates" in text.output
        assert "changelog 0.1.0 (2026-11-02): first release" in text.output
        assert "    no-todos-in-release-files  (" in text.output
        shown = json.loads(run("pack", "inspect", source, "--format", "json").output)
        assert shown["manifest"]["version"] == "0.2.0" and shown["signed_by"][0].startswith("ed25519:")
        assert shown["manifest"]["changelog"][0] == {
            "version": "0.2.0", "date": "2026-12-01",
            "changes": ["no-todos-in-release-files is hard now", "2026-12-01: dates inside text stay text"]}
        assert shown["pinned"] == (manifest_digest if source == ref else "")
    assert "pinned   " + manifest_digest in run("pack", "inspect", ref).output

    unchecked = run("pack", "pull", ref)
    assert unchecked.exit_code == 0, unchecked.output
    assert "pack production-readiness 0.2.0, signed by ed25519:" in unchecked.output
    assert "(NOT verified: give --pack-key to check it)" in unchecked.output
    pulled = json.loads(run("pack", "pull", ref, "--pack-key", f"{platform_key}.pub", "--format", "json").output)
    assert pulled["pinned"] == manifest_digest and pulled["verified_by"] == pulled["signatures"]
    assert Path(pulled["cached"]).is_file() and Path(pulled["cached"]).is_relative_to(pack_cache)
    assert "(verified)" in run("pack", "pull", ref, "--pack-key", f"{platform_key}.pub").output


@pytest.mark.parametrize("kind", ["oci", "git", "https"])
def test_an_unreachable_source_without_a_cached_copy_exits_3(kind: str, tmp_path: Path, platform_key: Path) -> None:
    port = _dead_port()
    ref = {"oci": f"oci://127.0.0.1:{port}/platform/pack:1.0.0",
           "git": f"git+https://127.0.0.1:{port}/packs.git#main:pack.tar.gz",
           "https": f"https://127.0.0.1:{port}/pack.tar.gz"}[kind]
    evaluated = run("eval", str(tmp_path), "--pack", ref, "--pack-key", f"{platform_key}.pub", "--no-decision-log")
    pulled = run("pack", "pull", ref)
    for result in (evaluated, pulled):
        assert result.exit_code == 3, result.output
        assert ref in result.output
        assert "Connection refused" in result.output or "Failed to connect" in result.output
        assert "Traceback" not in result.output and "HTTPConnectionPool" not in result.output


def test_a_locked_pack_in_the_cache_is_used_offline(tmp_path: Path, registry: str, platform_key: Path,
                                                    pack_cache: Path) -> None:
    archive = tmp_path / "prod.tar.gz"
    assert run("pack", "build", str(PRODUCTION), "-o", str(archive)).exit_code == 0
    ref = f"oci://{registry}/platform/production-readiness:0.1.0"
    assert run("pack", "push", str(archive), ref).exit_code == 0
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "anops-policy.yaml").write_text(f"packs: ['{ref}']\n")
    assert run("pack", "lock", str(repo)).exit_code == 0  # fetched once: the cache holds it
    # the same pins, from a registry that no longer answers
    dead = f"127.0.0.1:{_dead_port()}"
    for name in ("anops-policy.yaml", "anops-policy.lock"):
        (repo / name).write_text((repo / name).read_text().replace(registry, dead))
    offline = run("eval", str(repo), "--locked", "--no-decision-log", "--now", NOW, "--format", "json")
    assert offline.exit_code in (0, 1), offline.output
    assert json.loads(offline.output)["packs"][0]["source"] == ref.replace(registry, dead)
    shutil.rmtree(pack_cache)
    gone = run("eval", str(repo), "--locked", "--no-decision-log", "--now", NOW)
    assert gone.exit_code == 3 and f"registry {dead} unreachable" in gone.output


def test_facts_and_eval_collect_what_a_remote_pack_declares(tmp_path: Path, registry: str, platform_key: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "anops", repo)
    (repo / "deploy").mkdir(exist_ok=True)
    (repo / "deploy" / "web.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
                                              "spec: {replicas: 1}\n")
    config = repo / "anops-policy.yaml"
    config.write_text(config.read_text() + f"trust: {{pack_keys: ['{platform_key}.pub']}}\n")
    for name, folder in (("deployment-readiness", DEPLOYMENT), ("production-readiness", PRODUCTION)):
        archive = tmp_path / f"{name}.tar.gz"
        assert run("pack", "build", str(folder), "-o", str(archive)).exit_code == 0
        assert run("pack", "sign", str(archive), "--signing-key", str(platform_key)).exit_code == 0
        remote = f"oci://{registry}/platform/{name}:0.1.0"
        assert run("pack", "push", str(archive), remote).exit_code == 0
        section = "files" if name == "deployment-readiness" else "patterns"
        local = json.loads(run("facts", str(repo), "--pack", f"builtin:{name}", "--only", section, "--now", NOW).output)
        pulled = run("facts", str(repo), "--pack", remote, "--only", section, "--now", NOW)
        assert pulled.exit_code == 0, pulled.output
        facts = json.loads(pulled.output)
        assert facts[section] and facts[section] == local[section]
        assert facts["meta"]["digest"] == local["meta"]["digest"]
        # facts takes --pack-key and --locked as eval does: a pack not pinned is refused under --locked
        keyed = run("facts", str(repo), "--pack", remote, "--pack-key", f"{platform_key}.pub", "--only", section,
                    "--now", NOW)
        assert json.loads(keyed.output)[section] == local[section]
        unpinned = run("facts", str(repo), "--pack", remote, "--locked", "--only", section)
        assert unpinned.exit_code == 2 and "not in" in unpinned.output and "--locked" in unpinned.output
        judged = [json.loads(run("eval", str(repo), "--pack", ref, "--no-decision-log", "--now", NOW, "--format",
                                 "json").output)["decisions"] for ref in (f"builtin:{name}", remote)]
        assert judged[0] == judged[1]


def test_pack_diff_between_two_published_versions(tmp_path: Path, registry: str) -> None:
    """0.1.0 is the built-in pack; 0.2.0 makes one policy hard and adds one: both pushed, diffed by their tags."""
    new = tmp_path / "prod-0.2.0"
    shutil.copytree(PRODUCTION, new, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    meta = new / "pack.yaml"
    meta.write_text(meta.read_text().replace("version: 0.1.0", "version: 0.2.0", 1))
    policy = new / "no-todos-in-release-files.yaml"
    policy.write_text(policy.read_text().replace("enforcement: soft", "enforcement: hard", 1))
    (new / "no-fixmes-in-release-files.yaml").write_text(policy.read_text().replace(
        "id: no-todos-in-release-files", "id: no-fixmes-in-release-files", 1))
    refs = []
    for version, folder in (("0.1.0", PRODUCTION), ("0.2.0", new)):
        archive = tmp_path / f"{version}.tar.gz"
        assert run("pack", "build", str(folder), "-o", str(archive)).exit_code == 0
        refs.append(f"oci://{registry}/platform/production-readiness:{version}")
        assert run("pack", "push", str(archive), refs[-1]).exit_code == 0
    text = run("pack", "diff", *refs)
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[0].startswith("pack production-readiness 0.1.0 (sha256:")
    assert " → production-readiness 0.2.0 (sha256:" in lines[0]
    assert any(line.startswith("+ added   no-fixmes-in-release-files (hard") for line in lines)
    assert "~ changed no-todos-in-release-files" in lines
    assert "    enforcement: soft → hard" in lines
    assert lines[-1] == "1 added, 0 removed, 1 changed"
    shown = json.loads(run("pack", "diff", *refs, "--format", "json").output)
    assert (shown["old"]["version"], shown["new"]["version"]) == ("0.1.0", "0.2.0")
    assert [p["id"] for p in shown["added"]] == ["no-fixmes-in-release-files"] and shown["removed"] == []
    assert shown["changed"] == [{"id": "no-todos-in-release-files",
                                 "changes": [{"field": "enforcement", "old": "soft", "new": "hard"}]}]
