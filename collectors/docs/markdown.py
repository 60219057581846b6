"""A small, line-accurate model of a documentation file: headings, code blocks, prose lines, inline code
spans, links and checklist items, each with its 1-based line.

Markdown is parsed with markdown-it-py (CommonMark + tables), whose block tokens carry line maps, so a
``- [ ]`` inside a code block is not a checklist item and a ``#`` line inside a fence is not a heading.
reStructuredText gets a deliberately small reader (section titles, ``.. code-block::`` / ``::`` literal
blocks and prose lines): enough for README structure and test commands, not a full docutils parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    line: int


@dataclass(frozen=True)
class CodeBlock:
    line: int  # the opening fence (or the first line of an indented / literal block)
    end_line: int  # the last line of the block, fences included
    language: str  # first word of the info string, lower-case; "" when none
    lines: tuple[tuple[int, str], ...]  # (line, text) of the content


@dataclass(frozen=True)
class Link:
    line: int
    target: str
    image: bool


@dataclass(frozen=True)
class TaskItem:
    line: int
    done: bool
    text: str


@dataclass
class Document:
    format: str  # markdown | rst
    headings: list[Heading] = field(default_factory=list)
    code_blocks: list[CodeBlock] = field(default_factory=list)
    prose: list[tuple[int, str]] = field(default_factory=list)  # (line, text) outside code blocks
    inline_code: list[tuple[int, str]] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    tasks: list[TaskItem] = field(default_factory=list)


_TASK = re.compile(r"\[([ xX])\]\s+")


class MissingDependency(Exception):
    """markdown-it-py is not installed."""


@cache
def _markdown() -> MarkdownIt:
    # imported on first use: without markdown-it-py only the docs collector fails, not the engine
    try:
        from markdown_it import MarkdownIt  # noqa: PLC0415
    except ImportError as exc:
        raise MissingDependency("markdown-it-py is not installed (pip install markdown-it-py)") from exc
    return MarkdownIt("commonmark", {"html": True}).enable("table")


def parse(text: str, fmt: str) -> Document:
    return parse_rst(text) if fmt == "rst" else parse_markdown(text)


# ---- Markdown ---------------------------------------------------------------------------------------


def _plain(inline: Token) -> str:
    parts = [c.content for c in inline.children or [] if c.type in ("text", "code_inline")]
    return "".join(parts).strip()


def _walk_inline(doc: Document, inline: Token, first_line: int) -> None:
    """Links, images and code spans of one inline token, with the line each sits on."""
    line = first_line
    for child in inline.children or []:
        if child.type in ("softbreak", "hardbreak"):
            line += 1
        elif child.type == "link_open":
            doc.links.append(Link(line, str(child.attrs.get("href", "")), image=False))
        elif child.type == "image":
            doc.links.append(Link(line, str(child.attrs.get("src", "")), image=True))
        elif child.type == "code_inline":
            doc.inline_code.append((line, child.content))
        elif child.type in ("text", "html_inline"):
            line += child.content.count("\n")


def parse_markdown(text: str) -> Document:
    doc = Document("markdown")
    tokens = _markdown().parse(text)
    pending_heading: Token | None = None
    in_list_item: list[int] = []  # start lines of the open list items
    for index, tok in enumerate(tokens):
        if tok.type == "heading_open":
            pending_heading = tok
        elif tok.type == "list_item_open" and tok.map:
            in_list_item.append(tok.map[0] + 1)
        elif tok.type == "list_item_close" and in_list_item:
            in_list_item.pop()
        elif tok.type == "inline" and tok.map:
            first = tok.map[0] + 1
            _walk_inline(doc, tok, first)
            for offset, row in enumerate(tok.content.split("\n")):
                doc.prose.append((first + offset, row))
            if pending_heading is not None:
                doc.headings.append(Heading(int(pending_heading.tag[1:]), _plain(tok), pending_heading.map[0] + 1
                                            if pending_heading.map else first))
                pending_heading = None
            elif in_list_item and in_list_item[-1] == first and tokens[index - 1].type == "paragraph_open":
                task = _TASK.match(tok.content)
                if task:
                    body = " ".join(tok.content[task.end() :].split())
                    doc.tasks.append(TaskItem(first, task.group(1) != " ", body))
        elif tok.type in ("fence", "code_block") and tok.map:
            start, end = tok.map[0] + 1, tok.map[1]
            body_start = start + 1 if tok.type == "fence" else start
            rows = tok.content.split("\n")
            if rows and rows[-1] == "":
                rows.pop()
            language = tok.info.strip().split(maxsplit=1)[0].lower() if tok.info.strip() else ""
            language = language.strip("{}.")  # ```{.sh} / ```{bash}
            doc.code_blocks.append(
                CodeBlock(start, end, language, tuple((body_start + i, r) for i, r in enumerate(rows)))
            )
        elif tok.type == "html_block" and tok.map:
            for offset, row in enumerate(tok.content.rstrip("\n").split("\n")):
                doc.prose.append((tok.map[0] + 1 + offset, row))
    return doc


# ---- reStructuredText -------------------------------------------------------------------------------

_RST_ADORNMENT = re.compile(r"^([=\-~^\"'`#*+:.,_;!$%&/<>?@\\|])\1{2,}\s*$")
_RST_CODE = re.compile(r"^\.\.\s+(?:code-block|code|sourcecode)::\s*(\S*)")
_RST_INLINE_CODE = re.compile(r"``([^`]+)``")
_RST_LINK = re.compile(r"`[^`<]*<([^>]+)>`_")


def parse_rst(text: str) -> Document:
    doc = Document("rst")
    rows = text.split("\n")
    levels: list[str] = []  # adornment styles in order of first appearance = section levels
    i = 0
    while i < len(rows):
        row = rows[i].rstrip("\r")
        code = _RST_CODE.match(row.strip())
        literal = row.rstrip().endswith("::") and not row.strip().startswith("..")
        if code or literal:
            if literal and row.strip() != "::":
                doc.prose.append((i + 1, row))
            start, language = i + 1, (code.group(1).lower() if code else "")
            i += 1
            body: list[tuple[int, str]] = []
            while i < len(rows) and (not rows[i].strip() or rows[i].startswith((" ", "\t"))):
                stripped = rows[i].rstrip("\r")
                if (stripped.strip() and not (code and stripped.strip().startswith(":"))) or body:
                    body.append((i + 1, stripped.strip()))
                i += 1
            while body and not body[-1][1]:
                body.pop()
            if body:
                doc.code_blocks.append(CodeBlock(start, body[-1][0], language, tuple(body)))
            continue
        nxt = rows[i + 1].rstrip("\r") if i + 1 < len(rows) else ""
        over = _RST_ADORNMENT.match(row)
        if over and i + 2 < len(rows) and _RST_ADORNMENT.match(rows[i + 2].rstrip("\r")) and rows[i + 1].strip():
            style = "over" + over.group(1)
            _rst_heading(doc, levels, style, rows[i + 1].strip(), i + 2)
            i += 3
            continue
        under = _RST_ADORNMENT.match(nxt)
        if row.strip() and not row.startswith((" ", "\t")) and under and len(nxt.strip()) >= len(row.strip()):
            _rst_heading(doc, levels, under.group(1), row.strip(), i + 1)
            i += 2
            continue
        if row.strip():
            doc.prose.append((i + 1, row))
            doc.inline_code.extend((i + 1, m.group(1)) for m in _RST_INLINE_CODE.finditer(row))
            doc.links.extend(Link(i + 1, m.group(1).strip(), image=False) for m in _RST_LINK.finditer(row))
        i += 1
    return doc


def _rst_heading(doc: Document, levels: list[str], style: str, text: str, line: int) -> None:
    if style not in levels:
        levels.append(style)
    doc.headings.append(Heading(levels.index(style) + 1, text, line))
