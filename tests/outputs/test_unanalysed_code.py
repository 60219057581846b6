"""A repository whose code no collector analyses — a C library built with CMake — is not reported as if it
had been checked: the closing line counts the items nothing checked as not applicable, and every format
names the component whose code nothing read."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from anops_policy.cli.main import cli

FILES = {
    "CMakeLists.txt": (
        "cmake_minimum_required(VERSION 3.16)\nproject(ringbuf VERSION 0.4.0 LANGUAGES C)\n"
        "add_library(ringbuf src/ringbuf.c)\nenable_testing()\nadd_executable(test_ringbuf tests/test_ringbuf.c)\n"
        "add_test(NAME ringbuf COMMAND test_ringbuf)\n"
    ),
    "include/ringbuf.h": "#include <stddef.h>\ntypedef struct ringbuf ringbuf;\nringbuf *ringbuf_new(size_t n);\n",
    "src/ringbuf.c": (
        '#include <stdlib.h>\n#include "ringbuf.h"\nstruct ringbuf { size_t cap; };\n'
        "ringbuf *ringbuf_new(size_t n) {\n    ringbuf *r = malloc(sizeof *r);\n    if (r) r->cap = n;\n"
        "    return r;\n}\n"
    ),
    "tests/test_ringbuf.c": '#include <assert.h>\n#include "ringbuf.h"\nint main(void) { assert(ringbuf_new(2)); }\n',
    "README.md": "# ringbuf\n\nA fixed-size ring buffer for C.\n",
}
NAMED = "not analysed: component 'ringbuf' (c library at .)"
FORMATS = {"text": "report.txt", "json": "report.json", "markdown": "report.md", "sarif": "report.sarif",
           "junit": "report.xml", "html": "report.html", "github": "annotations.txt"}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    repo = tmp_path_factory.mktemp("ringbuf")
    for rel, text in FILES.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text, encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    args = ["eval", str(repo), "--now", "2026-12-01T00:00:00Z", "--no-decision-log", "-q"]
    for fmt, name in FORMATS.items():
        args += ["--output", f"{fmt}={out / name}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output  # the library's tests run nowhere: a blocking failure
    return {fmt: (out / name).read_text(encoding="utf-8") for fmt, name in FORMATS.items()}


def test_the_closing_line_counts_unchecked_items_apart(outputs: dict[str, str]) -> None:
    summary = json.loads(outputs["json"])["summary"]
    assert summary["items_not_applicable"] >= 10, summary
    assert summary["items_applicable"] + summary["items_not_applicable"] == summary["items_total"] == 17
    assert summary["line"] == (
        f"{summary['items_satisfied']} of {summary['items_applicable']} applicable checklist items satisfied"
        f" · {summary['items_not_applicable']} not applicable · {summary['blocking_failures']} blocking failures"
    )
    assert summary["line"] in outputs["text"]
    # the code-level items (logging, error handling, panics) are among those nothing checked
    status = {i["id"]: i["status"] for i in json.loads(outputs["json"])["items"]}
    assert status["2.1"] == status["2.3"] == "not_applicable"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_names_the_component_nothing_analysed(outputs: dict[str, str], fmt: str) -> None:
    text = outputs[fmt]
    if fmt == "json":
        text = "\n".join(json.loads(text)["notes"])
    elif fmt == "sarif":
        run = json.loads(text)["runs"][0]
        text = "\n".join(n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"])
    elif fmt == "junit":
        root = ET.fromstring(text)
        text = "\n".join(p.get("value", "") for p in root.iter("property") if p.get("name") == "anops.note")
    elif fmt == "html":
        text = text.replace("&#x27;", "'").replace("&#39;", "'")
    assert NAMED in text, text[-2000:]


def test_a_language_without_a_component_is_named(tmp_path: Path) -> None:
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "greet.lua").write_text('return function(n) return "hello " .. n end\n', encoding="utf-8")
    (tmp_path / "README.md").write_text("# tools\n", encoding="utf-8")
    report = tmp_path / "r.json"
    result = CliRunner().invoke(cli, ["eval", str(tmp_path), "--no-decision-log", "-q", "--output", f"json={report}"])
    assert result.exit_code in (0, 1), result.output
    notes = json.loads(report.read_text(encoding="utf-8"))["notes"]
    assert any(n.startswith("not analysed: 1 lua file(s) that belong to no component") for n in notes), notes
