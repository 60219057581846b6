"""One change per checklist section in a copy of the "before" example flips exactly the decision that
judges it: every other decision keeps its outcome (messages and lines may move, outcomes may not)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from pack_helpers import Evaluation, copy_example, edit, evaluate

from anops_policy.cli.main import cli

Key = tuple[str, str | None]


def teardown_e2e_processes(repo: Path) -> None:
    """1. Test coverage: the e2e fixture yields and stops the two services it starts."""
    e2e = repo / "tests" / "test_e2e.py"
    edit(
        e2e,
        '    subprocess.Popen([sys.executable, "server.py"]',
        '    model = subprocess.Popen([sys.executable, "server.py"]',
    )
    edit(
        e2e, '    subprocess.Popen([sys.executable, "app.py"]', '    api = subprocess.Popen([sys.executable, "app.py"]'
    )
    edit(
        e2e,
        '    return f"http://127.0.0.1:{API_PORT}"\n',
        '    yield f"http://127.0.0.1:{API_PORT}"\n'
        "    for process in (api, model):\n"
        "        process.terminate()\n"
        "        process.wait(timeout=10)\n",
    )


def no_install_recommends(repo: Path) -> None:
    """2. Coding best practices: `apt-get install --no-install-recommends` in both Dockerfiles."""
    for service in ("api-service", "model-service"):
        edit(repo / service / "Dockerfile", "apt-get install -y ", "apt-get install -y --no-install-recommends ")


def readme_onboarding(repo: Path) -> None:
    """3. Project organisation: the README says how to run the tests and what to expect."""
    edit(
        repo / "README.md",
        "\n## Project status\n",
        (
            "\n## Running the tests\n\n"
            "```sh\n"
            "cargo test --manifest-path ao-cli/Cargo.toml\n"
            "pytest api-service/tests\n"
            "pytest model-service/tests\n"
            "pytest tests/test_e2e.py\n"
            "```\n\n"
            "What to expect: every suite ends with all tests passed in under a minute; the end-to-end tests\n"
            "start both services on local ports first.\n"
            "\n## Project status\n"
        ),
    )


def unmask_e2e_step(repo: Path) -> None:
    """4. Automation: the e2e step can fail its job (no continue-on-error, no `|| true`)."""
    ci = repo / ".github" / "workflows" / "ci.yml"
    edit(ci, "        continue-on-error: true\n", "")
    edit(ci, "run: pytest tests/test_e2e.py || true", "run: pytest tests/test_e2e.py")


def resolve_build_rs_markers(repo: Path) -> None:
    """5. Outstanding TODOs: the TODO (and the FIXME) in ao-cli/src/build.rs are resolved."""
    build = repo / "ao-cli" / "src" / "build.rs"
    edit(build, "// TODO: implement tests for build logic\n", "")
    edit(build, "* FIXME: docker's progress output", "* Note: docker's progress output")


CHANGES: list[tuple[str, Callable[[Path], None], dict[Key, tuple[str, str]]]] = [
    ("1-e2e-teardown", teardown_e2e_processes, {("e2e-tests-tear-down", "tests/test_e2e.py"): ("fail", "pass")}),
    (
        "2-no-install-recommends",
        no_install_recommends,
        {("dockerfiles-install-nothing-unnecessary", "apt-install-recommends"): ("fail", "pass")},
    ),
    ("3-readme-onboarding", readme_onboarding, {("readme-has-developer-onboarding", None): ("fail", "pass")}),
    ("4-unmask-e2e-step", unmask_e2e_step, {("ci-does-not-mask-test-failures", None): ("fail", "pass")}),
    (
        "5-build-rs-markers",
        resolve_build_rs_markers,
        {("no-todos-in-release-files", "ao-cli/src/build.rs"): ("fail", "pass")},
    ),
]


def flips(before: Evaluation, after: Evaluation) -> dict[Key, tuple[str, str]]:
    old, new = before.outcomes(), after.outcomes()
    assert old.keys() == new.keys(), "a change must not add or remove decisions"
    return {key: (old[key], new[key]) for key in old if old[key] != new[key]}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Evaluation:
    return evaluate(copy_example(tmp_path_factory.mktemp("baseline") / "anops"))


@pytest.mark.parametrize(("change", "expected"), [(c[1], c[2]) for c in CHANGES], ids=[c[0] for c in CHANGES])
def test_one_change_flips_one_decision(
    change: Callable[[Path], None], expected: dict[Key, tuple[str, str]], baseline: Evaluation, tmp_path: Path
) -> None:
    repo = copy_example(tmp_path / "anops")
    change(repo)
    after = evaluate(repo)
    assert flips(baseline, after) == expected
    assert after.exit_code == 1  # everything else still fails


def test_sign_off_flips_only_the_sign_off(tmp_path: Path) -> None:
    """6. Sign-off: an engineer signs off the before state (recorded as an override: it has blocking
    failures); only 6.1 changes."""
    repo = copy_example(tmp_path / "anops")
    before = evaluate(repo, log=True)
    decision = re.search(r"\bdecision (d-[0-9a-f]+)", before.text)
    assert decision, before.text
    signed = CliRunner().invoke(
        cli,
        [
            "signoff",
            str(repo),
            "--decision",
            decision.group(1),
            "--as",
            "jane@example.com",
            "--override",
            "--reason",
            "demo of the sign-off flow",
        ],
        catch_exceptions=False,
    )
    assert signed.exit_code == 0, signed.output
    after = evaluate(repo, log=True)
    assert flips(before, after) == {("engineer-signed-off", None): ("fail", "pass")}
    assert after.summary.startswith("1 of 17 applicable checklist items satisfied")
