"""Invoked-subcommand facts against expectations written by hand from reading each test function, on the
rust case repositories and on examples/anops before and after ``examples/anops-ready.patch``.

The goldens (expected.json) hold the same facts; this file states them independently, per test
function, so a golden regenerated carelessly cannot hide a regression."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import RepoConfig
from anops_policy.pipeline.collect import collect_facts

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def rust_facts(root: Path) -> dict[str, Any]:
    doc = collect_facts(root, RepoConfig(), now=NOW, only=["rust"], use_git=False)
    assert doc["meta"]["collectors"]["rust"]["status"] == "ok", doc["meta"]["collectors"]["rust"]
    section: dict[str, Any] = doc["rust"]
    return section


def by_test(crate: dict[str, Any]) -> dict[str, list[str]]:
    return {fn["name"]: fn["invoked_commands"] for target in crate["tests"]["integration"] for fn in target["tests"]}


# Read from tools/ao/tests/**: helpers `Sandbox::ao()` (a method), `run_ok(&[..])` (forwards its
# argument), `common::ao_admin()`; `-v`/`--config FILE`/`-c <expr>` before the subcommand; the alias
# `list` of `ls`; `Command::new("git")` is an external tool; the test in a block comment does not exist.
WORKSPACE_AO = {
    "build_calls_docker_once_per_service": ["build"],
    "verbose_flag_before_the_subcommand": ["build"],
    "config_flag_value_is_not_the_subcommand": ["ls"],
    "help_mentions_build": [],
    "init_force_overwrites": ["init"],
    "init_refuses_to_overwrite": ["init"],
    "deploy_uses_git_sha": ["deploy-service"],
    "list_alias": ["ls"],
    "rotate_keys_succeeds": ["rotate-keys"],
    "gc_dry_run": ["gc"],
    "ls_reads_the_given_config": ["ls"],
    "ls_with_env_bin_path": ["ls"],
}
# Read from standalone-cli/tests/cli.rs: `relctl()` wraps `Command::new(env!("CARGO_BIN_EXE_relctl"))`,
# `run(&[..])` forwards; `pub` is a builder-style alias of `publish`; a loop variable is not a literal.
STANDALONE = {
    "tag_accepts_a_v_prefix": ["tag"],
    "pub_is_an_alias": ["publish"],
    "dry_run_before_the_subcommand": ["publish"],
    "every_subcommand_has_help": [],
    "tag_rejects_garbage": ["tag"],
}
# examples/anops/ao-cli/tests/cli.rs: three `ao check` tests through `fn ao(&TempDir) -> Command`, and
# `ao --help` (README, item 1.1: "build" appears only in a stdout predicate).
EXAMPLE = {
    "check_reports_ok": ["check"],
    "check_reports_missing_dockerfile": ["check"],
    "check_rejects_placeholder_tags": ["check"],
    "help_lists_the_subcommands": [],
}
# After anops-ready.patch: `Workspace::ao()` with a fake docker first on PATH.
READY = {
    "build_generates_grpc_code_and_builds_every_image": ["build"],
    "build_only_builds_the_named_image": ["build"],
    "build_no_images_only_generates_code": ["build"],
    "build_reports_which_image_failed_and_why": ["build"],
    "build_rejects_an_unknown_image": ["build"],
    "build_explains_a_broken_proto": ["build"],
    "check_reports_ok": ["check"],
    "check_reports_missing_dockerfile": ["check"],
    "check_rejects_placeholder_tags": ["check"],
    "check_explains_a_missing_config": ["check"],
    "check_explains_an_invalid_config": ["check"],
    "help_lists_the_subcommands": [],
}


def test_workspace_case() -> None:
    rust = rust_facts(HERE / "rust" / "cases" / "workspace" / "repo")
    ao = rust["crates"]["tools/ao"]
    assert by_test(ao) == WORKSPACE_AO
    assert ao["tests"]["invoked_commands"] == ["build", "deploy-service", "gc", "init", "ls", "rotate-keys"]
    assert ao["tests"]["mocks_external_commands"] is True
    assert {m["kind"] for m in ao["tests"]["mocking"]} == {"path_override", "fake_executable"}
    git = [
        i for t in ao["tests"]["integration"] for fn in t["tests"] for i in fn["invocations"] if i["program"] == "git"
    ]
    assert [(i["target"], i["args"], i["subcommand"]) for i in git] == [("external", ["init", "-q"], None)]
    assert rust["crates"]["crates/core"]["tests"]["invoked_commands"] == []


def test_standalone_case() -> None:
    rust = rust_facts(HERE / "rust" / "cases" / "standalone-cli" / "repo")
    crate = rust["crates"]["."]
    assert by_test(crate) == STANDALONE
    assert crate["tests"]["mocks_external_commands"] is False
    assert crate["tests"]["uses_assert_cmd"] is False


def test_example_before(tmp_path: Path) -> None:
    rust = rust_facts(ROOT / "examples" / "anops")
    crate = rust["crates"]["ao-cli"]
    assert by_test(crate) == EXAMPLE
    assert crate["tests"]["invoked_commands"] == ["check"]
    assert crate["tests"]["mocks_external_commands"] is False
    # README "deliberate gaps", items 2.1 and 2.3
    console = sorted((c["path"], c["line"]) for items in crate["output"]["by_path"].values() for c in items)
    assert console == [
        ("ao-cli/src/build.rs", 28), ("ao-cli/src/build.rs", 41), ("ao-cli/src/build.rs", 51),
        ("ao-cli/src/build.rs", 72), ("ao-cli/src/check.rs", 13), ("ao-cli/src/check.rs", 21),
        ("ao-cli/src/main.rs", 52), ("ao-cli/src/utils.rs", 13),
    ]  # fmt: skip
    panics = sorted((p["path"], p["line"], p["kind"]) for items in crate["panics"]["by_path"].values() for p in items)
    assert panics == [
        ("ao-cli/src/build.rs", 18, "panic"), ("ao-cli/src/build.rs", 59, "unwrap"),
        ("ao-cli/src/build.rs", 60, "unwrap"), ("ao-cli/src/build.rs", 61, "unwrap"),
        ("ao-cli/src/build.rs", 62, "unwrap"), ("ao-cli/src/build.rs", 80, "unwrap"),
        ("ao-cli/src/build.rs", 81, "unwrap"), ("ao-cli/src/main.rs", 49, "unwrap"),
        ("ao-cli/src/main.rs", 50, "expect"), ("ao-cli/src/utils.rs", 21, "unwrap"),
        ("ao-cli/src/utils.rs", 22, "unwrap"),
    ]  # fmt: skip
    assert crate["logging"]["logs_via"] is None
    assert crate["logging"]["logger_initialised"] is False
    assert crate["tests"]["unit_test_count"] == 5  # reports/cargo-test.txt: 5 unit tests
    assert crate["tests"]["integration_test_count"] == 4  # and 4 integration tests


@pytest.mark.skipif(shutil.which("git") is None, reason="git is needed to apply examples/anops-ready.patch")
def test_example_ready(tmp_path: Path) -> None:
    ready = tmp_path / "anops"
    shutil.copytree(ROOT / "examples" / "anops", ready)
    subprocess.run(
        ["git", "apply", str(ROOT / "examples" / "anops-ready.patch")], cwd=ready, check=True, capture_output=True
    )
    rust = rust_facts(ready)
    crate = rust["crates"]["ao-cli"]
    assert by_test(crate) == READY
    assert crate["tests"]["invoked_commands"] == ["build", "check"]
    assert crate["tests"]["mocks_external_commands"] is True
    assert crate["output"]["console_output_count"] == 0
    assert crate["panics"]["unwrap_count"] + crate["panics"]["expect_count"] + crate["panics"]["panic_count"] == 0
    assert crate["logging"] == {
        "logs_via": "log",
        "crates": ["env_logger", "log"],
        "logger_initialised": True,
        "inits": [{"path": "ao-cli/src/main.rs", "line": 74, "library": "env_logger"}],
        "log_macro_count": crate["logging"]["log_macro_count"],
    }
    assert crate["errors"]["main_returns_result"] is True
    assert crate["tests"]["unit_test_count"] == 9  # the ready reports: 9 unit and 12 integration tests
    assert crate["tests"]["integration_test_count"] == 12
