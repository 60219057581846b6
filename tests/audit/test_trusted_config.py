"""`--trusted-config REF`: a change cannot waive its own failures or drop what is checked by editing
anops-policy.yaml; the report and the log list every difference it would make."""

from __future__ import annotations

import json

import pytest
from audit_helpers import Tiny, commit_all, events, git

from anops_policy.audit.trusted_config import diff_config

SELF_WAIVER = """\
waivers:
  - {policy: no-todos, subject: src/build.rs, owner: pr-author, reason: later, ticket: X-1, expires: 2026-12-20}
"""


@pytest.fixture
def pr(tiny: Tiny) -> Tiny:
    commit_all(tiny.repo, "base")
    git(tiny.repo, "branch", "base")
    # the pull request: drops the failing file from release_files and waives it, in the working tree
    (tiny.repo / "anops-policy.yaml").write_text("release_files: [src/clean.rs]\n" + SELF_WAIVER)
    return tiny


def test_the_working_tree_config_would_hide_the_failure(pr: Tiny) -> None:
    assert pr.eval().exit_code == 0


def test_trusted_config_is_used_and_the_changes_listed(pr: Tiny) -> None:
    result = pr.eval("--trusted-config", "base", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    [build] = [d for d in data["decisions"] if d["subject"] == "src/build.rs"]
    assert build["outcome"] == "fail" and build["blocking"]
    texts = [c["text"] for c in data["config_changes"]]
    assert texts == [
        "release_files: removes 'src/build.rs'",
        "waivers[no-todos src/build.rs]: adds {owner: 'pr-author', reason: 'later', ticket: 'X-1', "
        "expires: '2026-12-20'}",
    ]
    assert any(n.startswith("trusted config: used anops-policy.yaml from base") and "differs in 2 ways" in n
               for n in data["notes"])
    record = events(pr.log)[-1]
    assert record["config"]["source"] == "git" and record["config"]["ref"] == "base"
    assert record["config"]["commit"] == git(pr.repo, "rev-parse", "base")
    assert [c["text"] for c in record["config"]["changes"]] == texts
    text = pr.eval("--trusted-config", "base").stdout
    assert "release_files: removes 'src/build.rs'" in text


def test_unknown_ref_and_missing_config(pr: Tiny) -> None:
    result = pr.eval("--trusted-config", "no-such-branch")
    assert result.exit_code == 2 and "--trusted-config no-such-branch: no such git ref" in result.stderr
    assert pr.eval("--trusted-config", "--output=x").exit_code == 2
    git(pr.repo, "rm", "-q", "--cached", "anops-policy.yaml")
    git(pr.repo, "commit", "-q", "-m", "no config")
    data = json.loads(pr.eval("--trusted-config", "HEAD", "--format", "json").stdout)
    assert any("has no anops-policy.yaml; evaluating with an empty config" in n for n in data["notes"])


def test_invalid_working_tree_config_does_not_stop_a_trusted_run(pr: Tiny) -> None:
    (pr.repo / "anops-policy.yaml").write_text("release_files: 3\n")
    result = pr.eval("--trusted-config", "base", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["config_changes"][0]["change"] == "invalid"


def test_diff_config_matches_components_by_name() -> None:
    old = {"components": [{"name": "api", "kind": "python-service", "image": "a:1"},
                          {"name": "cli", "kind": "rust-cli"}],
           "params": {"p": {"max": 1}}, "packs": ["a", "b"]}
    new = {"components": [{"name": "api", "kind": "python-service", "image": "a:2"}],
           "params": {"p": {"max": 3}}, "packs": ["b", "a"]}
    assert [c["text"] for c in diff_config(old, new)] == [
        "components[cli]: removes {kind: 'rust-cli'}",
        "components[api].image: changes 'a:1' → 'a:2'",
        "packs: reorders ['a', 'b'] → ['b', 'a']",
        "params.p.max: changes 1 → 3",
    ]
