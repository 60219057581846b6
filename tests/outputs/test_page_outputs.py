"""HTML and Markdown: well-formed, self-contained, structured like the report, and safe with hostile text
(a policy message full of markup, pipes and backticks)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

NOW = "2026-11-26T12:00:00Z"
VOID = {"meta", "br", "hr", "img", "input", "link", "wbr"}


class Structure(HTMLParser):
    """Checks that every element is closed in order, and records tags and external references."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[str] = []
        self.references: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.references.extend(v or "" for k, v in attrs if k in ("src", "href", "action"))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> Structure:
    parser = Structure()
    parser.feed(page)
    parser.close()
    return parser


@pytest.fixture
def hostile(example: Path, run_cli: Any, ci_pack: Path) -> tuple[dict[str, str], dict[str, Any]]:
    out = example.parent / "out"
    run = run_cli(".", "--now", NOW, "--policies", str(ci_pack), "--output", f"html={out / 'r.html'}",
                  "--output", f"markdown={out / 'r.md'}", "--output", f"json={out / 'r.json'}", cwd=example)
    assert run.exit_code == 1
    return ({"html": (out / "r.html").read_text(), "markdown": (out / "r.md").read_text()},
            json.loads((out / "r.json").read_text()))


def test_golden_html_is_well_formed_and_self_contained() -> None:
    page = (Path(__file__).resolve().parent / "golden" / "html.html").read_text(encoding="utf-8")
    parsed = _parse(page)
    assert parsed.problems == [] and parsed.stack == []
    assert "script" not in parsed.tags and parsed.references == []
    assert parsed.tags.count("h2") >= 6  # one heading per checklist section, at least


def test_hostile_text_is_escaped_in_html(hostile: tuple[dict[str, str], dict[str, Any]]) -> None:
    outputs, report = hostile
    parsed = _parse(outputs["html"])
    assert parsed.problems == [] and parsed.stack == []
    assert "script" not in parsed.tags and "i" not in parsed.tags and "b" in parsed.tags
    text = "".join(parsed.text)
    for decision in report["decisions"]:
        if decision["policy"] == "hostile-text":
            assert decision["message"] in text, "the message reads back verbatim from the page's text"
    assert parsed.tags.count("details") == sum(1 for d in report["decisions"]
                                              if d["outcome"] in ("fail", "error")) + sum(
        1 for item in report["items"] if any(report["decisions"][i]["outcome"] in ("pass", "not_applicable")
                                             for i in item["decisions"]))


def test_hostile_text_is_escaped_in_markdown(hostile: tuple[dict[str, str], dict[str, Any]]) -> None:
    outputs, report = hostile
    markdown = outputs["markdown"]
    assert "<script>" not in markdown and "<b>markup</b>" not in markdown
    table = [line for line in markdown.splitlines() if line.startswith("| ")]
    assert all(len(re.findall(r"(?<!\\)\|", row)) == 9 for row in table), "a pipe in text never adds a column"
    sections = list(dict.fromkeys(item["section"] for item in report["items"]))
    assert len(table) == 2 + len(sections) + 1  # header and rule, one row per section, total
    failing = [d for d in report["decisions"] if d["outcome"] in ("fail", "error")]
    assert markdown.count("<details><summary>") == len(failing) + 1  # + the unsatisfied-items list
    assert markdown.count("<details>") == markdown.count("</details>")
    first = markdown.index("<details><summary>❌")
    assert "hard-markers" in markdown[first:first + 200] or "soft-markers" in markdown[first:first + 200], (
        "blocking failures come first")


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed (.ci/run installs it)")
def test_chromium_renders_the_page(tmp_path: Path) -> None:
    """A real browser loads the golden page offline and sees the summary heading."""
    page = Path(__file__).resolve().parent / "golden" / "html.html"
    proc = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads((page.parent / "json.json").read_text())["summary"]["line"]
    assert f"<h1>{summary}</h1>" in proc.stdout
