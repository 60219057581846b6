"""Test-command detection (tool, kind, targets) on the command shapes CI files use, and robustness: random
and pathological scripts and YAML never crash the collector, and its output is deterministic."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from anops_policy.config import RepoConfig
from anops_policy.facts import section_errors
from anops_policy.pipeline.collect import collect_facts

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

# (script, tool, kinds, kind_source, targets) — tool None: not a test command
DETECTION = [
    ("pytest", "pytest", ["unit"], "default", ["."]),
    ("python3 -m pytest -k 'not slow' tests/unit", "pytest", ["unit"], "path", ["tests/unit"]),
    ("uv run --frozen pytest -m integration", "pytest", ["integration"], "args", ["."]),
    ("poetry run pytest tests/test_e2e.py::test_flow", "pytest", ["e2e"], "path", ["tests/test_e2e.py"]),
    ("coverage run -m pytest src", "pytest", ["unit"], "default", ["src"]),
    ("sudo -E env CI=1 xvfb-run -a pytest tests/gui", "pytest", ["unit"], "default", ["tests/gui"]),
    ("cd services/api && pytest tests", "pytest", ["unit"], "default", ["services/api/tests"]),
    ("tox -e py312-integration", "tox", ["integration"], "args", ["."]),
    ("nox -s tests-3.12", "nox", ["unit"], "default", ["."]),
    ("cargo test --lib", "cargo test", ["unit"], "args", ["."]),
    ("cargo +nightly test --test cli", "cargo test", ["integration"], "args", ["."]),
    ("cargo nextest run --workspace", "cargo nextest", ["integration", "unit"], "default", ["."]),
    ("cargo test --manifest-path ao-cli/Cargo.toml", "cargo test", ["integration", "unit"], "default", ["ao-cli"]),
    ("cargo llvm-cov nextest --lcov --output-path lcov.info", "cargo llvm-cov", ["integration", "unit"], "default",
     ["."]),
    ("cargo build --release", None, [], "", []),
    ("go test -tags=e2e ./e2e/...", "go test", ["e2e"], "args", ["e2e"]),
    ("timeout 600 go test -race ./...", "go test", ["unit"], "default", ["."]),
    ("gotestsum --junitfile report.xml -- ./pkg/...", "gotestsum", ["unit"], "default", ["pkg"]),
    ("npm test", "npm test", ["unit"], "default", ["."]),
    ("npm run test:integration", "npm test:integration", ["integration"], "args", ["."]),
    ("yarn test:e2e", "yarn test:e2e", ["e2e"], "args", ["."]),
    ("pnpm --dir web test", "pnpm test", ["unit"], "default", ["web"]),
    ("npm run build", None, [], "", []),
    ("npx playwright test", "playwright", ["e2e"], "tool", ["."]),
    ("npx cypress run --spec cypress/e2e/login.cy.ts", "cypress", ["e2e"], "args", ["."]),
    ("npx cypress run", "cypress", ["e2e"], "tool", ["."]),
    ("make test-integration", "make", ["integration"], "args", ["."]),
    ("make -C cli check", "make", ["unit"], "default", ["cli"]),
    ("make lint", None, [], "", []),
    ("./gradlew check", "gradle", ["unit"], "default", ["."]),
    ("mvn -B verify", "maven", ["unit"], "default", ["."]),
    ("mvn -B package -DskipTests", None, [], "", []),
    ("ctest --output-on-failure", "ctest", ["unit"], "default", ["."]),
    ("bundle exec rspec spec/models", "rspec", ["unit"], "default", ["spec/models"]),
    ("dotnet test", "dotnet", ["unit"], "default", ["."]),
    ("pytest --version", None, [], "", []),
    ("echo pytest", None, [], "", []),
    ("pip install pytest", None, [], "", []),
]


def collect(root: Path, config: RepoConfig | None = None) -> dict[str, Any]:
    doc = collect_facts(root, config or RepoConfig(), now=NOW, only=["ci"], use_git=False)
    assert doc["meta"]["collectors"]["ci"]["status"] == "ok", doc["meta"]["collectors"]["ci"]
    section: dict[str, Any] = doc["ci"]
    assert section_errors("ci", section) == []
    return section


def write_workflow(root: Path, scripts: list[str], name: str = "detect.yml") -> None:
    workflow = {
        "name": "Detect",
        "on": {"push": None},
        "jobs": {"checks": {"runs-on": "ubuntu-24.04",
                            "steps": [{"name": f"step {i}", "run": s} for i, s in enumerate(scripts)]}},
    }
    target = root / ".github" / "workflows"
    target.mkdir(parents=True, exist_ok=True)
    (target / name).write_text(yaml.safe_dump(workflow, sort_keys=False))


@pytest.fixture(scope="module")
def detected(tmp_path_factory: pytest.TempPathFactory) -> dict[int, list[dict[str, Any]]]:
    root = tmp_path_factory.mktemp("detect")
    write_workflow(root, [row[0] for row in DETECTION])
    by_step: dict[int, list[dict[str, Any]]] = {}
    for test in collect(root)["test_commands"]:
        by_step.setdefault(test["step_index"], []).append(test)
    return by_step


@pytest.mark.parametrize(("index", "row"), list(enumerate(DETECTION)), ids=[r[0][:40] for r in DETECTION])
def test_detection(detected: dict[int, list[dict[str, Any]]], index: int, row: tuple[Any, ...]) -> None:
    _script, tool, kinds, source, targets = row
    found = detected.get(index, [])
    if tool is None:
        assert found == []
        return
    [test] = found
    assert (test["tool"], test["kinds"], test["kind_source"], test["targets"]) == (tool, kinds, source, targets)
    assert test["masked"] is False


def test_config_e2e_paths_decide_the_kind(tmp_path: Path) -> None:
    write_workflow(tmp_path, ["pytest tests/system_flow.py", "pytest tests", "pytest"])
    config = RepoConfig(raw={"e2e": ["tests/system_flow.py"]})
    tests = collect(tmp_path, config)["test_commands"]
    assert [(t["targets"], t["kinds"], t["kind_source"]) for t in tests] == [
        (["tests/system_flow.py"], ["e2e", "unit"], "config"),
        (["tests"], ["e2e", "unit"], "config"),  # the directory holds the configured e2e file
        (["."], ["unit"], "default"),  # a bare run at the root says nothing about which suites it collects
    ]


def test_secrets_in_scripts_are_redacted(tmp_path: Path) -> None:
    write_workflow(tmp_path, [
        "API_TOKEN=s3cr3t-value-123 pytest tests",
        "git clone https://ci-bot:hunter2hunter2@git.example.com/x.git && pytest",
    ])
    section = collect(tmp_path)
    text = json.dumps(section)
    assert "s3cr3t-value-123" not in text and "hunter2hunter2" not in text
    assert "<redacted>" in text
    assert len(section["test_commands"]) == 2


# ---- robustness -------------------------------------------------------------------------------------

PIECES = ["pytest", "tests/", "||", "&&", "|", ";", "true", "exit 0", "set +e", "'", '"', "$(", ")", "`", "{", "}",
          "(", "<<EOF", "EOF", "\\\n", "\n", "${{ matrix.x || 'y' }}", "${X:-a|b}", "#", "if", "then", "fi", "case",
          "in", "esac", "for", "do", "done", "!", "&", "2>&1", ">>", "$GITHUB_STEP_SUMMARY", "cargo test", "make",
          "npm test", "cd", "..", "bash -c", "$?", "\t", "é", "\x00", "((", "))"]


def random_script(rng: random.Random) -> str:
    return " ".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40)))


def test_random_scripts_never_crash_and_are_deterministic(tmp_path: Path) -> None:
    rng = random.Random(20261126)
    scripts = [random_script(rng).replace("\x00", "") for _ in range(300)]
    write_workflow(tmp_path, scripts)
    gitlab = {f"job{i}": {"script": [s]} for i, s in enumerate(scripts[:100])}
    (tmp_path / ".gitlab-ci.yml").write_text(yaml.safe_dump(gitlab))
    first = collect(tmp_path)
    second = collect(tmp_path)
    assert first == second
    assert first["counts"]["run_steps"] == 400
    assert first["counts"]["errors"] == 0


def test_pathological_inputs_are_errors_or_facts(tmp_path: Path) -> None:
    pathological = [
        "pytest 'unterminated", 'pytest "unterminated', "pytest $(unclosed", "echo ${{ unclosed", "pytest \\",
        "cat <<EOF\nno end", "(" * 300 + "pytest" + ")" * 300, "pytest " + "x " * 20000, "`" * 7, "{ { { pytest",
        # deep trees: the grammar nests an and-or list one level per operator, `if` in `if` one per keyword
        "true && " * 3000 + "pytest", "a | " * 3000 + "pytest", "if true; then " * 400 + "pytest" + "; fi" * 400,
        "$(" * 300 + "pytest" + ")" * 300,
    ]
    write_workflow(tmp_path, pathological)
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
    (tmp_path / ".github" / "workflows" / "bomb.yml").write_text(bomb)
    (tmp_path / ".gitlab-ci.yml").write_text(
        ".loop:\n  script:\n    - !reference [.loop, script]\njob:\n  script:\n    - !reference [.loop, script]\n"
        "    - !reference [job, script]\n    - pytest\n")
    section = collect(tmp_path)
    assert [e["path"] for e in section["errors"]] == [".github/workflows/bomb.yml"]
    assert "alias" in section["errors"][0]["message"] or "expands" in section["errors"][0]["message"]
    job = next(j for j in section["jobs"] if j["system"] == "gitlab-ci")
    assert job["steps"][-1]["run"] == "pytest"
    assert any(t["job"] == "job" and t["command"] == "pytest" for t in section["test_commands"])


def test_lines_through_anchors_and_merge_keys(tmp_path: Path) -> None:
    """A script reached through `<<: *anchor` or an alias cites the line where its text is written."""
    (tmp_path / ".gitlab-ci.yml").write_text(
        ".tpl: &tpl\n"                         # line 1
        "  script:\n"
        "    - pip install .\n"
        "    - pytest tests\n"                 # line 4
        "merged:\n"
        "  <<: *tpl\n"
        "aliased:\n"
        "  script: &s [pytest tests/unit]\n"   # line 8
        "again:\n"
        "  script: *s\n"
    )
    section = collect(tmp_path)
    lines = {t["job"]: (t["path"], t["line"]) for t in section["test_commands"]}
    assert lines == {"merged": (".gitlab-ci.yml", 4), "aliased": (".gitlab-ci.yml", 8), "again": (".gitlab-ci.yml", 8)}
