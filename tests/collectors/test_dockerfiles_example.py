"""The example's Dockerfiles are deliberately not lean: the collector reports each gap of the examples
README's table (item 2.4) on its line, never stores the API token, and finds nothing to report once the
ready-state patch is applied."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from anops_policy.config import find_config, load_config
from anops_policy.pipeline.collect import collect_facts

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
EXAMPLES = Path(__file__).parents[2] / "examples"


def dockerfile_facts(root: Path) -> dict[str, Any]:
    document = collect_facts(root, load_config(find_config(root)), now=NOW, only=["dockerfiles"], use_git=False)
    assert document["meta"]["collectors"]["dockerfiles"]["status"] == "ok"
    section: dict[str, Any] = document["dockerfiles"]
    return section


def problems(entry: dict[str, Any]) -> set[tuple[int, str]]:
    return {(p["line"], p["code"]) for p in entry["problems"]}


def test_example_dockerfiles_show_the_gap_table() -> None:
    section = dockerfile_facts(EXAMPLES / "anops")
    assert section["paths"] == ["api-service/Dockerfile", "model-service/Dockerfile"]
    api = section["by_path"]["api-service/Dockerfile"]
    # README: full python:3.11 base (:1), API_TOKEN in ENV (:5), build-essential curl git without
    # --no-install-recommends and apt lists kept (:7), COPY . . without .dockerignore (:10), pip cache (:11),
    # root, no HEALTHCHECK
    assert problems(api) == {
        (1, "full-base-image"),
        (1, "build-tools-in-final-stage"),  # gcc, make, git… ship with the full base
        (1, "runs-as-root"),
        (1, "no-healthcheck"),
        (5, "secret-in-env"),
        (7, "apt-install-recommends"),
        (7, "apt-lists-kept"),
        (7, "build-tools-in-final-stage"),
        (10, "copy-whole-context"),
        (10, "no-dockerignore"),
        (11, "pip-cache-kept"),
    }
    assert {t["name"] for t in api["build_tools"] if t["line"] == 7} == {"build-essential", "curl", "git"}
    assert api["final_user_is_root"] and not api["has_healthcheck"] and not api["dockerignore"]["exists"]
    model = section["by_path"]["model-service/Dockerfile"]
    # README: gcc in the final stage (:6 base, :7 install), wheels left in /wheels (:8-9), COPY . . (:12),
    # root, no HEALTHCHECK
    assert problems(model) == {
        (6, "full-base-image"),
        (6, "build-tools-in-final-stage"),
        (6, "runs-as-root"),
        (6, "no-healthcheck"),
        (7, "apt-install-recommends"),
        (7, "apt-lists-kept"),
        (7, "build-tools-in-final-stage"),
        (8, "install-files-left"),
        (9, "pip-cache-kept"),
        (12, "copy-whole-context"),
        (12, "no-dockerignore"),
    }
    assert [t["name"] for t in model["build_tools"] if t["line"] == 7] == ["gcc"]
    assert model["multi_stage"] and model["final_stage"] == 1
    assert section["problem_count"] == 22


def test_secret_value_is_never_stored() -> None:
    section = dockerfile_facts(EXAMPLES / "anops")
    text = json.dumps(section)
    assert "anops-dev-4f9c2a7e1b3d" not in text
    env = {e["key"]: e["value"] for e in section["by_path"]["api-service/Dockerfile"]["env"]}
    assert env == {"PYTHONUNBUFFERED": "1", "API_PORT": "8080", "API_TOKEN": "<redacted>"}


def test_ready_state_has_no_problems(tmp_path: Path) -> None:
    ready = tmp_path / "anops"
    shutil.copytree(EXAMPLES / "anops", ready)
    subprocess.run(["git", "apply", str(EXAMPLES / "anops-ready.patch")], cwd=ready, check=True)
    section = dockerfile_facts(ready)
    for path in ("api-service/Dockerfile", "model-service/Dockerfile"):
        entry = section["by_path"][path]
        assert entry["problems"] == [], path
        assert entry["multi_stage"] and not entry["final_user_is_root"] and entry["has_healthcheck"]
        assert entry["dockerignore"]["exists"] and "tests/" in entry["dockerignore"]["patterns"]
    assert section["problem_count"] == 0


def test_cli_facts_shows_the_problems() -> None:
    """`anops-policy facts examples/anops` prints the Dockerfiles with their problems."""
    out = subprocess.run(
        [sys.executable, "-m", "anops_policy", "facts", str(EXAMPLES / "anops"), "--only", "dockerfiles"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    section = json.loads(out.stdout)["dockerfiles"]
    assert section["problem_counts"]["copy-whole-context"] == 2
    assert section["problem_counts"]["runs-as-root"] == 2
    assert section["by_path"]["api-service/Dockerfile"]["problem_count"] == 11
