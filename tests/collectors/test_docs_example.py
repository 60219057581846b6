"""The docs facts on the bundled example, before and after ``examples/anops-ready.patch``: the gaps that
examples/README.md lists for items 3.1 (ACTIONPLAN.md up to date) and 3.2 (README onboarding) show up
in the facts, and disappear in the ready state."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import load_config
from anops_policy.facts import section_errors
from anops_policy.pipeline.collect import collect_facts

EXAMPLES = Path(__file__).parents[2] / "examples"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def docs(root: Path) -> dict[str, Any]:
    document = collect_facts(root, load_config(root / "anops-policy.yaml"), now=NOW, only=["docs"], use_git=False)
    assert document["meta"]["collectors"]["docs"]["status"] == "ok", document["meta"]["collectors"]["docs"]
    section: dict[str, Any] = document["docs"]
    assert section_errors("docs", section) == []
    return section


@pytest.fixture(scope="module")
def before() -> dict[str, Any]:
    return docs(EXAMPLES / "anops")


@pytest.fixture(scope="module")
def ready(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    dest = tmp_path_factory.mktemp("ready") / "anops"
    if shutil.which("git") is None:
        pytest.skip("git is needed to apply the ready patch")
    subprocess.run(["sh", str(EXAMPLES / "make-ready-patch.sh"), "apply", str(dest)], check=True, capture_output=True)
    return docs(dest)


def test_before_readme_has_no_test_instructions(before: dict[str, Any]) -> None:
    readme = before["readme"]
    assert readme["path"] == "README.md"
    assert [(h["line"], h["text"]) for h in readme["headings"] if h["level"] <= 2] == [
        (1, "AnOps"), (15, "Architecture"), (28, "Building"), (46, "Running locally"), (71, "Project status"),
    ]
    assert readme["tells_how_to_run_tests"] is False
    assert readme["tells_what_to_expect"] is False
    assert readme["has_section"]["testing"] is False
    building = next(b for b in readme["code_blocks"] if b["line"] == 33)
    assert building["language"] == "sh"
    assert [c["text"] for c in building["commands"]][:3] == [
        "cargo install --path ao-cli", "pip install grpcio-tools==1.85.1", "ao check",
    ]


def test_before_action_plan_is_stale(before: dict[str, Any]) -> None:
    plan = before["action_plan"]
    assert plan["path"] == "ACTIONPLAN.md"
    assert plan["declared_updated"]["line"] == 3
    assert plan["declared_updated"]["date"] == "2026-03-02"
    assert [(r["line"], r["target"]) for r in plan["references"]["missing_paths"]] == [(18, "ao-cli/src/deploy.rs")]
    assert [(r["line"], r["text"]) for r in plan["references"]["unknown_commands"]] == [
        (17, "ao deploy staging"), (19, "ao deploy --dry-run"), (28, "ao deploy"),
    ]
    assert [c["usage"] for c in plan["commands_not_mentioned"]] == ["ao check"]
    assert (plan["checklist"]["open"], plan["checklist"]["closed"]) == (9, 5)
    assert before["clis"]["ao-cli"]["commands"] == {"build": "config", "check": "config", "help": "source"}


def test_ready_readme_tells_how_to_run_the_tests_and_what_to_expect(ready: dict[str, Any]) -> None:
    readme = ready["readme"]
    assert readme["tells_how_to_run_tests"] is True
    assert readme["tells_what_to_expect"] is True
    assert {c["tool"] for c in readme["test_commands"]} == {"cargo test", "pytest"}
    assert readme["has_section"]["testing"] is True


def test_ready_action_plan_matches_the_code(ready: dict[str, Any]) -> None:
    plan = ready["action_plan"]
    assert plan["declared_updated"]["date"] == "2026-11-24"
    assert plan["references"]["missing_paths"] == []
    assert plan["references"]["unknown_commands"] == []
    assert plan["commands_not_mentioned"] == []


def test_no_broken_links_in_either_state(before: dict[str, Any], ready: dict[str, Any]) -> None:
    assert before["links"]["broken"] == []
    assert ready["links"]["broken"] == []
    assert before["links"]["checked"] >= 6
