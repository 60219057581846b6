"""One realistic GitHub Actions workflow per call, and the facts it was built to have.

Truth keys: ``masked_test`` (a step that runs tests cannot fail its job: ``continue-on-error: true`` on
the step or job, ``|| true``, ``set +e``), ``masked_other`` (the same on a non-test step, e.g. a linter,
which a test-masking check should leave alone), ``unpinned_action`` (some remote ``uses:`` is not pinned
to a full commit SHA), ``token_not_read_only`` (top-level ``permissions`` is ``write-all`` or absent, so the
token gets the repository's default), ``curl_pipe_shell``.
"""

from __future__ import annotations

import random
from typing import Any

ACTIONS = {
    "checkout": ("actions/checkout", "v5"),
    "python": ("actions/setup-python", "v6"),
    "node": ("actions/setup-node", "v5"),
    "go": ("actions/setup-go", "v6"),
    "cache": ("actions/cache", "v5"),
    "upload": ("actions/upload-artifact", "v6"),
    "buildx": ("docker/setup-buildx-action", "v4"),
    "login": ("docker/login-action", "v4"),
    "push": ("docker/build-push-action", "v7"),
}
TOOLCHAINS: dict[str, dict[str, Any]] = {
    "python": {"setup": "python", "with": {"python-version": "${{ matrix.version }}", "cache": "pip"},
               "versions": ['"3.10"', '"3.11"', '"3.12"'], "install": "pip install -r requirements-dev.txt",
               "tests": ["pytest -q", "python -m pytest tests/ --junitxml=reports/junit.xml", "tox -e py"]},
    "node": {"setup": "node", "with": {"node-version": "${{ matrix.version }}", "cache": "npm"},
             "versions": ["18", "20", "22"], "install": "npm ci", "tests": ["npm test", "npx jest --ci"]},
    "go": {"setup": "go", "with": {"go-version": "${{ matrix.version }}"}, "versions": ['"1.21"', '"1.22"'],
           "install": "go mod download", "tests": ["go test ./...", "go test -race -count=1 ./..."]},
    "rust": {"setup": None, "with": {}, "versions": ["stable", "beta"], "install": "cargo fetch --locked",
             "tests": ["cargo test --locked", "cargo test --workspace --all-features"]},
}
TRUTH_KEYS = ("masked_test", "masked_other", "unpinned_action", "token_not_read_only", "curl_pipe_shell")
LINTERS = ["ruff check .", "npx eslint .", "golangci-lint run", "cargo clippy -- -D warnings", "hadolint Dockerfile"]


def _uses(rng: random.Random, key: str, planted: dict[str, bool]) -> str:
    repo, tag = ACTIONS[key]
    mode = rng.choices(["tag", "sha", "branch"], weights=[60, 30, 10])[0]
    if mode == "sha":
        return f"{repo}@{rng.getrandbits(160):040x} # {tag}"
    planted["unpinned_action"] = True
    return f"{repo}@{tag if mode == 'tag' else 'main'}"


def _step_uses(rng: random.Random, key: str, planted: dict[str, bool], with_: dict[str, str], ind: str) -> list[str]:
    out = [f"{ind}- uses: {_uses(rng, key, planted)}"]
    if with_:
        out.append(f"{ind}  with:")
        out += [f"{ind}    {k}: {v}" for k, v in with_.items()]
    return out


def _test_job(rng: random.Random, lang: str, planted: dict[str, bool], mask: str | None) -> list[str]:
    tc = TOOLCHAINS[lang]
    ind = "      "
    out = ["  test:", "    name: Test (${{ matrix.os }}, ${{ matrix.version }})", "    runs-on: ${{ matrix.os }}"]
    if mask == "job":
        out.append("    continue-on-error: true")
    out += ["    timeout-minutes: 30", "    strategy:", f"      fail-fast: {rng.choice(['false', 'true'])}",
            "      matrix:", "        os: [ubuntu-latest" + (", macos-latest]" if rng.random() < 0.4 else "]"),
            f"        version: [{', '.join(rng.sample(tc['versions'], rng.randint(1, len(tc['versions']))))}]"]
    out += ["    steps:", *_step_uses(rng, "checkout", planted, {}, ind)]
    if tc["setup"]:
        out += _step_uses(rng, tc["setup"], planted, tc["with"], ind)
    else:
        out += [f"{ind}- run: rustup toolchain install ${{{{ matrix.version }}}} --profile minimal",
                f"{ind}- uses: {_uses(rng, 'cache', planted)}", f"{ind}  with:", f"{ind}    path: target",
                f"{ind}    key: cargo-${{{{ hashFiles('Cargo.lock') }}}}"]
    out += [f"{ind}- name: Install", f"{ind}  run: {tc['install']}"]
    test = rng.choice(tc["tests"])
    out.append(f"{ind}- name: Run tests")
    if mask == "step":
        out.append(f"{ind}  continue-on-error: true")
    if mask == "or-true":
        out.append(f"{ind}  run: {test} || true")
    elif mask == "set+e":
        out += [f"{ind}  run: |", f"{ind}    set +e", f"{ind}    {test}", f'{ind}    echo "tests exited $?"']
    else:
        out.append(f"{ind}  run: {test}")
    if rng.random() < 0.5:
        out += [f"{ind}- if: always()", f"{ind}  uses: {_uses(rng, 'upload', planted)}", f"{ind}  with:",
                f"{ind}    name: junit-${{{{ matrix.os }}}}-${{{{ matrix.version }}}}", f"{ind}    path: reports/"]
    return out


def _lint_job(rng: random.Random, planted: dict[str, bool]) -> list[str]:
    ind = "      "
    lint = rng.choice(LINTERS)
    masked = rng.random() < 0.25
    planted["masked_other"] = planted["masked_other"] or masked
    out = ["  lint:", "    runs-on: ubuntu-latest", "    steps:", *_step_uses(rng, "checkout", planted, {}, ind)]
    if rng.random() < 0.15:
        planted["curl_pipe_shell"] = True
        out += [f"{ind}- name: Install linters",
                f"{ind}  run: curl -sSfL https://raw.githubusercontent.com/example/install/main/install.sh | sh"]
    return [*out, f"{ind}- name: Lint", f"{ind}  run: {lint}" + (" || true" if masked else "")]


def _image_job(rng: random.Random, planted: dict[str, bool], needs: str | None) -> list[str]:
    ind = "      "
    out = ["  image:", "    runs-on: ubuntu-latest"]
    if needs:
        out.append(f"    needs: [{needs}]")
    out += ["    permissions:", "      contents: read", "      packages: write", "    steps:",
            *_step_uses(rng, "checkout", planted, {}, ind), *_step_uses(rng, "buildx", planted, {}, ind),
            *_step_uses(rng, "login", planted, {"registry": "ghcr.io", "username": "${{ github.actor }}",
                                                 "password": "${{ secrets.GITHUB_TOKEN }}"}, ind),
            *_step_uses(rng, "push", planted, {"context": ".", "push": "${{ github.ref == 'refs/heads/main' }}",
                                                "tags": "ghcr.io/${{ github.repository }}:${{ github.sha }}"}, ind)]
    return out


def _on(rng: random.Random) -> list[str]:
    out = ["on:", "  push:", "    branches: [main]", "  pull_request:"]
    if rng.random() < 0.3:
        out += ["    paths:", "      - 'src/**'", "      - '.github/workflows/**'"]
    if rng.random() < 0.3:
        out += ["  schedule:", f"    - cron: '{rng.randint(0, 59)} {rng.randint(0, 23)} * * 1-5'"]
    if rng.random() < 0.4:
        out.append("  workflow_dispatch:")
    return out


def _permissions(rng: random.Random, planted: dict[str, bool]) -> list[str]:
    mode = rng.choices(["read", "write-all", "none"], weights=[55, 10, 35])[0]
    planted["token_not_read_only"] = mode != "read"
    if mode == "write-all":
        return ["permissions: write-all", ""]
    return ["permissions:", "  contents: read", ""] if mode == "read" else []


def workflow(rng: random.Random, index: int, reusables: list[str]) -> tuple[str, dict[str, bool], str]:
    """The text, the truth planted in it, and a kind used in its file name."""
    planted = dict.fromkeys(TRUTH_KEYS, False)
    lang = rng.choice(list(TOOLCHAINS))
    kind = rng.choices(["ci", "deploy", "release"], weights=[70, 15, 15])[0]
    lines = [f"name: {kind.capitalize()} {index:03d} ({lang})", "", *_on(rng), "", *_permissions(rng, planted)]
    if rng.random() < 0.3:
        lines += ["concurrency:", "  group: ${{ github.workflow }}-${{ github.ref }}", "  cancel-in-progress: true", ""]
    if rng.random() < 0.3:
        lines += ["env:", "  FORCE_COLOR: \"1\"", ""]
    lines.append("jobs:")
    if kind == "deploy":
        lines += ["  tests:", f"    uses: ./.github/workflows/{rng.choice(reusables)}", "    with:",
                  f"      language: {lang}", "    secrets: inherit", "  deploy:", "    needs: [tests]",
                  f"    uses: platform/shared-workflows/.github/workflows/deploy.yml@{rng.choice(['v2', 'main'])}",
                  "    with:", f"      environment: {rng.choice(['staging', 'production'])}", "    secrets: inherit"]
        planted["unpinned_action"] = True  # the shared workflow is referenced by a tag or branch
        return "\n".join(lines) + "\n", planted, kind
    mask = rng.choices([None, "step", "job", "or-true", "set+e"], weights=[70, 10, 5, 10, 5])[0]
    planted["masked_test"] = mask is not None
    lines += _test_job(rng, lang, planted, mask)
    if rng.random() < 0.6:
        lines += _lint_job(rng, planted)
    if kind == "release" or rng.random() < 0.2:
        lines += _image_job(rng, planted, "test")
    return "\n".join(lines) + "\n", planted, kind


def reusable_workflow(rng: random.Random, index: int) -> tuple[str, dict[str, bool]]:
    """A ``workflow_call`` workflow every deploy workflow may call with ``language``."""
    planted = dict.fromkeys(TRUTH_KEYS, False)
    ind = "      "
    mask = rng.random() < 0.2
    planted["masked_test"] = mask
    planted["token_not_read_only"] = True  # no permissions block: the caller's token
    lines = [f"name: Reusable tests {index:02d}", "", "on:", "  workflow_call:", "    inputs:", "      language:",
             "        description: toolchain to test with", "        type: string", "        required: true", "",
             "jobs:", "  test:", "    runs-on: ubuntu-latest", "    steps:",
             *_step_uses(rng, "checkout", planted, {}, ind), f"{ind}- name: Run tests"]
    if mask:
        lines.append(f"{ind}  continue-on-error: true")
    lines += [f"{ind}  run: make test LANGUAGE=${{{{ inputs.language }}}}"]
    return "\n".join(lines) + "\n", planted
