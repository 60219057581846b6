"""The python, grpc and logging collectors share each Python file's parse through the run's memo (the
python collector leaves per-module summaries for the other two, and the grpc collector's summaries are
kept when it runs first), and the rust collector leaves each Rust test file's checks for the grpc
collector. Whatever the order, every section must be exactly the one the collector makes on its own, on
every case folder of these collectors."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cases import NOW, case_repo

from anops_policy.pipeline.collect import collect_facts

HERE = Path(__file__).parent
SHARING = ("python", "grpc", "logging", "rust")
CASES = sorted(p for name in SHARING for p in HERE.glob(f"{name}/cases/*") if p.is_dir())
ORDERS = {
    "python-first": ["python", "grpc", "rust", "logging"],
    "grpc-first": ["grpc", "rust", "python", "logging"],
    "rust-first": ["rust", "grpc", "python", "logging"],
}


@pytest.mark.parametrize("order", list(ORDERS))
@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.parent.name}/{c.name}" for c in CASES])
def test_sections_do_not_depend_on_what_ran_before(case: Path, order: str, tmp_path: Path) -> None:
    work, config = case_repo(case, tmp_path)
    together = collect_facts(work, config, now=NOW, only=ORDERS[order], use_git=False, jobs=1)
    for name in SHARING:
        alone = collect_facts(work, config, now=NOW, only=[name], use_git=False, jobs=1)
        assert together["meta"]["collectors"][name]["status"] == alone["meta"]["collectors"][name]["status"], name
        assert together.get(name) == alone.get(name), name
