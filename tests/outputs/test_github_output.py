"""A GitHub Actions run, simulated: ``GITHUB_ACTIONS=true`` and a temporary ``GITHUB_STEP_SUMMARY``. The
real entry point runs in a subprocess; annotations are parsed back the way the runner reads them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from anops_policy.outputs.github import escape_data, escape_property

NOW = "2026-11-26T12:00:00Z"
COMMAND = re.compile(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$")
EARLIER = "# Earlier step\n\nwritten before anops-policy ran\n"


def _unescape(value: str) -> str:
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        value = value.replace(code, char)
    return value


def parse_annotations(stream: str) -> list[dict[str, Any]]:
    out = []
    for line in stream.splitlines():
        match = COMMAND.match(line)
        if match:
            props = dict(p.split("=", 1) for p in match.group(2).split(",")) if match.group(2) else {}
            out.append({"level": match.group(1), **{k: _unescape(v) for k, v in props.items()},
                        "message": _unescape(match.group(3))})
    return out


def anops(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    return subprocess.run([sys.executable, "-m", "anops_policy", "eval", *args], cwd=cwd, env={**base, **env},
                          capture_output=True, text=True, timeout=600, check=False)


def _no_log(cwd: Path) -> list[str]:
    helptext = anops("--help", cwd=cwd, env={}).stdout
    return ["--no-decision-log"] if "--no-decision-log" in helptext else []


def test_workflow_run_annotates_and_writes_the_step_summary(example: Path, tmp_path: Path) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text(EARLIER)
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    proc = anops(".", "--now", NOW, "--output", "json=out/report.json", *_no_log(example), cwd=example, env=env)
    assert proc.returncode == 1, proc.stderr
    report = json.loads((example / "out" / "report.json").read_text())
    failing = [d for d in report["decisions"] if d["outcome"] in ("fail", "error")]
    annotations = parse_annotations(proc.stderr)
    assert "::error" not in proc.stdout, "annotations go to stderr; stdout keeps the report"
    assert len(annotations) == len(failing) > 0
    assert sum(a["level"] == "error" for a in annotations) == report["summary"]["blocking_failures"]
    for annotation in annotations:
        decision = next(d for d in failing if annotation["title"].startswith(f"{d['checklist']} {d['policy']}")
                        and annotation["message"].startswith(d["message"]))
        if decision["evidence"]:
            first = decision["evidence"][0]
            assert annotation["file"] == first["path"] and (example / first["path"]).is_file()
            if "line" in first:
                assert int(annotation["line"]) == first["line"]
                assert int(annotation["line"]) <= len((example / annotation["file"]).read_text().splitlines())
            else:
                assert "line" not in annotation
        else:
            assert "file" not in annotation and "line" not in annotation
        assert "fix: " in annotation["message"]
    written = summary.read_text()
    assert written.startswith(EARLIER), "the summary is appended, never overwritten"
    appended = written[len(EARLIER):]
    assert appended.startswith("## anops-policy: ")
    assert report["summary"]["line"] in appended
    assert "| Section | Items | Satisfied |" in appended
    assert appended.count("<details><summary>❌") == sum(d["outcome"] == "fail" for d in failing)


def test_json_on_stdout_stays_parseable_under_actions(example: Path, tmp_path: Path) -> None:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "s.md")}
    proc = anops(".", "--now", NOW, "--format", "json", *_no_log(example), cwd=example, env=env)
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["summary"]["blocking_failures"] == len(
        [a for a in parse_annotations(proc.stderr) if a["level"] == "error"])


def test_no_github_and_plain_runs_emit_nothing(example: Path, tmp_path: Path) -> None:
    summary = tmp_path / "s.md"
    summary.write_text(EARLIER)
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    off = anops(".", "--now", NOW, "--no-github", *_no_log(example), cwd=example, env=env)
    plain = anops(".", "--now", NOW, *_no_log(example), cwd=example, env={})
    assert off.returncode == plain.returncode == 1
    assert parse_annotations(off.stderr) == parse_annotations(plain.stderr) == []
    assert summary.read_text() == EARLIER


def test_levels_and_hostile_text_round_trip(example: Path, tmp_path: Path, ci_pack: Path) -> None:
    """Advisory failures are warnings; soft, hard and erroring ones errors; a message full of workflow-command
    syntax (``::``, ``%0A``, commas, colons, newlines) decodes back to itself."""
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "s.md")}
    proc = anops(".", "--now", NOW, "--policies", str(ci_pack), "--output", "json=out/r.json", *_no_log(example),
                 cwd=example, env=env)
    assert proc.returncode == 1, proc.stderr
    report = json.loads((example / "out" / "r.json").read_text())
    annotations = [a for a in parse_annotations(proc.stderr) if a["level"] != "notice"]  # notes are notices
    levels = {}
    for a in annotations:
        levels.setdefault(a["title"].split()[1], set()).add(a["level"])
    assert levels == {"advisory-markers": {"warning"}, "hostile-text": {"warning"}, "soft-markers": {"error"},
                      "hard-markers": {"error"}, "broken-lookup": {"error"}}
    # click drops ANSI colour sequences when stderr is not a terminal; everything else must survive
    hostile = [re.sub(r"\x1b\[[0-9;]*m", "", d["message"])
               for d in report["decisions"] if d["policy"] == "hostile-text"]
    decoded = [a["message"].split("\n")[0] for a in annotations if "hostile-text" in a["title"]]
    assert decoded == hostile and all("::error::" in m and "%0A" in m for m in decoded)
    assert all(line.startswith("::") for line in proc.stderr.splitlines() if "hostile" in line)
    blocking_first = [a["level"] for a in annotations]
    assert blocking_first == sorted(blocking_first, key=lambda level: level != "error")


def test_escaping_follows_the_workflow_command_rules() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a,b:c%") == "a%2Cb%3Ac%25"
