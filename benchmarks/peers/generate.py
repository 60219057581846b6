"""Generate a folder of realistic Dockerfiles and GitHub Actions workflows, deterministically.

Benchmark 3 runs anops-policy, checkov and hadolint over the same files. The files vary the way real
ones do (single and multi-stage builds, Debian/Alpine/distroless bases pinned by digest, by tag or not at
all, USER or not, HEALTHCHECK or not, caches cleaned or kept, secrets in ENV; workflows with matrices,
reusable workflows, masked test steps, actions pinned to a SHA, a tag or a branch), and the generator
records what it planted in ``.bench/truth.json`` so the benchmark can say who finds what.

    python benchmarks/peers/generate.py /tmp/peers --dockerfiles 200 --workflows 200 --seed 3

The folder becomes a git repository (one commit with a fixed author and date), as a CI checkout is.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

from dockerfiles_gen import dockerfile
from workflows_gen import reusable_workflow, workflow


def generate(root: Path, dockerfiles: int, workflows: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    truth: dict[str, Any] = {"seed": seed, "dockerfiles": {}, "workflows": {}}
    for i in range(dockerfiles):
        folder = f"services/svc-{i:03d}"
        name = rng.choice(["Dockerfile"] * 6 + ["Dockerfile.prod", "Containerfile"])
        text, planted, dockerignore = dockerfile(rng, i)
        _write(root / folder / name, text)
        if dockerignore:
            _write(root / folder / ".dockerignore", ".git\n**/__pycache__\ntests/\n*.md\n.env\n")
        truth["dockerfiles"][f"{folder}/{name}"] = planted
    reusable = max(1, workflows // 20)
    reusable_names = [f"reusable-{i:02d}.yml" for i in range(reusable)]
    for i, name in enumerate(reusable_names):
        text, planted = reusable_workflow(rng, i)
        _write(root / ".github/workflows" / name, text)
        truth["workflows"][f".github/workflows/{name}"] = planted
    for i in range(workflows - reusable):
        text, planted, kind = workflow(rng, i, reusable_names)
        path = f".github/workflows/{kind}-{i:03d}.yml"
        _write(root / path, text)
        truth["workflows"][path] = planted
    _write(root / ".bench/truth.json", json.dumps(truth, indent=1, sort_keys=True) + "\n")
    _git(root)
    return truth


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _git(root: Path) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.invalid",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.invalid",
        "GIT_AUTHOR_DATE": "2026-11-01T00:00:00Z",
        "GIT_COMMITTER_DATE": "2026-11-01T00:00:00Z",
    }
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "Generated services"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True)


def validate(root: Path, truth: dict[str, Any]) -> list[str]:
    """Problems found by the reference parsers: BuildKit's parser for the Dockerfiles, actionlint (with its
    shellcheck pass on the run: scripts, when shellcheck is installed) for the workflows."""
    import dockerfile as buildkit  # noqa: PLC0415 (only needed when validating)

    problems: list[str] = []
    for rel in truth["dockerfiles"]:
        try:
            buildkit.parse_file(str(root / rel))
        except buildkit.GoParseError as exc:
            problems.append(f"{rel}: {exc}")
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        problems.append("actionlint not found: pip install -e '.[test]'")
        return problems
    done = subprocess.run(
        [actionlint, "-pyflakes=", "-oneline"], cwd=root, capture_output=True, text=True, check=False
    )
    problems.extend(line for line in done.stdout.splitlines() if line.strip())
    if done.returncode not in (0, 1):
        problems.append(f"actionlint exited {done.returncode}: {done.stderr.strip()}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", type=Path, help="output folder (replaced)")
    parser.add_argument("--dockerfiles", type=int, default=200)
    parser.add_argument("--workflows", type=int, default=200)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--no-validate", action="store_true", help="skip the BuildKit parser and actionlint")
    args = parser.parse_args()
    truth = generate(args.dir, args.dockerfiles, args.workflows, args.seed)
    print(f"wrote {len(truth['dockerfiles'])} Dockerfiles and {len(truth['workflows'])} workflows to {args.dir}")
    if not args.no_validate:
        problems = validate(args.dir, truth)
        for problem in problems:
            print(f"invalid: {problem}")
        if problems:
            return 1
        print("valid: BuildKit's parser reads every Dockerfile, actionlint accepts every workflow")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
