"""The built-in packs' mutation scores, as recorded in docs/mutation-scores.json by
``anops-policy test --mutate policies/ -q --scores docs/mutation-scores.json``: the record was made by this
mutation engine (its source's digest), every policy file has a record measured on its current text (its
digest), and each pack scores at least 90% over its policies. Reading the record keeps this test fast;
regenerating it is the command above."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from anops_policy.evaluation.mutation_report import engine_digest

ROOT = Path(__file__).resolve().parents[2]
RECORD = json.loads((ROOT / "docs" / "mutation-scores.json").read_text(encoding="utf-8"))
SCORES = RECORD["policies"]
PACKS = sorted(p.parent.name for p in (ROOT / "policies").glob("*/pack.yaml"))
MIN_SCORE = 90.0


def test_the_scores_were_measured_by_this_mutation_engine() -> None:
    assert RECORD.get("engine") == engine_digest(), (
        "the mutation engine changed since the scores were recorded; run "
        "`anops-policy test --mutate policies/ -q --scores docs/mutation-scores.json`"
    )


@pytest.mark.parametrize("pack", PACKS)
def test_pack_scores_are_current_and_at_least_90(pack: str) -> None:
    files = sorted(p for p in (ROOT / "policies" / pack).glob("*.yaml") if p.name != "pack.yaml")
    killed = scored = 0
    for file in files:
        record = SCORES.get(file.stem)
        assert record is not None, f"{file.stem}: no mutation score recorded"
        digest = "sha256:" + hashlib.sha256(file.read_bytes()).hexdigest()
        assert record["digest"] == digest, (
            f"{file.stem}: its score was measured on an older version of the file; run "
            "`anops-policy test --mutate policies/ -q --scores docs/mutation-scores.json` and "
            "`python -m anops_policy.policy.index`"
        )
        killed += record["killed"]
        scored += record["scored"]
    assert scored > 0
    assert 100.0 * killed / scored >= MIN_SCORE, f"{pack}: {killed} of {scored} mutants killed"
