"""Hostile or malformed inputs end in a located message and the right exit code, never a traceback.
One table of cases: each writes files into a temporary folder and runs one command."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

NOW = "2026-11-26T12:00:00Z"

POLICY = """\
id: few
title: Few markers
checklist: "c.1"
severity: low
enforcement: {enforcement}
requires: [todos]
params:
  limit: {{type: {ptype}, default: {default}}}
rule: {rule}
message: "{{facts.todos.counts.total}} markers"
remediation: Resolve them.
examples:
  - {{name: none, facts: {{todos: {{counts: {{total: 0}}, items: []}}}}, expect: pass}}
  - {{name: many, facts: {{todos: {{counts: {{total: 9}}, items: []}}}}, expect: fail}}
"""
PACK = 'id: {id}\nversion: 1.0.0\ntitle: t\nsections: [S]\nitems:\n  - {{id: "c.1", title: few markers, section: S}}\n'


def anops(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "anops_policy", *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def pack(root: Path, name: str = "pack", pack_id: str = "tiny", **fields: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "pack.yaml").write_text(PACK.format(id=pack_id))
    values = {
        "enforcement": "soft",
        "ptype": "integer",
        "default": "5",
        "rule": "facts.todos.counts.total < params.limit",
    }
    values.update(fields)
    (folder / "few.yaml").write_text(POLICY.format(**values))
    return folder


def facts(root: Path) -> Path:
    repo = root / "repo"
    repo.mkdir()
    (repo / "a.py").write_text("# TODO one\n# TODO two\n")
    out = root / "facts.json"
    done = anops(root, "facts", str(repo), "--now", NOW, "-o", str(out))
    assert done.returncode == 0, done.stderr
    return out


def edit_facts(root: Path, change: Callable[[dict[str, object]], None]) -> Path:
    path = facts(root)
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))
    return path


def case_int_key_in_config(root: Path) -> list[str]:
    (root / "cfg.yaml").write_text("packs: [builtin:production-readiness]\n1: x\n")
    return ["eval", "--facts", str(facts(root)), "--config", "cfg.yaml", "--no-decision-log"]


def case_bad_phase_date(root: Path) -> list[str]:
    pack(root, enforcement='[{level: advisory, until: "2027-13-45"}, {level: hard}]')
    return ["check", "pack"]


def case_tampered_facts(root: Path) -> list[str]:
    path = edit_facts(root, lambda d: d["todos"]["counts"].update(total=0))  # type: ignore[index]
    return ["eval", "--facts", str(path), "--policies", str(pack(root)), "--no-decision-log"]


def case_bad_now_in_facts(root: Path) -> list[str]:
    path = edit_facts(root, lambda d: d["meta"].update(now="yesterday"))  # type: ignore[attr-defined]
    return ["eval", "--facts", str(path), "--policies", str(pack(root)), "--no-decision-log"]


def case_deeply_nested_json(root: Path) -> list[str]:
    (root / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    return ["eval", "--facts", "deep.json", "--policies", str(pack(root)), "--no-decision-log"]


def case_huge_param_override(root: Path) -> list[str]:
    (root / "cfg.yaml").write_text("params:\n  few: {limit: 99999999999999999999}\n")
    return [
        "eval",
        "--facts",
        str(facts(root)),
        "--config",
        "cfg.yaml",
        "--policies",
        str(pack(root)),
        "--no-decision-log",
    ]


def case_same_pack_id_twice(root: Path) -> list[str]:
    pack(root / "a")
    pack(root / "b")
    return ["eval", "--facts", str(facts(root)), "--policies", "a/pack", "--policies", "b/pack", "--no-decision-log"]


CASES: dict[str, tuple[Callable[[Path], list[str]], int, str]] = {
    "int key in config": (case_int_key_in_config, 2, "cfg.yaml:2:1: unknown field '1'"),
    "phase date that is no date": (case_bad_phase_date, 2, "few.yaml:5:"),
    "fact document edited after collection": (case_tampered_facts, 2, "does not match its content"),
    "meta.now not a timestamp": (case_bad_now_in_facts, 2, "meta.now 'yesterday' is not an ISO timestamp"),
    "JSON nested 100,000 deep": (case_deeply_nested_json, 2, "nested too deeply"),
    "integer parameter beyond 64 bits": (case_huge_param_override, 2, "outside the 64-bit integer range"),
    "two packs with one id": (case_same_pack_id_twice, 2, "pack id 'tiny' is used by both"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input(name: str, tmp_path: Path) -> None:
    build, code, fragment = CASES[name]
    done = anops(tmp_path, *build(tmp_path))
    assert done.returncode == code, (done.stdout[-2000:], done.stderr)
    assert fragment in done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_number_params_written_as_integers_stay_doubles(tmp_path: Path) -> None:
    """`limit: 3` in the config for a `number` parameter must compare with doubles (CEL never mixes)."""
    folder = pack(tmp_path, ptype="number", default="2.5", rule="double(facts.todos.counts.total) < params.limit")
    (tmp_path / "cfg.yaml").write_text("params:\n  few: {limit: 3}\n")
    done = anops(
        tmp_path,
        "eval",
        "--facts",
        str(facts(tmp_path)),
        "--config",
        "cfg.yaml",
        "--policies",
        str(folder),
        "--format",
        "json",
        "--no-decision-log",
    )
    [decision] = json.loads(done.stdout)["decisions"]
    assert decision["outcome"] == "pass", decision


def test_an_integer_json_cannot_carry_fails_only_its_collector(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(
        "on: push\njobs:\n  t:\n    runs-on: x\n    timeout-minutes: 9007199254740993\n"
        "    steps:\n      - run: pytest\n"
    )
    (repo / "a.py").write_text("# TODO x\n")
    done = anops(tmp_path, "facts", str(repo), "--now", NOW)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["meta"]["collectors"]["ci"]["status"] == "error"
    assert "beyond ±2^53" in document["meta"]["collectors"]["ci"]["error"]
    assert document["todos"]["counts"]["total"] == 1


def test_phases_switch_on_the_utc_date(tmp_path: Path) -> None:
    folder = pack(tmp_path, enforcement="[{level: advisory, until: 2027-01-15}, {level: hard}]", default="1")
    document = facts(tmp_path)
    levels = {}
    for now in ("2027-01-14T23:00:00-05:00", "2027-01-14T23:00:00+00:00"):
        done = anops(
            tmp_path,
            "eval",
            "--facts",
            str(document),
            "--policies",
            str(folder),
            "--now",
            now,
            "--format",
            "json",
            "--no-decision-log",
        )
        levels[now] = json.loads(done.stdout)["decisions"][0]["enforcement"]
    assert levels == {"2027-01-14T23:00:00-05:00": "hard", "2027-01-14T23:00:00+00:00": "advisory"}
