"""``anops-policy test --mutate`` on small packs: each case folder holds policy files, ``args.txt`` (the
command line before the case folder), ``exit_code`` and ``expected.txt``, the report with the run's time
removed. Regenerate with ``pytest tests/authoring/test_mutation_cases.py --update-goldens`` and review the diff."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from anops_policy.cli.main import cli

CASES = sorted(p for p in (Path(__file__).parent / "mutation_cases").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_mutation_report(case: Path, update_goldens: bool) -> None:
    args = (case / "args.txt").read_text().split()
    result = CliRunner().invoke(cli, [*args, "--jobs", "1", str(case)])
    assert result.exit_code == int((case / "exit_code").read_text()), result.output
    text = re.sub(r" in \d+\.\d s$", " in N s", result.output, flags=re.MULTILINE).replace(f"{case}/", "")
    expected_file = case / "expected.txt"
    if update_goldens:
        expected_file.write_text(text)
    assert text == expected_file.read_text()
