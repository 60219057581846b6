"""``xml``: XML (Maven pom.xml, .csproj, web.xml) read by ``defusedxml``'s expat parser, which refuses
entity declarations (the "billion laughs" expansion) and external entities with a ParseFailure naming them.

Data model: the root element, each element being
``{"tag": name, "attrs": {name: value}, "text": str | None, "children": [element, ...]}``, in document
order. Names with a namespace are ``{uri}local`` as in ElementTree (``xmlns`` declarations are not
attributes). ``text`` is the element's own character data (text between its children included, the
children's own excluded), stripped of surrounding whitespace, and ``null`` when nothing is left;
comments and processing instructions are dropped. Elements nest at most ``MAX_DEPTH // 2`` deep (each is
two JSON levels: the element and its ``children`` list).

Lines: each element's start tag (``""``, ``/children/0``, ``/children/0/children/2`` …) as expat reports
it, and each attribute (``/attrs/name``) where it is written in the start tag.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import ParseError

from anops_policy.collectors.files.parsers.model import MAX_DEPTH, MAX_POSITIONS, Document, ParseFailure, token
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

MAX_ELEMENT_DEPTH = MAX_DEPTH // 2
# the start tag at a byte offset: its name, then each attribute `name = "value"` (quotes may hide `>`)
_START_TAG = re.compile(rb"""<[^\s/>]+((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*/?>""")
_ATTRIBUTE = re.compile(rb"""([^\s=/>]+)\s*=\s*(?:"[^"]*"|'[^']*')""")


class _Builder:
    """An ElementTree parser target that builds the JSON model directly and records lines."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.parser: DefusedXMLParser | None = None
        self.stack: list[tuple[dict[str, Any], str, list[str]]] = []  # element, pointer, character data
        self.root: dict[str, Any] | None = None
        self.lines: dict[str, int] = {}
        self._encoded: bytes | None = None

    def position(self) -> tuple[int, int, int]:
        expat = self.parser.parser if self.parser is not None else None
        if expat is None:
            return 1, 0, 0
        return int(expat.CurrentLineNumber), int(expat.CurrentColumnNumber), int(expat.CurrentByteIndex)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        line, column, offset = self.position()
        if len(self.stack) >= MAX_ELEMENT_DEPTH:
            raise ParseFailure(f"elements nested deeper than {MAX_ELEMENT_DEPTH} levels", line, column + 1)
        element: dict[str, Any] = {"tag": tag, "attrs": dict(attrs), "text": None, "children": []}
        if self.stack:
            parent, parent_pointer, _ = self.stack[-1]
            where = f"{parent_pointer}/children/{len(parent['children'])}"
            parent["children"].append(element)
        else:
            where = ""
            self.root = element
        if len(self.lines) < MAX_POSITIONS:
            self.lines[where] = line
            for name, attr_line in zip(attrs, self.attribute_lines(offset, line), strict=False):
                self.lines[f"{where}/attrs/{token(name)}"] = attr_line
        self.stack.append((element, where, []))

    def attribute_lines(self, offset: int, line: int) -> list[int]:
        """The line of each attribute of the start tag at byte ``offset``, in order (xmlns ones skipped)."""
        if self._encoded is None:
            self._encoded = self.text.encode("utf-8")
        tag = _START_TAG.match(self._encoded, offset)
        if tag is None:
            return []
        out: list[int] = []
        for match in _ATTRIBUTE.finditer(tag.group(1)):
            name = match.group(1)
            if name == b"xmlns" or name.startswith(b"xmlns:"):
                continue
            out.append(line + tag.group(0).count(b"\n", 0, tag.start(1) - tag.start() + match.start()))
        return out

    def data(self, text: str) -> None:
        if self.stack:
            self.stack[-1][2].append(text)

    def end(self, tag: str) -> None:
        element, _, chunks = self.stack.pop()
        text = "".join(chunks).strip()
        element["text"] = text or None

    def close(self) -> dict[str, Any] | None:
        return self.root


def parse_xml(text: str) -> list[Document]:
    """One document: the root element."""
    text = text.removeprefix("\ufeff")
    builder = _Builder(text)
    parser = DefusedXMLParser(target=builder, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    builder.parser = parser
    try:
        parser.feed(text)
        root = parser.close()
    except ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":", 1)[0]
        raise ParseFailure(reason, line, column + 1) from None
    except DefusedXmlException as exc:
        line, column, _ = builder.position()
        raise ParseFailure(f"refused: {exc} (entity declarations and external references are not read)",
                           line, column + 1) from None
    if root is None:
        raise ParseFailure("no root element")
    return [Document(data=root, lines=builder.lines, line=builder.lines.get("", 1))]
