"""The sample collector plugin (tests/plugins/sample_plugin) as a user gets it: built into a wheel, installed
into a fresh virtual environment that sees this anops-policy (``tests.environments``), listed by
``anops-policy plugins``, and read by the code-ownership pack (tests/plugins/policies) on a small repository
(pass, and fail with the CODEOWNERS line as evidence). Then broken on purpose, as a new version of the same
distribution: the run reports the collector as ``error`` naming the plugin and its version, and the policies
decide ``error`` (exit 1, as for any blocking error). Offline: pip builds and installs with ``--no-index``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.environments import venv_over_this_environment

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "sample_plugin"
PACK = HERE / "policies" / "code-ownership"
NOW = "2026-11-26"
TIMEOUT = 300


@dataclass(frozen=True)
class Venv:
    folder: Path

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        """``python -m anops_policy ARGS`` in the environment (the compiled-policy cache of this test run)."""
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        command = [str(self.folder / "bin" / "python"), "-m", "anops_policy", *args]
        return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env, timeout=TIMEOUT, check=False)


def _run(command: list[str], what: str) -> None:
    """A build step; when the environment cannot build wheels or venvs (no setuptools, no venv module) the
    test is skipped saying so, as that is the machine's limit, not the plugin's."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot {what} here: {exc}")
    if done.returncode != 0:
        pytest.skip(f"cannot {what} here: {' '.join(command)} exited {done.returncode}: {done.stderr[-800:]}")


def build_wheel(source: Path, out: Path) -> Path:
    """The wheel of a copy of ``source`` (a build leaves build/ and *.egg-info behind: not in the tree)."""
    work = out / f"src-{source.name}"
    shutil.copytree(source, work, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    dist = out / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(work)],
         "build a wheel (pip wheel --no-build-isolation needs setuptools)")
    return max(dist.glob("anops_sample_plugin-*.whl"), key=lambda p: p.stat().st_mtime)


def make_venv(folder: Path, wheel: Path) -> Venv:
    """A fresh environment over this interpreter's packages (so anops-policy and its dependencies are
    there), with only ``wheel`` installed into it; pip is the interpreter's own (``--without-pip``)."""
    try:
        python = str(venv_over_this_environment(folder, timeout=TIMEOUT))
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot create a venv here: {exc}")
    _run([python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], "pip install into the venv")
    venv = Venv(folder)
    where = "import anops_policy, importlib.util; print(importlib.util.find_spec('anops_sample_plugin').origin)"
    probe = subprocess.run([python, "-c", where], capture_output=True, text=True, cwd=folder, timeout=TIMEOUT,
                           check=False)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip().startswith(str(folder)), "the plugin was imported from elsewhere, not the wheel"
    return venv


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    base = tmp_path_factory.mktemp("plugin-wheel")
    return make_venv(base / "venv", build_wheel(SAMPLE, base))


def make_repo(folder: Path, codeowners: str) -> Path:
    (folder / ".github").mkdir(parents=True)
    (folder / ".github" / "CODEOWNERS").write_text(codeowners, encoding="utf-8")
    (folder / "README.md").write_text("# service\n", encoding="utf-8")
    return folder


def evaluate(venv: Venv, repo: Path) -> tuple[subprocess.CompletedProcess[str], dict]:
    out = venv.run("eval", str(repo), "--policies", str(PACK), "--now", NOW, "--no-decision-log", "--format", "json",
                   cwd=repo.parent)
    assert out.stdout, out.stderr
    return out, json.loads(out.stdout)


def outcomes(report: dict) -> dict[str, str]:
    return {d["policy"]: d["outcome"] for d in report["decisions"]}


def test_the_installed_plugin_is_listed(venv: Venv, tmp_path: Path) -> None:
    listed = venv.run("plugins", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "codeowners" in listed.stdout and "anops-sample-plugin" in listed.stdout and "1.0.0" in listed.stdout
    checked = venv.run("plugins", "--check", "--format", "json", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    [row] = json.loads(checked.stdout)["plugins"]
    assert row["section"] == "codeowners"
    assert (row["distribution"], row["version"]) == ("anops-sample-plugin", "1.0.0")
    assert row["entry_point"] == "anops_sample_plugin:CodeownersCollector"
    assert (row["status"], row["error"]) == ("ok", None)
    assert "entries" in row["schema"]["properties"]


def test_the_pack_checks_against_the_plugins_schema(venv: Venv, tmp_path: Path) -> None:
    checked = venv.run("check", str(PACK), cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "ok: 2 policies checked" in checked.stdout
    typo = tmp_path / "typo"
    shutil.copytree(PACK, typo)
    policy = typo / "code-owners-are-resolvable.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("invalid_owners)", "invalid_owner)"), encoding="utf-8")
    refused = venv.run("check", str(typo), cwd=tmp_path)
    assert refused.returncode == 2
    assert "unknown field 'facts.codeowners.invalid_owner'" in refused.stderr


def test_a_policy_reads_the_plugins_section(venv: Venv, tmp_path: Path) -> None:
    good = make_repo(tmp_path / "good", "# owners\n* @acme/platform\n/docs/ @acme/docs dev@acme.example\n")
    facts = venv.run("facts", str(good), "--only", "codeowners", "--now", NOW, cwd=tmp_path)
    assert facts.returncode == 0, facts.stderr
    section = json.loads(facts.stdout)["codeowners"]
    assert section["default_owners"] == ["@acme/platform"]
    assert section["entries"][1] == {"pattern": "/docs/", "owners": ["@acme/docs", "dev@acme.example"],
                                     "path": ".github/CODEOWNERS", "line": 3}
    out, report = evaluate(venv, good)
    assert out.returncode == 0, out.stdout + out.stderr
    assert outcomes(report) == {"every-path-has-a-code-owner": "pass", "code-owners-are-resolvable": "pass"}
    assert report["collectors"]["codeowners"]["status"] == "ok"
    assert report["collectors"]["codeowners"]["version"] == "anops-sample-plugin 1.0.0 (collector 1)"


def test_a_policy_fails_citing_the_codeowners_line(venv: Venv, tmp_path: Path) -> None:
    bad = make_repo(tmp_path / "bad", "* @acme/platform\n/generated/\n/docs/ platform\n")
    out, report = evaluate(venv, bad)
    assert out.returncode == 1, out.stdout + out.stderr
    assert outcomes(report) == {"every-path-has-a-code-owner": "fail", "code-owners-are-resolvable": "fail"}
    decisions = {d["policy"]: d for d in report["decisions"]}
    unowned = decisions["every-path-has-a-code-owner"]
    assert unowned["evidence"] == [{"path": ".github/CODEOWNERS", "line": 2}]
    [clause] = unowned["explanation"]["failed_clauses"]
    assert [(f["path"], f["line"]) for f in clause["failing"]] == [(".github/CODEOWNERS", 2)]
    assert decisions["code-owners-are-resolvable"]["evidence"] == [{"path": ".github/CODEOWNERS", "line": 3}]
    text = venv.run("eval", str(bad), "--policies", str(PACK), "--now", NOW, "--no-decision-log", cwd=tmp_path)
    assert "at: .github/CODEOWNERS:2" in text.stdout and "at: .github/CODEOWNERS:3" in text.stdout


def _break_import(package: Path) -> None:
    init = package / "__init__.py"
    init.write_text(init.read_text(encoding="utf-8") + '\nraise RuntimeError("broken on purpose")\n', encoding="utf-8")


def _break_collect(package: Path) -> None:
    init = package / "__init__.py"
    source = init.read_text(encoding="utf-8")
    marker = "        listed = set(ctx.files())\n"
    assert marker in source
    init.write_text(source.replace(marker, '        raise KeyError("owners")\n' + marker), encoding="utf-8")


@pytest.mark.parametrize(
    ("version", "breaks", "cause"),
    [
        ("1.0.1", _break_import, "cannot import: RuntimeError: broken on purpose"),
        ("1.0.2", _break_collect, "collect raised KeyError: 'owners'"),
    ],
    ids=["import-raises", "collect-raises"],
)
def test_a_broken_plugin_is_its_collectors_error_and_the_policies_decide_error(
    tmp_path: Path, version: str, breaks: Callable[[Path], None], cause: str
) -> None:
    source = tmp_path / "sample_plugin"
    shutil.copytree(SAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    project = source / "pyproject.toml"
    project.write_text(project.read_text(encoding="utf-8").replace('version = "1.0.0"', f'version = "{version}"'),
                       encoding="utf-8")
    breaks(source / "anops_sample_plugin")
    broken = make_venv(tmp_path / "venv", build_wheel(source, tmp_path))
    repo = make_repo(tmp_path / "repo", "* @acme/platform\n")

    out, report = evaluate(broken, repo)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    status = report["collectors"]["codeowners"]
    assert status["status"] == "error"
    assert f"plugin anops-sample-plugin {version}" in status["error"] and cause in status["error"]
    assert outcomes(report) == {"every-path-has-a-code-owner": "error", "code-owners-are-resolvable": "error"}
    assert all(f"plugin anops-sample-plugin {version}" in d["message"] for d in report["decisions"])
    assert all(d["blocking"] for d in report["decisions"])

    listed = broken.run("plugins", "--check", cwd=tmp_path)
    if breaks is _break_import:  # importing is all --check does: a collect that raises shows only in a run
        assert listed.returncode == 1 and f"error: plugin anops-sample-plugin {version}" in listed.stdout
    else:
        assert listed.returncode == 0, listed.stdout
