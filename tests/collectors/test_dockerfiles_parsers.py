"""The dockerfiles collector (BuildKit's parser, via the ``dockerfile`` package) agrees with an independent
reading by ``dockerfile-parse`` (pure Python) on every Dockerfile of the case folders and the example:
instructions and their lines, stages (line, base as written, AS name), base images with ARG defaults
substituted, multi-stage or not, and the final base image.

``dockerfile-parse`` does not understand heredocs: it reports each line of a heredoc body as an
instruction of its own (``APT-GET``, ``EOT``…). Its reading is therefore filtered to real Dockerfile
instruction names before counting; the fixtures' heredoc bodies never start with one, so the filter
only removes heredoc lines. That limitation is why the collector uses BuildKit's parser.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from dockerfile_parse import DockerfileParser

from anops_policy.config import RepoConfig, find_config, load_config
from anops_policy.pipeline.collect import collect_facts

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HERE = Path(__file__).parent
ROOTS = [*sorted((HERE / "dockerfiles" / "cases").glob("*/repo")), HERE.parents[1] / "examples" / "anops"]
INSTRUCTIONS = {
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
    "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
}


@cache
def facts_of(root: Path) -> dict[str, Any]:
    config_file = find_config(root) or (root.parent / "config.yaml")
    config = load_config(config_file) if config_file.is_file() else RepoConfig()
    document = collect_facts(root, config, now=NOW, only=["dockerfiles"], use_git=False)
    assert document["meta"]["collectors"]["dockerfiles"]["status"] == "ok"
    section: dict[str, Any] = document["dockerfiles"]
    return section


def parsed_files() -> list[tuple[Path, str]]:
    out = []
    for root in ROOTS:
        for path, entry in facts_of(root)["by_path"].items():
            if entry["parsed"]:
                out.append((root, path))
    return out


FILES = parsed_files()


def test_the_comparison_covers_the_fixture_folder() -> None:
    realistic = [p for r, p in FILES if r.parent.name == "realistic"]
    assert len(realistic) >= 9
    assert len(FILES) >= 15


@pytest.mark.parametrize(("root", "path"), FILES, ids=[f"{r.parent.name}/{p}" for r, p in FILES])
def test_agrees_with_dockerfile_parse(root: Path, path: str) -> None:
    entry = facts_of(root)["by_path"][path]
    other = DockerfileParser(fileobj=io.BytesIO((root / path).read_bytes()))
    structure = [s for s in other.structure if s["instruction"] in INSTRUCTIONS]

    # every instruction, on the same line
    ours = [(i["instruction"], i["line"]) for i in entry["instructions"]]
    theirs = [(s["instruction"], s["startline"] + 1) for s in structure]
    assert ours == theirs
    assert entry["instruction_count"] == len(structure)

    # stages: line, base as written, AS name
    their_stages = []
    for s in structure:
        if s["instruction"] == "FROM":
            words = [w for w in s["value"].split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            their_stages.append((s["startline"] + 1, words[0], name))
    assert [(st["line"], st["base"], st["name"]) for st in entry["stages"]] == their_stages
    assert entry["stage_count"] == len(their_stages)

    # base images with the global ARG defaults substituted ("" where an ARG has no default)
    assert [st["base_resolved"] or "" for st in entry["stages"]] == other.parent_images
    assert entry["multi_stage"] == other.is_multistage
    assert (entry["final_base"] or "") == (other.baseimage or "")


def test_heredoc_bodies_are_read_as_scripts_not_instructions() -> None:
    """What dockerfile-parse cannot do: the heredoc file's installs come from inside the heredocs."""
    entry = facts_of(HERE / "dockerfiles" / "cases" / "realistic" / "repo")["by_path"]["heredocs/Dockerfile"]
    installs = {(i["manager"], i["line"]) for i in entry["installs"]}
    assert installs == {("apt-get", 7), ("pip", 23)}
    assert all(i["cache_cleaned"] for i in entry["installs"])
    assert [i["instruction"] for i in entry["instructions"]].count("RUN") == 4


def test_broken_files_are_error_entries() -> None:
    section = facts_of(HERE / "dockerfiles" / "cases" / "realistic" / "repo")
    errors = {p: e["error"] for p, e in section["by_path"].items() if not e["parsed"]}
    assert set(errors) == {
        "broken/Containerfile",
        "broken/Dockerfile",
        "broken/Dockerfile.binary",
        "broken/Dockerfile.unterminated",
        "broken/notes.Dockerfile",
    }
    assert "ENV must have two arguments" in errors["broken/Dockerfile"]
    assert "unterminated heredoc" in errors["broken/Dockerfile.unterminated"]
    assert "no FROM instruction" in errors["broken/notes.Dockerfile"]
    assert "binary" in errors["broken/Dockerfile.binary"]
    assert section["error_count"] == 5
