"""``anops-policy check`` on broken policies: each case folder holds policy files and ``expected.txt``,
the exact problem lines (``file:line:column: message``) the check must print, in any order.
Regenerate with ``pytest tests/engine/test_check_cases.py --update-goldens`` and review the diff."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from anops_policy.cli.main import cli

CASES = sorted(p for p in (Path(__file__).parent / "check_cases").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_check_reports_located_problem(case: Path, update_goldens: bool) -> None:
    result = CliRunner().invoke(cli, ["check", str(case)])
    assert result.exit_code == 2, result.output
    prefix = f"{case}/"
    lines = sorted(
        line.removeprefix("error: ").removeprefix("load policy ").removeprefix("load patterns ").removeprefix(prefix)
        for line in result.output.splitlines()
        if line.strip()
    )
    expected_file = case / "expected.txt"
    if update_goldens:
        expected_file.write_text("\n".join(lines) + "\n")
    assert lines == sorted(expected_file.read_text().splitlines())
