"""README facts: heading tree and its recognised sections, code blocks and their commands, how to run the
tests and what to expect, and references."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from typing import Any

from anops_policy.collectors.docs.clis import Cli
from anops_policy.collectors.docs.commands import block_commands, test_tool
from anops_policy.collectors.docs.markdown import Document, Heading
from anops_policy.collectors.docs.references import reference_facts
from anops_policy.collectors.docs.tree import Tree
from anops_policy.collectors.source.comment_lexer import comment_spans

CATEGORIES = {
    "onboarding": re.compile(
        r"\b(getting started|get started|quick ?start|onboarding|set ?up|install(?:ation|ing)?|"
        r"prerequisites|requirements|first steps)\b", re.I),
    "development": re.compile(
        r"\b(develop(?:ment|ing|ers?)?|hacking|build(?:ing)?|running locally|local (?:setup|development)|"
        r"working on)\b", re.I),
    "testing": re.compile(r"\b(tests?|testing|test suite)\b", re.I),
    "contributing": re.compile(r"\b(contribut(?:e|ing|ion|ions|ors)|pull requests?|code of conduct)\b", re.I),
}
EXPECT = re.compile(
    r"\b(expect(?:s|ed|ation|ations)?|should\s+(?:all\s+)?(?:pass|succeed|see|print|show|report|output|end|"
    r"finish|take|fail|be green)|you(?:'ll|\s+will)\s+see|outputs?|prints?|passe[sd]|[0-9]+\s+passed|"
    r"succeed(?:s|ed)?|exit\s+(?:code|status)|green)\b", re.I)


def absent_readme(path: str) -> dict[str, Any]:
    return {
        "present": False, "path": path, "headings": [], "code_blocks": [], "sections": _no_sections(),
        "has_section": dict.fromkeys(CATEGORIES, False), "test_commands": [],
        "tells_how_to_run_tests": False, "tells_what_to_expect": False,
        "references": {"missing_paths": [], "unknown_commands": [], "paths": [], "commands": []},
    }


def _no_sections() -> dict[str, list[dict[str, Any]]]:
    return {name: [] for name in CATEGORIES}


def readme_facts(
    path: str, doc: Document, components: Sequence[Mapping[str, Any]], clis: Sequence[Cli], tree: Tree
) -> dict[str, Any]:
    binaries = frozenset(b for cli in clis for b in cli.binaries)
    headings = []
    sections = _no_sections()
    for h in doc.headings:
        cats = [name for name, rx in CATEGORIES.items() if rx.search(h.text)]
        headings.append({"path": path, "line": h.line, "level": h.level, "text": h.text, "categories": cats})
        for name in cats:
            sections[name].append({"path": path, "line": h.line, "level": h.level, "text": h.text})
    blocks = []
    test_commands: list[dict[str, Any]] = []
    for block in doc.code_blocks:
        commands = block_commands(block, binaries)
        blocks.append({
            "path": path, "line": block.line, "end_line": block.end_line, "language": block.language,
            "section": _section_of(doc.headings, block.line),
            "commands": [{"path": path, "line": line, "text": text} for line, text in commands],
        })
        for line, text in commands:
            tool = test_tool(text)
            if tool:
                test_commands.append({"path": path, "line": line, "command": text, "tool": tool,
                                      "section": _section_of(doc.headings, line)})
    expectation = _expectation(doc, test_commands)
    component = next((str(c.get("name")) for c in components
                      if str(c.get("path", "")).strip("/") == posixpath.dirname(path)), None)
    facts: dict[str, Any] = {
        "present": True,
        "path": path,
        "line": 1,
        "format": doc.format,
        "headings": headings,
        "code_blocks": blocks,
        "sections": sections,
        "has_section": {name: bool(found) for name, found in sections.items()},
        "test_commands": test_commands,
        "tells_how_to_run_tests": bool(test_commands),
        "tells_what_to_expect": expectation is not None,
        "references": reference_facts(path, doc, clis, tree),
    }
    title = next((h.text for h in doc.headings if h.level == 1), None)
    if title is not None:
        facts["title"] = title
    if component is not None:
        facts["component"] = component
    if expectation is not None:
        facts["expectation"] = expectation
    return facts


def _section_of(headings: Sequence[Heading], line: int) -> str:
    current = ""
    for h in headings:
        if h.line > line:
            break
        current = h.text
    return current


def _expectation(doc: Document, test_commands: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The first expectation in the section of a test command: the innermost heading above the command
    and everything up to the next heading of the same or a higher level (subsections included). Prose,
    and code-block lines other than the test commands themselves (comments, shown output), count."""
    if not test_commands:
        return None
    command_lines = {int(c["line"]) for c in test_commands}
    code_rows = [(line, text) for block in doc.code_blocks for line, text in block.lines]
    rows = sorted([*doc.prose, *code_rows])
    for command in test_commands:
        start, end = _scope(doc.headings, int(command["line"]))
        for line, text in rows:
            if not start <= line < end:
                continue
            probe = text
            if line in command_lines:  # a test command line: only its trailing comment may say what to expect
                probe = " ".join(text[s:e] for s, e in comment_spans(text, "shell"))
            m = EXPECT.search(probe)
            if m:
                return {"path": command["path"], "line": line, "text": text.strip()[:200], "word": m.group(1)}
    return None


def _scope(headings: Sequence[Heading], line: int) -> tuple[int, int]:
    owner: Heading | None = None
    for h in headings:
        if h.line > line:
            break
        owner = h
    if owner is None:
        first = headings[0].line if headings else 1 << 30
        return 1, first
    end = next((h.line for h in headings if h.line > owner.line and h.level <= owner.level), 1 << 30)
    return owner.line, end
