"""Differential check of the shell reading, one script at a time: generated scripts (seeded) built from the
shapes CI steps and ``RUN`` instructions use (test commands, installs, ``&&``/``||``/``;``/``|``, groups,
subshells, substitutions, ``sh -c``, ``set``, conditions and loops, GitHub expressions, quoting,
continuations), each read by the CI analysis (test commands and their masking reasons) and by the
Dockerfile RUN analysis (installs, cleanup, piped installers, inline assignments).

    OLD_PYTHON benchmarks/shell_facts/differential.py emit OLD.jsonl [--count N]
    NEW_PYTHON benchmarks/shell_facts/differential.py emit NEW.jsonl [--count N]
    python benchmarks/shell_facts/differential.py compare OLD.jsonl NEW.jsonl

Run ``emit`` with the interpreter of each installation (old and new code) and ``compare`` the two files."""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

SEED = 21
COMMANDS = [
    "pytest tests", "python -m pytest -x tests/unit", "npm test", "cargo test --all", "go test ./...", "echo ok",
    "true", "false", "exit 0", "exit 1", "set +e", "set -e", "set -o pipefail", "set -eo pipefail", "cd sub",
    "make test", "tox -e py", 'pytest "tests/a b"', "pytest ${{ matrix.path }}", 'echo "${{ inputs.x || 1 }}"',
    "FOO=1 pytest", "echo $(pytest -q)", "x=$(cargo test)", "echo `npm test`", "sh -c 'pytest || true'",
    'bash -e -c "go test ./... | tee out.txt"', "apt-get update", "pytest 2>&1", "pytest > report.txt",
    "apt-get install -y --no-install-recommends curl=7.88 git", "pip install --no-cache-dir flask==2.0 'requests>=2'",
    "apk add --no-cache --virtual .deps gcc", "rm -rf /var/lib/apt/lists/*", "curl -fsSL https://x.sh | sh",
    "wget -qO- https://y.sh | bash -", "npm ci", "yum install -y httpd-2.4", "yum clean all", "apk del .deps",
    "sudo -E pip install -r requirements.txt", "python3 -m pip install . 'pkg[extra]==1.0'", "echo $?",
    "rc=$?", "pytest || exit 1", "pytest | tee log.txt", "go test -v ./... 2>&1 | go-junit-report > r.xml",
    "pushd sub", "popd", "export TOKEN=abc123", "PASSWORD=hunter2 ./deploy.sh", "npm install -g yarn@1.22.19",
    "pip install -e .[test]", "cat requirements.txt | xargs pip install", "./scripts/test.sh", "bash ci/run.sh",
    "npm run test:unit", "yarn test", "pnpm -C web test", "echo 'a && b' | grep a", 'echo "x || y"',
    "pytest -k 'not slow'", "test -f x && pytest", "[ -d tests ] || exit 0", "[[ -n $CI ]] && npm test",
    "diff <(sort a) b", "tee -a $GITHUB_STEP_SUMMARY < summary.md", "echo done >> $GITHUB_STEP_SUMMARY",
    "dnf install -y --setopt=install_weak_deps=False python3-3.11", "pip cache purge", "npm cache clean --force",
]
OPS = [" && ", " || ", "; ", " | ", "\n", " && \\\n  ", " &\n"]
WRAPPERS = [
    "{}", "{}", "{}", "{}", "( {} )", "{{ {}; }}", "if {}; then {}; fi", "if ! {}; then {}; else {}; fi",
    "while {}; do {}; done", "for x in 1 2; do {}; done", "case $x in a) {};; *) {};; esac",
    "f() {{ {}; }}\nf", "! {}",
]


def scripts(count: int) -> list[str]:
    rng = random.Random(SEED)
    out = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 5)):
            wrapper = rng.choice(WRAPPERS if not parts or parts[-1] != " | " else WRAPPERS[:-1])
            holes = wrapper.count("{}")
            parts.append(wrapper.format(*(rng.choice(COMMANDS) for _ in range(holes))))
            parts.append(rng.choice(OPS))
        out.append("".join(parts[:-1]))
    return out


def emit(path: str, count: int) -> None:
    from anops_policy.collectors.ci.analysis import analyze  # noqa: PLC0415
    from anops_policy.collectors.ci.shell_modes import Mode  # noqa: PLC0415
    from anops_policy.collectors.docker.shell import RunAnalyzer  # noqa: PLC0415

    modes = [Mode(True, False, "bash -e"), Mode(False, False, "sh"), Mode(True, True, "bash -eo pipefail")]
    with Path(path).open("w") as out:
        for index, text in enumerate(scripts(count)):
            mode = modes[index % len(modes)]
            report = analyze([(text, 1, True)], mode)
            ci = [(f.line, f.text, [(r.text, r.line) for r in f.reasons], f.report_path) for f in report.found]
            facts = RunAnalyzer(1).analyse(text)
            docker = {
                "installs": [(i.manager, [(p.name, p.version, p.pinned) for p in i.packages], i.requirements,
                              i.local_sources, i.options, i.no_cache, i.virtual) for i in facts.installs],
                "removed": sorted(facts.removed), "cleanup": sorted(facts.cleanup),
                "pipe": [t for _, t in facts.pipe_to_shell], "env": sorted(facts.inline_env.items()),
            }
            out.write(json.dumps({"script": text, "ci": ci, "docker": docker}) + "\n")


def compare(old_path: str, new_path: str) -> None:
    old = [json.loads(line) for line in Path(old_path).read_text().splitlines()]
    new = [json.loads(line) for line in Path(new_path).read_text().splitlines()]
    kinds: Counter[str] = Counter()
    shown = 0
    for a, b in zip(old, new, strict=True):
        for part in ("ci", "docker"):
            if a[part] != b[part]:
                kinds[part] += 1
                if shown < 30:
                    shown += 1
                    print(f"--- {part}: {a['script']!r}")
                    print(f"  old {json.dumps(a[part])[:600]}\n  new {json.dumps(b[part])[:600]}")
    print(f"{len(old)} scripts; differing: ci {kinds['ci']}, docker {kinds['docker']}")


def main() -> None:
    args: list[Any] = sys.argv[1:]
    if args[0] == "emit":
        emit(args[1], int(args[3]) if len(args) > 3 else 3000)
    else:
        compare(args[1], args[2])


if __name__ == "__main__":
    main()
