"""The ``ci`` collector's job, step and run-step counts equal an independent reading of the same files.

The independent reading uses plain ``yaml.safe_load`` (plus a ``!reference`` constructor for GitLab) and
a few lines of GitLab semantics written here from GitLab's documentation: includes merged into the
including file, ``extends`` (list and multi-level), ``!reference`` after extends, ``default:``
before/after scripts unless ``inherit: default: false``, nested script lists flattened. None of the
collector's code is used for it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from anops_policy.config import RepoConfig, load_config
from anops_policy.pipeline.collect import collect_facts

CASES = Path(__file__).parent / "ci" / "cases"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
GITHUB_CASES = ["github-realistic", "masking-shapes"]


def ci_section(case: str) -> dict[str, Any]:
    config_file = CASES / case / "config.yaml"
    config = load_config(config_file) if config_file.is_file() else RepoConfig()
    doc = collect_facts(CASES / case / "repo", config, now=NOW, only=["ci"], use_git=False)
    section: dict[str, Any] = doc["ci"]
    return section


# ---- GitHub: one workflow or action file at a time --------------------------------------------------


def github_counts(path: Path) -> dict[str, int]:
    data = yaml.safe_load(path.read_text())
    if path.name.startswith("action."):
        steps = data["runs"].get("steps", []) if data["runs"]["using"] == "composite" else []
        return {"jobs": 0, "steps": len(steps), "run_steps": sum("run" in s for s in steps)}
    jobs = data["jobs"]
    steps = [s for job in jobs.values() for s in job.get("steps", [])]
    return {"jobs": len(jobs), "steps": len(steps), "run_steps": sum("run" in s for s in steps)}


@pytest.mark.parametrize("case", GITHUB_CASES)
def test_github_counts_match_plain_yaml(case: str) -> None:
    section = ci_section(case)
    repo = CASES / case / "repo"
    files = sorted(p for p in (repo / ".github").rglob("*.y*ml"))
    assert files
    expected_total = {"jobs": 0, "steps": 0, "run_steps": 0}
    for file in files:
        rel = file.relative_to(repo).as_posix()
        mine = github_counts(file)
        got = {k: section["by_path"][rel]["counts"][k] for k in mine}
        assert got == mine, rel
        for k in mine:
            expected_total[k] += mine[k]
    totals = section["counts_by_system"]["github-actions"]
    assert {k: totals[k] for k in expected_total} == expected_total


def test_github_realistic_is_not_trivial() -> None:
    """The fixture exercises what it claims: matrices, a reusable call, composite actions, many steps."""
    section = ci_section("github-realistic")
    kinds = {j["kind"] for j in section["jobs"]}
    assert {"job", "reusable-call"} <= kinds
    assert section["counts"]["composite_actions"] == 2
    assert any(j["matrix"] and j["matrix"]["size"] for j in section["jobs"])
    assert section["counts"]["steps"] >= 40


# ---- GitLab: the whole pipeline -------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!reference", lambda loader, node: ("!reference", tuple(loader.construct_sequence(node))))
RESERVED = {"default", "include", "stages", "variables", "workflow", "image", "services", "cache",
            "before_script", "after_script"}


def merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for k, v in b.items():
        out[k] = merge(out[k], v) if isinstance(out.get(k), dict) and isinstance(v, dict) else v
    return out


def gitlab_pipeline(repo: Path, rel: str = ".gitlab-ci.yml") -> dict[str, Any]:
    data = yaml.load((repo / rel).read_text(), Loader=_Loader) or {}  # a SafeLoader subclass
    merged: dict[str, Any] = {}
    include = data.pop("include", [])
    for item in include if isinstance(include, list) else [include]:
        local = item if isinstance(item, str) else item.get("local")
        if local and not local.startswith("http"):
            for file in sorted(repo.glob(local.lstrip("/"))):
                merged = merge(merged, gitlab_pipeline(repo, file.relative_to(repo).as_posix()))
    return merge(merged, data)


def gitlab_counts(repo: Path) -> dict[str, int]:
    pipeline = gitlab_pipeline(repo)

    def resolve(name: str) -> dict[str, Any]:
        job = pipeline[name]
        parents = job.get("extends", [])
        out: dict[str, Any] = {}
        for parent in [parents] if isinstance(parents, str) else parents:
            out = merge(out, resolve(parent))
        return merge(out, {k: v for k, v in job.items() if k != "extends"})

    def deref(value: Any) -> Any:
        if isinstance(value, tuple):
            target: Any = resolve(value[1][0]) if value[1][0] in pipeline else None
            for key in value[1][1:]:
                target = target.get(key) if isinstance(target, dict) else None
            return value if target is None else deref(target)
        if isinstance(value, list):
            return [deref(v) for v in value]
        return value

    def flat(value: Any) -> list[Any]:
        if value is None:
            return []
        return [x for v in value for x in flat(v)] if isinstance(value, list) else [value]

    default = pipeline.get("default", {})
    jobs = steps = 0
    for name, body in pipeline.items():
        if name in RESERVED or name.startswith(".") or not isinstance(body, dict):
            continue
        job = resolve(name)
        inherit = job.get("inherit", {}).get("default", True)
        if inherit is not False and "trigger" not in job:
            for key in ("before_script", "after_script"):
                if key not in job and key in default:
                    job[key] = default[key]
        jobs += 1
        steps += sum(len(flat(deref(job.get(key)))) for key in ("before_script", "script", "after_script"))
    return {"jobs": jobs, "steps": steps, "run_steps": steps}


def test_gitlab_counts_match_plain_yaml() -> None:
    section = ci_section("gitlab-realistic")
    expected = gitlab_counts(CASES / "gitlab-realistic" / "repo")
    totals = section["counts_by_system"]["gitlab-ci"]
    assert {k: totals[k] for k in expected} == expected
    assert expected["jobs"] >= 6 and expected["steps"] >= 15  # includes, extends, defaults all contribute


def test_gitlab_jobs_are_the_visible_ones() -> None:
    section = ci_section("gitlab-realistic")
    pipeline = gitlab_pipeline(CASES / "gitlab-realistic" / "repo")
    visible = sorted(k for k, v in pipeline.items() if k not in RESERVED and not k.startswith(".")
                     and isinstance(v, dict))
    assert sorted(j["id"] for j in section["jobs"] if j["system"] == "gitlab-ci") == visible


# ---- CircleCI and Azure Pipelines ------------------------------------------------------------------


def test_circleci_and_azure_counts_match_plain_yaml() -> None:
    section = ci_section("other-systems")
    repo = CASES / "other-systems" / "repo"
    circle = yaml.safe_load((repo / ".circleci/config.yml").read_text())
    steps = [s for job in circle["jobs"].values() for s in job["steps"]]
    expected = {"jobs": len(circle["jobs"]), "steps": len(steps),
                "run_steps": sum(isinstance(s, dict) and "run" in s for s in steps)}
    assert {k: section["by_path"][".circleci/config.yml"]["counts"][k] for k in expected} == expected
    azure = yaml.safe_load((repo / "azure-pipelines.yml").read_text())
    jobs = [j for stage in azure["stages"] for j in stage["jobs"]]
    steps = [s for j in jobs for s in j["steps"]]
    expected = {"jobs": len(jobs), "steps": len(steps),
                "run_steps": sum(any(k in s for k in ("script", "bash", "pwsh", "powershell")) for s in steps)}
    assert {k: section["by_path"]["azure-pipelines.yml"]["counts"][k] for k in expected} == expected
