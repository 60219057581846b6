"""The README's policy index is generated from the policy files: it is current, lists every built-in
policy, and regenerating it only ever rewrites the text between its two markers."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from pack_helpers import ROOT

from anops_policy.policy import index as policy_index
from anops_policy.policy.packs import load_pack

README = ROOT / "README.md"


def test_readme_index_is_current() -> None:
    assert policy_index.main(["--check", "--readme", str(README)]) == 0, (
        "README.md's policy index is stale: run `python -m anops_policy.policy.index`"
    )


def test_index_lists_every_policy_file_with_its_metadata() -> None:
    packs = policy_index.builtin_packs()
    block = policy_index.render(packs)
    assert block.startswith(policy_index.BANNER)
    on_disk = sorted(p.name for p in (ROOT / "policies").iterdir() if (p / "pack.yaml").is_file())
    assert sorted(p.id for p in packs) == on_disk
    rows = [line for line in block.splitlines() if line.startswith("| [`")]
    ids = sorted(p.stem for p in (ROOT / "policies").glob("*/*.yaml") if p.stem != "pack")
    for row in rows:  # every link points at the policy's file
        link = row.split("](", 1)[1].split(")", 1)[0]
        assert (ROOT / link).is_file(), link
    assert sorted(row.split("`")[1] for row in rows) == ids
    no_todos = next(row for row in rows if "`no-todos-in-release-files`" in row)
    assert no_todos.endswith(
        "| 5.1 Release-critical files carry no TODO/FIXME markers | 5. Outstanding TODOs in Code | high | soft | — |"
    )
    signoff = next(row for row in rows if "`engineer-signed-off`" in row)
    assert signoff.endswith("| medium | advisory | — |")
    # checklist order within each pack's table: the item column never goes back
    for pack in packs:
        own = [row for row in rows if f"policies/{pack.id}/" in row]
        items = [row.split(" | ")[2].split(" ")[0] for row in own]
        order = [item.id for item in pack.items]
        assert [order.index(i) for i in items] == sorted(order.index(i) for i in items)


def test_check_fails_on_a_stale_index_and_regeneration_touches_only_the_block(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    before, after = "# Title\n\nintro\n\n", "\n## Next\n\nmore | text <!-- policy-index:x -->\n"
    readme.write_text(f"{before}{policy_index.START}\nhand-written row\n{policy_index.END}{after}", encoding="utf-8")
    assert policy_index.main(["--check", "--readme", str(readme)]) == 1
    assert "hand-written row" in readme.read_text(encoding="utf-8")  # --check changes nothing
    assert policy_index.main(["--readme", str(readme)]) == 0
    text = readme.read_text(encoding="utf-8")
    assert text.startswith(before + policy_index.START + "\n" + policy_index.BANNER)
    assert text.endswith(policy_index.END + after)
    assert "hand-written row" not in text
    assert policy_index.main(["--check", "--readme", str(readme)]) == 0


@pytest.mark.parametrize(
    "text",
    [
        "no markers at all\n",
        f"{policy_index.END}\n{policy_index.START}\n",
        f"{policy_index.START}\n{policy_index.START}\n",
    ],
    ids=["missing", "reversed", "duplicated"],
)
def test_bad_markers_are_a_usage_error(tmp_path: Path, text: str) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(text, encoding="utf-8")
    assert policy_index.main(["--readme", str(readme)]) == 2
    assert readme.read_text(encoding="utf-8") == text


def test_phased_enforcement_is_spelled_out(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    shutil.copy(ROOT / "policies" / "production-readiness" / "pack.yaml", pack / "pack.yaml")
    source = (ROOT / "policies" / "production-readiness" / "tests-passed.yaml").read_text(encoding="utf-8")
    phased = source.replace(
        "enforcement: soft\n", "enforcement: [{level: advisory, until: 2027-01-15}, {level: hard}]\n"
    )
    assert phased != source
    (pack / "tests-passed.yaml").write_text(phased, encoding="utf-8")
    block = policy_index.render([load_pack(pack)])
    assert "| high | advisory until 2027-01-15, then hard |" in block


def test_scores_show_only_for_the_policy_file_they_were_measured_on(tmp_path: Path) -> None:
    """The mutation score column reads the score file by each policy file's digest: a matching digest shows
    the score, a stale one (the policy changed since the mutations ran) shows none."""
    file = ROOT / "policies" / "production-readiness" / "no-todos-in-release-files.yaml"
    digest = "sha256:" + hashlib.sha256(file.read_bytes()).hexdigest()
    scores = tmp_path / "scores.json"
    scores.write_text(json.dumps({"policies": {
        "no-todos-in-release-files": {"digest": digest, "score": 92.3, "killed": 12, "scored": 13},
        "engineer-signed-off": {"digest": "sha256:stale", "score": 100.0, "killed": 1, "scored": 1},
    }}), encoding="utf-8")
    readme = tmp_path / "README.md"
    readme.write_text(f"{policy_index.START}\n{policy_index.END}\n", encoding="utf-8")
    assert policy_index.main(["--readme", str(readme), "--scores", str(scores)]) == 0
    rows = readme.read_text(encoding="utf-8").splitlines()
    assert next(r for r in rows if "`no-todos-in-release-files`" in r).endswith("| soft | 92.3% (12/13) |")
    assert next(r for r in rows if "`engineer-signed-off`" in r).endswith("| advisory | — |")
    assert policy_index.main(["--check", "--readme", str(readme), "--scores", str(scores)]) == 0
