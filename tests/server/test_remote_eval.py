"""``eval --server``: collect here, judge on a real server, and get the local run's report and exit code."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from .conftest import EXAMPLE, NOW, ROOT, Server, cli

FILES = ("sarif", "junit", "markdown", "html")


def run_eval(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    out.mkdir()
    outputs = [a for fmt in FILES for a in ("--output", f"{fmt}={out / fmt}")]
    return subprocess.run(
        cli("eval", str(EXAMPLE), "--now", NOW, "--no-decision-log", "--output", f"json={out / 'json'}",
            *outputs, *extra),
        capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
        env={**os.environ, "NO_COLOR": "1", "GITHUB_ACTIONS": "false"},
    )


def without_durations(report: dict[str, object]) -> dict[str, object]:
    # collection ran twice (once per run): only its timings may differ
    for meta in report["collectors"].values():  # type: ignore[attr-defined]
        meta.pop("duration_ms")
    return report


@pytest.mark.parametrize("fail_on", ["soft", "advisory"])
def test_remote_eval_equals_local_eval(server: Server, tmp_path: Path, fail_on: str) -> None:
    local = run_eval(tmp_path / "local", "--fail-on", fail_on)
    remote = run_eval(tmp_path / "remote", "--fail-on", fail_on, "--server", server.target)
    assert remote.returncode == local.returncode == 1, remote.stderr
    assert remote.stdout == local.stdout  # the text report
    assert without_durations(json.loads((tmp_path / "remote" / "json").read_text())) == without_durations(
        json.loads((tmp_path / "local" / "json").read_text())
    )
    for fmt in FILES:
        assert (tmp_path / "remote" / fmt).read_text() == (tmp_path / "local" / fmt).read_text(), fmt


def test_an_unreachable_server_is_exit_3(tmp_path: Path) -> None:
    run = run_eval(tmp_path / "out", "--server", "127.0.0.1:1")
    assert run.returncode == 3
    assert "server 127.0.0.1:1: pack listing failed: UNAVAILABLE" in run.stderr
    assert "Traceback" not in run.stderr


def test_remote_eval_collects_the_inputs_of_the_servers_packs(tmp_path: Path) -> None:
    """The server's pack declares inputs: the client learns them from ListPolicies and collects facts.files,
    so the remote report equals the local one."""
    from .conftest import start_server  # noqa: PLC0415

    example = ROOT / "examples" / "deployments"
    server = start_server(tmp_path, "--pack", "builtin:deployment-readiness")
    try:
        runs = []
        for extra in ((), ("--server", server.target)):
            out = tmp_path / f"out{len(runs)}.json"
            runs.append(subprocess.run(
                cli("eval", str(example), "--pack", "builtin:deployment-readiness", "--now", NOW,
                    "--no-decision-log", "--format", "json", "--output", f"json={out}", *extra),
                capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
                env={**os.environ, "NO_COLOR": "1", "GITHUB_ACTIONS": "false"},
            ))
            assert runs[-1].returncode == 1, runs[-1].stderr
        local, remote = (json.loads((tmp_path / f"out{i}.json").read_text()) for i in range(2))
        assert remote["collectors"]["files"]["status"] == "ok"
        assert remote["decisions"] == local["decisions"] and remote["summary"] == local["summary"]
    finally:
        server.stop()


def test_remote_eval_runs_the_pattern_rules_of_the_servers_packs(tmp_path: Path) -> None:
    """The server's pack brings its own pattern rules (patterns/*.yaml): the client learns them from
    ListPolicies, runs them over its checkout, and the remote report equals the local one."""
    from .conftest import start_server  # noqa: PLC0415

    pack = Path(__file__).parent / "pattern_pack"
    example = ROOT / "examples" / "polyglot"
    server = start_server(tmp_path, "--pack", str(pack))
    try:
        runs = []
        for extra in (("--pack", str(pack)), ("--server", server.target, "--pack", "served-patterns")):
            out = tmp_path / f"out{len(runs)}.json"
            runs.append(subprocess.run(
                cli("eval", str(example), "--now", NOW, "--no-decision-log", "--format", "json",
                    "--output", f"json={out}", *extra),
                capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
                env={**os.environ, "NO_COLOR": "1", "GITHUB_ACTIONS": "false"},
            ))
            assert runs[-1].returncode == 1, runs[-1].stderr
        local, remote = (json.loads((tmp_path / f"out{i}.json").read_text()) for i in range(2))
        assert remote["collectors"]["patterns"]["status"] == "ok"
        assert remote["decisions"] == local["decisions"] and remote["summary"] == local["summary"]
        evidence = [(e["path"], e["line"]) for e in remote["decisions"][0]["evidence"]]
        assert evidence == [("gateway/cmd/gateway/main.go", 37), ("gateway/internal/proxy/proxy.go", 20)]
    finally:
        server.stop()
