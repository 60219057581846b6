"""Freeze the ``ci`` and ``dockerfiles`` fact sections the shell-reading code produces, on every corpus:
the repository's case repositories (``tests/collectors/{ci,dockerfiles}/cases/*/repo``, the example before
and after ``examples/anops-ready.patch``) and the fetched projects that ship CI files or Dockerfiles
(``benchmarks/accuracy`` and this folder's ``fetch.py``).

    python benchmarks/shell_facts/freeze.py --python PYTHON --out DIR [--summary FILE]

Each repository's two sections are written to ``DIR/<corpus>/<name>.json`` by
``PYTHON -m anops_policy facts REPO --only ci --only dockerfiles --no-cache --now 2026-11-26T12:00:00Z``
(one child per repository; the children's CPU time is printed), so two interpreters (the old and the
new code installed) freeze the same corpus for ``compare.py``. ``--summary`` writes the counts and a
sha256 of each repository's sections: the record kept in the repository."""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ACCURACY = Path("/tmp/anops-accuracy/src")
FETCHED = Path("/tmp/anops-shell-facts/src")
NOW = "2026-11-26T12:00:00Z"
CI_MARKERS = (".github/workflows", ".gitlab-ci.yml", ".circleci", "Jenkinsfile", "azure-pipelines.yml")


def ships_shell(folder: Path) -> bool:
    if any((folder / m).exists() for m in CI_MARKERS):
        return True
    return any(p.is_file() for p in folder.rglob("*ockerfile*"))


def corpus(scratch: Path) -> dict[str, list[tuple[str, Path, Path | None]]]:
    """``{corpus: [(name, repository, config or None)]}``."""
    cases = []
    for collector in ("ci", "dockerfiles"):
        for case in sorted((ROOT / "tests" / "collectors" / collector / "cases").iterdir()):
            if (case / "repo").is_dir():
                config = case / "config.yaml"
                cases.append((f"{collector}-{case.name}", case / "repo", config if config.is_file() else None))
    ready = scratch / "anops-ready"
    subprocess.run(["sh", str(ROOT / "examples" / "make-ready-patch.sh"), "apply", str(ready)], check=True,
                   capture_output=True)
    cases.append(("example-before", ROOT / "examples" / "anops", None))
    cases.append(("example-ready", ready, None))
    out: dict[str, list[tuple[str, Path, Path | None]]] = {"cases": cases}
    for label, base in (("accuracy", ACCURACY), ("fetched", FETCHED)):
        if not base.is_dir():
            print(f"{base}: missing (run its fetch.py first)", file=sys.stderr)
            continue
        out[label] = [(p.name, p, None) for p in sorted(base.iterdir()) if p.is_dir() and ships_shell(p)]
    return out


def sections(python: str, repo: Path, config: Path | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        dest = Path(tmp) / "facts.json"
        cmd = [python, "-m", "anops_policy", "facts", str(repo), "--only", "ci", "--only", "dockerfiles",
               "--no-cache", "--now", NOW, "-o", str(dest)]
        if config is not None:
            cmd += ["--config", str(config)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if not dest.is_file():
            return {"error": done.stderr.strip()[-500:]}
        doc = json.loads(dest.read_text())
    status = {k: v["status"] for k, v in doc["meta"]["collectors"].items()}
    return {"status": status, "ci": doc.get("ci"), "dockerfiles": doc.get("dockerfiles")}


def summary(facts: dict[str, Any]) -> dict[str, Any]:
    ci = facts.get("ci") or {}
    docker = facts.get("dockerfiles") or {}
    installs = [i for d in (docker.get("by_path") or {}).values() for i in d.get("installs", [])]
    counts = ci.get("counts") or {}
    return {
        "sha256": hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest(),
        "workflows": counts.get("files", 0), "jobs": counts.get("jobs", 0), "steps": counts.get("steps", 0),
        "run_steps": counts.get("run_steps", 0), "test_commands": counts.get("test_commands", 0),
        "masked": counts.get("masked", 0), "dockerfiles": docker.get("count", 0), "installs": len(installs),
        "pipe_to_shell": sum(len(d.get("pipe_to_shell", [])) for d in (docker.get("by_path") or {}).values()),
        "problems": docker.get("problem_count", 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default=sys.executable, help="interpreter with the code under test installed")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--summary", type=Path)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="shell-facts-"))
    record: dict[str, dict[str, Any]] = {}
    try:
        for label, repos in corpus(scratch).items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            for name, repo, config in repos:
                facts = sections(args.python, repo, config)
                dest = args.out / label / f"{name}.json"
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_text(json.dumps(facts, indent=1, sort_keys=True) + "\n")
                record.setdefault(label, {})[name] = summary(facts)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            print(f"{label}: {len(repos)} repositories, children CPU {cpu:.2f} s", file=sys.stderr)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if args.summary is not None:
        totals = {label: {k: sum(r[k] for r in repos.values()) for k in next(iter(repos.values())) if k != "sha256"}
                  for label, repos in record.items() if repos}
        args.summary.write_text(json.dumps({"totals": totals, "repositories": record}, indent=1, sort_keys=True)
                                + "\n")


if __name__ == "__main__":
    main()
