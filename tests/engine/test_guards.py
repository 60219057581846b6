"""The run-time guard rails around cel-python, through the public CLI on a real collected tree."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACK_YAML = """\
id: guards
version: 1.0.0
title: Guard rail checks
sections: [Guards]
items:
  - {id: "g.1", title: every marker has an owner, section: Guards}
  - {id: "g.2", title: no marker repeats far away, section: Guards}
  - {id: "g.3", title: few markers, section: Guards}
"""

OWNERS = """\
id: owners
title: Every marker has an owner
checklist: "g.1"
severity: low
enforcement: soft
requires: [todos]
rule: facts.todos.items.all(t, t.owner != "")
message: "{facts.todos.counts.total} markers"
remediation: Add owners.
examples:
  - name: owned
    facts: {todos: {items: [{path: a, line: 1, tag: TODO, text: x, owner: me}], counts: {total: 1}}}
    expect: pass
  - name: unowned
    facts: {todos: {items: [{path: a, line: 1, tag: TODO, text: x, owner: ""}], counts: {total: 1}}}
    expect: fail
"""

QUADRATIC = """\
id: quadratic
title: A rule that loops far past its deadline
checklist: "g.2"
severity: low
enforcement: soft
requires: [todos]
rule: facts.todos.items.all(a, !facts.todos.items.exists(b, b.line == a.line + 1000000))
message: slow
remediation: Use by_path lookups.
examples:
  - {name: none, facts: {todos: {items: []}}, expect: pass}
"""

FEW = """\
id: few
title: Few markers
checklist: "g.3"
severity: low
enforcement: soft
requires: [todos]
rule: facts.todos.counts.total < 5
message: "{facts.todos.counts.total} markers"
remediation: Resolve them.
examples:
  - {name: none, facts: {todos: {counts: {total: 0}}}, expect: pass}
  - {name: many, facts: {todos: {counts: {total: 9}}}, expect: fail}
"""


def make_pack(root: Path, *policies: tuple[str, str]) -> Path:
    pack = root / "pack"
    pack.mkdir()
    (pack / "pack.yaml").write_text(PACK_YAML)
    for name, text in policies:
        (pack / f"{name}.yaml").write_text(text)
    return pack


def make_repo(root: Path, markers: int) -> Path:
    repo = root / "repo"
    repo.mkdir()
    lines = [f"# TODO item {i}" for i in range(markers)]
    (repo / "work.py").write_text("\n".join(lines) + "\n")
    return repo


# Runs the CLI and, at exit, records the process's own high-water RSS from /proc (VmHWM belongs to the
# address space created at exec, so unlike ru_maxrss it never includes the forking pytest worker).
WRAPPER = """
import atexit, sys
hwm_file = sys.argv.pop(1)
def record():
    with open("/proc/self/status") as status, open(hwm_file, "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
atexit.register(record)
from anops_policy.cli.main import main
main(sys.argv[1:])
"""


def run_eval(repo: Path, pack: Path, *extra: str) -> tuple[dict[str, object], int]:
    """Run `eval` in a subprocess; return its JSON report and its own peak RSS in bytes."""
    hwm = repo.parent / "hwm.txt"
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(hwm), "eval", str(repo), "--policies", str(pack), "--format", "json",
         "--now", "2026-11-26T12:00:00Z", "--no-decision-log", *extra],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout), int(hwm.read_text()) * 1024


def decisions_of(report: dict[str, object], policy: str) -> list[dict[str, object]]:
    return [d for d in report["decisions"] if d["policy"] == policy]  # type: ignore[index,union-attr]


def test_error_on_every_element_stays_bounded(tmp_path: Path) -> None:
    """An optional field absent from all 10,000 elements: outcome error, bounded memory (the unguarded
    engine needs gigabytes from 30 elements on)."""
    repo = make_repo(tmp_path, 10_000)
    pack = make_pack(tmp_path, ("owners", OWNERS), ("few", FEW))
    report, peak_bytes = run_eval(repo, pack, "--deadline", "60")
    [owners] = decisions_of(report, "owners")
    assert owners["outcome"] == "error"
    assert "owner" in str(owners["message"])
    assert len(str(owners["message"])) < 2000
    assert peak_bytes < 500 * 1024 * 1024
    [few] = decisions_of(report, "few")
    assert few["outcome"] == "fail"


def test_deadline_ends_one_policy_and_others_still_decide(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, 3_000)
    pack = make_pack(tmp_path, ("quadratic", QUADRATIC), ("few", FEW))
    report, _ = run_eval(repo, pack, "--deadline", "0.5")
    [slow] = decisions_of(report, "quadratic")
    assert slow["outcome"] == "error"
    assert "0.5 s deadline" in str(slow["message"])
    [few] = decisions_of(report, "few")
    assert few["outcome"] == "fail"
    assert report["exit_code"] == 1


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("facts.todos.items.all(t, t.text.startsWith(1))", "no such overload"),
        ("facts.todos.counts.total / 0 == 1", "divide by zero"),
        ("facts.todos.counts.total == 1.0", "no such overload"),
    ],
)
def test_runtime_errors_become_error_outcomes(tmp_path: Path, expression: str, fragment: str) -> None:
    policy = FEW.replace("rule: facts.todos.counts.total < 5", f"rule: {expression}")
    repo = make_repo(tmp_path, 3)
    pack = make_pack(tmp_path, ("few", policy))
    report, _ = run_eval(repo, pack)
    [decision] = decisions_of(report, "few")
    assert decision["outcome"] == "error"
    assert fragment in str(decision["message"]).lower()


def test_nothing_applied_is_not_green(tmp_path: Path) -> None:
    policy = FEW.replace("rule: facts.todos.counts.total < 5", 'applies_when: "false"\nrule: "true"')
    repo = make_repo(tmp_path, 0)
    pack = make_pack(tmp_path, ("few", textwrap.dedent(policy)))
    report, _ = run_eval(repo, pack)
    assert report["exit_code"] == 1
    assert any("nothing was checked" in n for n in report["notes"])  # type: ignore[union-attr]
