"""An item nothing checked is never counted as satisfied: every format shows it as not applicable, apart.

A three-item pack over a repository with no Rust code: item 1's policy passes, item 2's only policy does
not apply (it needs a Rust crate), item 3's policy fails. The closing line counts 1 of 2 applicable items
satisfied and 1 not applicable, and each format marks item 2 with its own status."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from click.testing import CliRunner

from anops_policy.cli.main import cli
from anops_policy.outputs import FORMATTERS

NOW = "2026-11-26T12:00:00Z"
LINE = "1 of 2 applicable checklist items satisfied · 1 not applicable · 1 blocking failures"

PACK = """\
apiVersion: anops.dev/pack/v1
id: na
version: 1.0.0
title: Not-applicable pack
sections: [Docs, Rust, Markers]
items:
  - {id: "1", section: Docs, title: The repository has a README}
  - {id: "2", section: Rust, title: Rust crates log through a logger}
  - {id: "3", section: Markers, title: No TODO markers anywhere}
"""

POLICIES = {
    "has-readme": """\
id: has-readme
title: The repository has a README
checklist: "1"
severity: low
enforcement: soft
requires: [docs]
rule: facts.docs.readme.present
message: "README present: {facts.docs.readme.present}"
remediation: Write a README.
examples:
  - {name: present, facts: {docs: {readme: {present: true}}}, expect: pass}
  - {name: absent, facts: {docs: {readme: {present: false}}}, expect: fail}
""",
    "rust-has-no-println": """\
id: rust-has-no-println
title: Rust crates log through a logger
checklist: "2"
severity: medium
enforcement: soft
requires: [rust]
for_each: facts.rust.crates.map(p, p)
applies_when: size(facts.rust.crates) > 0
rule: facts.rust.crates[subject].name != ""
message: "{subject}"
remediation: Use the log crate.
examples:
  - {name: no crates, facts: {rust: {crates: {}}}, expect: not_applicable}
  - {name: a crate, facts: {rust: {crates: {a: {name: a}}}}, expect: pass}
""",
    "no-todos": """\
id: no-todos
title: No TODO markers anywhere
checklist: "3"
severity: high
enforcement: soft
requires: [todos]
rule: facts.todos.counts.total == 0
message: "{facts.todos.counts.total} markers"
remediation: Resolve them.
examples:
  - {name: none, facts: {todos: {counts: {total: 0}}}, expect: pass}
  - {name: one, facts: {todos: {counts: {total: 1}}}, expect: fail}
""",
}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("na")
    repo, pack, out = base / "repo", base / "pack", base / "out"
    for folder in (repo, pack, out):
        folder.mkdir()
    (repo / "README.md").write_text("# lib\n\nRun `make test`.\n", encoding="utf-8")
    (repo / "lib.c").write_text("/* TODO: bounds */\nint f(void) { return 0; }\n", encoding="utf-8")
    (pack / "pack.yaml").write_text(PACK, encoding="utf-8")
    for name, text in POLICIES.items():
        (pack / f"{name}.yaml").write_text(text, encoding="utf-8")
    args = ["eval", str(repo), "--policies", str(pack), "--now", NOW, "--no-decision-log",
            *(f"--output={fmt}={out / fmt}" for fmt in FORMATTERS)]
    summary = base / "step-summary.md"
    env = {"NO_COLOR": "1", "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    result = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    texts = {fmt: (out / fmt).read_text(encoding="utf-8") for fmt in FORMATTERS}
    return {"stdout": result.output, "step-summary": summary.read_text(encoding="utf-8"), **texts}


def test_json_counts_the_item_apart(outputs: dict[str, str]) -> None:
    report: dict[str, Any] = json.loads(outputs["json"])
    summary = report["summary"]
    assert (summary["items_total"], summary["items_applicable"], summary["items_not_applicable"],
            summary["items_satisfied"]) == (3, 2, 1, 1)
    assert summary["line"] == LINE
    statuses = {i["id"]: (i["status"], i["satisfied"], i["applicable"]) for i in report["items"]}
    assert statuses == {"1": ("satisfied", True, True), "2": ("not_applicable", False, False),
                        "3": ("failed", False, True)}


def test_text_marks_the_item_and_closes_with_three_parts(outputs: dict[str, str]) -> None:
    assert f"\n{LINE}\n" in outputs["stdout"]
    assert outputs["text"].rstrip().endswith(LINE)
    assert re.search(r"^  – 2 Rust crates log through a logger$", outputs["text"], re.M)
    assert re.search(r"^  ✓ 1 The repository has a README$", outputs["text"], re.M)


def test_markdown_and_step_summary_have_a_not_applicable_column(outputs: dict[str, str]) -> None:
    for fmt in ("markdown", "step-summary"):
        text = outputs[fmt]
        assert LINE in text
        header = next(line for line in text.splitlines() if line.startswith("| Section"))
        columns = [c.strip() for c in header.strip("|").split("|")]
        rust_row = next(line for line in text.splitlines() if line.startswith("| Rust"))
        values = [c.strip() for c in rust_row.strip("|").split("|")]
        assert values[columns.index("Not applicable")] == "1" and values[columns.index("Satisfied")] == "0"


def test_html_shows_the_count_and_the_mark(outputs: dict[str, str]) -> None:
    page = outputs["html"]
    assert "items not applicable" in page and "applicable items satisfied" in page
    assert re.search(r'<span class="mark none">–</span> <b>2</b>', page)


def test_sarif_carries_the_item_counts(outputs: dict[str, str]) -> None:
    run = json.loads(outputs["sarif"])["runs"][0]
    assert run["properties"]["summary"] == LINE
    assert run["properties"]["items"] == {"total": 3, "applicable": 2, "notApplicable": 1, "satisfied": 1}


def test_junit_names_each_items_status(outputs: dict[str, str]) -> None:
    root = ET.fromstring(outputs["junit"])
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["anops.item.2"] == "not_applicable" and props["anops.item.1"] == "satisfied"
    rust = next(s for s in root.iter("testsuite") if s.get("name") == "Rust")
    suite_props = {p.get("name"): p.get("value") for p in rust.iter("property")}
    assert suite_props["anops.items_not_applicable"] == "1" and suite_props["anops.items_satisfied"] == "0"
