"""The authorisation policy file: checked like a policy (``anops-policy check``, file:line:column), and its
decisions over verified identities (deny rules first and fail closed, then allow rules, else denied)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from anops_policy.errors import PolicyLoadError
from anops_policy.identity.authorisation import load_authorisation
from anops_policy.identity.tokens import Identity

from .conftest import ROOT, cli

GITHUB = "https://token.actions.githubusercontent.com"
POLICY = f"""\
apiVersion: anops.dev/authorisation/v1
rules:
  - id: github-jobs-write-their-repository
    actions: [write]
    allow: caller.issuer == "{GITHUB}" && stream == "github.com/" + caller.repository
  - id: release-gates-only-from-main
    effect: deny
    actions: [write]
    allow: stream.endsWith("-release") && caller.claims.ref != "refs/heads/main"
  - id: auditors-read-everything
    actions: [read]
    allow: caller.kind == "certificate" && caller.subject.startsWith("CN=auditor")
"""

BROKEN = [
    ("unknown-field", 'allow: stream == "github.com/" + caller.repositry', "5:45",
     "unknown caller field 'repositry' (did you mean 'repository'?)"),
    ("unknown-name", 'allow: strem == "x"', "5:12", "unknown identifier 'strem'"),
    ("unknown-function", 'allow: stream.beginsWith("x")', "5:", "beginsWith"),
    ("syntax", 'allow: stream == ', "5:", "rule 'r'"),
    ("bad-action", "actions: [delete]\n    allow: true", "4:14", "actions must be a list of write, read, signoff"),
    ("bad-effect", "effect: maybe\n    allow: true", "5:13", "effect must be allow or deny"),
    ("unknown-key", "alow: true", "5:5", "unknown key 'alow' in a rule"),
]


def write_broken(folder: Path, line: str) -> Path:
    path = folder / "authorisation.yaml"
    body = line if line.startswith("actions") else f"actions: [write]\n    {line}"
    path.write_text(f"apiVersion: anops.dev/authorisation/v1\nrules:\n  - id: r\n    {body}\n")
    return path


@pytest.mark.parametrize(("case", "line", "where", "message"), BROKEN, ids=[c[0] for c in BROKEN])
def test_check_names_the_problem_with_its_position(tmp_path: Path, case: str, line: str, where: str,
                                                   message: str) -> None:
    path = write_broken(tmp_path, line)
    run = subprocess.run(cli("check", str(path)), capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert run.returncode == 2, (case, run.stdout, run.stderr)
    assert f"{path}:{where}" in run.stderr, (case, run.stderr)
    assert message in run.stderr, (case, run.stderr)
    assert "Traceback" not in run.stderr


def test_check_accepts_a_good_policy(tmp_path: Path) -> None:
    path = tmp_path / "authorisation.yaml"
    path.write_text(POLICY)
    run = subprocess.run(cli("check", str(path)), capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert "ok: 3 authorisation rules checked" in run.stdout


def github(repository: str, ref: str = "refs/heads/main") -> Identity:
    return Identity("oidc", GITHUB, f"repo:{repository}:ref:{ref}", repository, {"repository": repository, "ref": ref})


DECISIONS = [
    ("own-stream", github("org/a"), "write", "github.com/org/a", True, "github-jobs-write-their-repository"),
    ("other-stream", github("org/a"), "write", "github.com/org/b", False, ""),
    ("release-from-main", github("org/a-release"), "write", "github.com/org/a-release", True,
     "github-jobs-write-their-repository"),
    ("release-from-branch", github("org/a-release", "refs/heads/x"), "write", "github.com/org/a-release", False,
     "release-gates-only-from-main"),
    # a deny rule that cannot be evaluated (no `ref` claim) denies: fail closed
    ("deny-rule-error", Identity("oidc", GITHUB, "s", "org/a-release", {}), "write", "github.com/org/a-release",
     False, "release-gates-only-from-main"),
    ("auditor-reads", Identity("certificate", "CN=ca", "CN=auditor-1", "", {}), "read", "github.com/org/a", True,
     "auditors-read-everything"),
    ("ci-cannot-read", github("org/a"), "read", "github.com/org/a", False, ""),
    ("nobody-signs-off", github("org/a"), "signoff", "github.com/org/a", False, ""),
]


@pytest.mark.parametrize(("case", "caller", "action", "stream", "allowed", "rule"), DECISIONS,
                         ids=[c[0] for c in DECISIONS])
def test_decisions(tmp_path: Path, case: str, caller: Identity, action: str, stream: str, allowed: bool,
                   rule: str) -> None:
    path = tmp_path / "authorisation.yaml"
    path.write_text(POLICY)
    verdict = load_authorisation(path).decide(caller, action, stream)
    assert (verdict.allowed, verdict.rule) == (allowed, rule), (case, verdict.reason)
    assert stream in verdict.reason


def test_a_file_that_is_not_a_policy_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "authorisation.yaml"
    path.write_text("apiVersion: anops.dev/authorisation/v2\nrules: []\n")
    with pytest.raises(PolicyLoadError, match=r"authorisation.yaml:1:13: apiVersion must be"):
        load_authorisation(path)


def test_the_start_warns_when_verified_callers_are_not_constrained(tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    """A CI's issuer signs a token for any audience a job asks for: an issuer without required claims and a
    server without an authorisation policy let any job of any repository on that CI write every stream."""
    from anops_policy.identity.config import AuthConfig, Issuer  # noqa: PLC0415
    from anops_policy.server.callers import caller_gate  # noqa: PLC0415

    open_issuer = Issuer(url=GITHUB, audience=("https://policy.test",))
    owned = Issuer(url="https://gitlab.example.com", audience=("https://policy.test",),
                   claims={"namespace_path": ("org",)})
    with caplog.at_level("WARNING", logger="anops_policy.server"):
        caller_gate(AuthConfig(file="auth.yaml", issuers=(open_issuer, owned)), None)
    assert "no authorisation policy (auth config 'authorisation'): every verified caller may write" in caplog.text
    assert f"issuer {GITHUB} has no required claims" in caplog.text
    assert "issuer https://gitlab.example.com has no" not in caplog.text
    caplog.clear()
    policy = tmp_path / "authorisation.yaml"
    policy.write_text(POLICY)
    with caplog.at_level("WARNING", logger="anops_policy.server"):
        caller_gate(AuthConfig(file="auth.yaml", issuers=(open_issuer,), authorisation=policy), None)
    assert caplog.text == ""


A_POLICY = """\
id: no-todos
title: Release files carry no TODO
checklist: "1"
severity: high
enforcement: soft
requires: [layout]
for_each: facts.layout.release_files
rule: subject != ""
message: "{subject} is empty"
remediation: Name it.
examples:
  - name: named
    facts: {layout: {release_files: [a.rs]}}
    expect: pass
"""

PACK = """\
apiVersion: anops.dev/pack/v1
id: tiny
version: 1.0.0
title: Tiny pack
sections: [Code]
items:
  - {id: "1", section: Code, title: Release files carry no TODO}
"""

# `check DIR`: an authorisation policy in the folder is checked as one (never loaded as a policy); the
# folder's own policies, or its packs, are checked beside it. (folder files, exit code, what stdout says)
IN_FOLDERS = [
    ("alone", {"authorisation.yaml": POLICY}, 0, "ok: 3 authorisation rules checked"),
    ("beside-a-policy", {"authorisation.yaml": POLICY, "no-todos.yaml": A_POLICY}, 0, "ok: 1 policies checked"),
    ("beside-packs", {"authorisation.yml": POLICY, "pack-a/pack.yaml": PACK,
                      "pack-a/no-todos.yaml": A_POLICY}, 0, "ok: 1 policies checked"),
    ("broken", {"authorisation.yaml": POLICY.replace("caller.repository", "caller.repositry"),
                "no-todos.yaml": A_POLICY}, 2, ""),
]


@pytest.mark.parametrize(("case", "files", "code", "says"), IN_FOLDERS, ids=[c[0] for c in IN_FOLDERS])
def test_check_finds_authorisation_policies_in_folders(tmp_path: Path, case: str, files: dict[str, str], code: int,
                                                       says: str) -> None:
    from click.testing import CliRunner  # noqa: PLC0415

    from anops_policy.cli.main import cli as main  # noqa: PLC0415

    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    run = CliRunner().invoke(main, ["check", "--no-cache", str(tmp_path)])
    assert run.exit_code == code, (case, run.output)
    assert says in run.output and "apiVersion" not in run.output, (case, run.output)
    if code:
        assert "unknown caller field 'repositry'" in run.output, run.output
