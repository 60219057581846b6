"""The text report through ``anops-policy eval`` on real trees: repository-derived strings cannot forge
lines or hide text (control, line-separator and bidi characters are escaped), and ``-q``/``-v``."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from anops_policy.cli.main import cli

NOW = "2026-11-26T12:00:00Z"
PACK_YAML = """\
id: text
version: 1.0.0
title: Text report checks
sections: [Checks]
items:
  - {id: "1", title: ok item, section: Checks}
  - {id: "2", title: bad item, section: Checks}
"""
OK = """\
id: ok
title: always fine
checklist: "1"
severity: low
enforcement: soft
requires: [todos]
rule: size(facts.todos.items) >= 0
message: fine
remediation: nothing
examples:
  - {name: a, facts: {todos: {items: []}}, expect: pass}
"""
BAD = """\
id: bad
title: no markers
checklist: "2"
severity: low
enforcement: soft
requires: [todos]
rule: facts.todos.items.all(x, x.line < 0)
message: "{facts.todos.items[0].path} has a marker"
remediation: remove them
examples:
  - {name: a, facts: {todos: {items: []}}, expect: pass}
"""
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")  # all but "\n"


def make(tmp_path: Path, name: str) -> tuple[Path, Path]:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / name).write_text("# TODO: x\n")
    (repo / f"bin{name}").write_bytes(b"\0\0# TODO: binary\n")  # skipped by the collector: listed with -v
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.yaml").write_text(PACK_YAML)
    (pack / "ok.yaml").write_text(OK)
    (pack / "bad.yaml").write_text(BAD)
    return repo, pack


def report(repo: Path, pack: Path, *flags: str) -> str:
    args = ["eval", str(repo), "--policies", str(pack), "--now", NOW, "--no-decision-log", *flags]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    return result.stdout


# (what, the characters inside a file name, how the report shows them)
ESCAPES = [
    ("forged line", "\n      ✓ forged: all good\n", "\\n      ✓ forged: all good\\n"),
    ("carriage return", "\r", "\\r"),
    ("tab", "\t", "\\t"),
    ("bell", "\x07", "\\x07"),
    ("terminal escape", "\x1b[2K\x1b[1A", "\\x1b[2K\\x1b[1A"),
    ("delete", "\x7f", "\\x7f"),
    ("C1 CSI", "\x9b", "\\x9b"),
    ("line separator", "\u2028", "\\u2028"),
    ("paragraph separator", "\u2029", "\\u2029"),
    ("right-to-left override", "\u202e", "\\u202e"),
    ("left-to-right embedding", "\u202a", "\\u202a"),
    ("isolates", "\u2066\u2069", "\\u2066\\u2069"),
]


@pytest.mark.parametrize(("chars", "shown"), [e[1:] for e in ESCAPES], ids=[e[0] for e in ESCAPES])
def test_repository_strings_are_escaped(tmp_path: Path, chars: str, shown: str) -> None:
    repo, pack = make(tmp_path, f"a{chars}b.py")
    out = report(repo, pack, "-v")
    assert UNSAFE.search(out) is None
    lines = out.splitlines()
    assert not any(line.lstrip().startswith("✓ forged") for line in lines)
    name = f"a{shown}b.py"
    assert f"          {name} has a marker" in lines  # the message
    assert f"          at: {name}:1" in lines  # the evidence
    assert any(line.startswith(f"            - {name}:1 ") for line in lines)  # a clause's failing element
    assert any(f"collector todos skipped bin{name}: binary file" in line for line in lines)  # a collector's skip
    # the default report escapes the same way
    assert f"          at: {name}:1" in report(repo, pack).splitlines()


# (flags, lines the report has, text it must not have)
VERBOSITY = [
    (
        ["-q"],
        ["Checks", "  ✗ 2 bad item", "      ✗ bad (soft, blocking)", "          a.py has a marker",
         "          at: a.py:1", ""],
        ["anops-policy ·", "ok item", "why:", "fix:", "passed", "collector"],
    ),
    (
        [],
        ["  ✓ 1 ok item", "      ✓ 1 passed", "  ✗ 2 bad item",
         "          why: facts.todos.items.all(x, x.line < 0)  →  1 of 1 elements fail", "          fix: remove them"],
        ["      ✓ ok"],
    ),
    (
        ["-v"],
        ["  ✓ 1 ok item", "      ✓ ok", "  ✗ 2 bad item", "          fix: remove them"],
        ["1 passed"],
    ),
]


@pytest.mark.parametrize(("flags", "present", "absent"), VERBOSITY, ids=["quiet", "default", "verbose"])
def test_verbosity(tmp_path: Path, flags: list[str], present: list[str], absent: list[str]) -> None:
    repo, pack = make(tmp_path, "a.py")
    out = report(repo, pack, *flags)
    lines = out.splitlines()
    for line in present:
        assert line in lines
    for text in absent:
        assert text not in out
    assert lines[-1] == report(repo, pack).splitlines()[-1]  # the summary line closes every report
    assert lines[-1].endswith("blocking failures")


def test_quiet_report_is_only_what_is_not_satisfied(tmp_path: Path) -> None:
    repo, pack = make(tmp_path, "a.py")
    quiet = report(repo, pack, "-q")
    summary = quiet.splitlines()[-1]
    assert quiet == textwrap.dedent(f"""\
        Checks
          ✗ 2 bad item
              ✗ bad (soft, blocking)
                  a.py has a marker
                  at: a.py:1

        {summary}
        """)
