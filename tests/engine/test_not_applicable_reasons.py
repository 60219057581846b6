"""A policy says why it does not apply (``not_applicable_message``): when its for_each yields no subject
(rendered over facts and params) and when applies_when is false for a subject (the subject too); a reason
that cannot render falls back to the generic one, never to an error. The built-in language policies say
which languages they judge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from anops_policy.cli.main import cli

PACK = """\
apiVersion: anops.dev/pack/v1
id: reasons
version: 1.0.0
title: Reasons
sections: [Code]
items:
  - {id: "1", section: Code, title: Go services are judged}
"""
POLICY = """\
id: go-services
title: Go services read their port
checklist: "1"
severity: low
enforcement: soft
requires: [layout]
for_each: facts.layout.components.filter(c, has(c.language) && c.language == "go")
applies_when: subject.kind == "service"
rule: "true"
message: "{subject.name}"
not_applicable_message: >-
  {REASON}
remediation: Read PORT.
examples:
  - {name: none, facts: {layout: {components: []}}, expect: not_applicable}
"""
CASES = {
    "empty-for-each": (
        "no Go component among {size(facts.layout.components)} component(s)",
        {"CMakeLists.txt": "project(ringbuf C)\nadd_library(ringbuf ringbuf.c)\n", "ringbuf.c": "int n;\n"},
        {None: "no Go component among 1 component(s)"},
    ),
    "applies-when-false": (
        "{subject.name} is a {subject.kind}, not a service",
        {"go.mod": "module example.dev/util\n\ngo 1.22\n", "util.go": "package util\n\nfunc Two() int { return 2 }\n"},
        {"util": "util is a library, not a service"},
    ),
    "subject-named-with-no-subject": (
        "{subject.name} is not judged",
        {"README.md": "# nothing to build\n"},
        {None: "no subjects: for_each is empty"},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_policy_says_why_it_does_not_apply(tmp_path: Path, case: str) -> None:
    reason, files, expected = CASES[case]
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.yaml").write_text(PACK, encoding="utf-8")
    (pack / "go-services.yaml").write_text(POLICY.replace("{REASON}", reason), encoding="utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    for rel, text in files.items():
        (repo / rel).write_text(text, encoding="utf-8")
    report = tmp_path / "report.json"
    result = CliRunner().invoke(cli, ["eval", str(repo), "--policies", str(pack), "--no-decision-log", "-q",
                                      "--output", f"json={report}"])
    assert result.exit_code in (0, 1), result.output
    got = {d["subject"]: d["message"] for d in json.loads(report.read_text(encoding="utf-8"))["decisions"]}
    assert got == expected


def test_explain_shows_the_reason() -> None:
    result = CliRunner().invoke(cli, ["explain", "services-read-log-level-from-env"])
    assert result.exit_code == 0, result.output
    assert "Otherwise:    not_applicable, no Go, JavaScript/TypeScript or Java service or worker" in result.output


def test_the_language_policies_say_which_languages_they_judge(tmp_path: Path) -> None:
    (tmp_path / "CMakeLists.txt").write_text("project(ringbuf C)\nadd_library(ringbuf ringbuf.c)\n", encoding="utf-8")
    (tmp_path / "ringbuf.c").write_text("int ringbuf_size(void) { return 8; }\n", encoding="utf-8")
    report = tmp_path / "report.json"
    result = CliRunner().invoke(cli, ["eval", str(tmp_path), "--no-decision-log", "-q", "--output", f"json={report}"])
    assert result.exit_code in (0, 1), result.output
    decisions = json.loads(report.read_text(encoding="utf-8"))["decisions"]
    reasons = {d["policy"]: d["message"] for d in decisions if d["outcome"] == "not_applicable"}
    for policy in ("services-log-through-a-logger", "code-handles-errors-explicitly",
                   "services-fail-clearly-on-missing-settings"):
        assert reasons[policy].startswith("no Go, JavaScript/TypeScript, Java or C# "), reasons[policy]
