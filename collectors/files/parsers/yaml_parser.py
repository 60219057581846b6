"""``yaml``: every document of a YAML stream (Kubernetes manifests, compose files, Helm values), each read
by the project's bounded safe loader (``anops_policy.yamlsafe``: size, alias, expansion and depth bounds,
duplicate keys refused, dates kept as text) with its marks turned into lines per key and sequence item.

The stream is cut into documents by PyYAML's event parser (libyaml when built with it): each document is
loaded on its own, from the start of the line where it begins, so its marks are offset by that line. An
empty document (``---`` with nothing after it) is skipped. Non-string keys (``1:``, ``true:``) become
their JSON spelling (``"1"``, ``"true"``); one whose source spelling differs (``yes:``, ``~:``) has no line
of its own (its mapping's line applies).
"""

from __future__ import annotations

import re

import yaml
from anops_policy.collectors.files.parsers.model import Document, ParseFailure, json_shaped, resolvable

from anops_policy.errors import ConfigError
from anops_policy.facts import pointer
from anops_policy.yamlsafe import load_yaml, yaml_problem

_NAME = "<yaml>"
_LOCATED = re.compile(rf"{re.escape(_NAME)}(?::(\d+))?(?::(\d+))?: (.*)", re.DOTALL)
# libyaml's event parser when PyYAML was built with it, as yamlsafe uses
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> list[Document]:
    """The stream's non-empty documents, in order."""
    text = text.removeprefix("\ufeff")
    documents: list[Document] = []
    starts = _document_starts(text)
    for number, (start, first_line) in enumerate(starts):
        end = starts[number + 1][0] if number + 1 < len(starts) else len(text)
        document = _document(text[start:end], first_line)
        if document is not None:
            documents.append(document)
    return documents


def _document_starts(text: str) -> list[tuple[int, int]]:
    """(offset of the start of its line, 0-based line) of each document of the stream."""
    starts: list[tuple[int, int]] = []
    try:
        for event in yaml.parse(text, Loader=_Base):
            if isinstance(event, yaml.DocumentStartEvent) and event.start_mark is not None:
                index, line = min(event.start_mark.index, len(text)), event.start_mark.line
                starts.append((text.rfind("\n", 0, index) + 1, line))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = yaml_problem(exc)
        if mark is None:
            raise ParseFailure(f"invalid YAML: {problem}") from None
        raise ParseFailure(f"invalid YAML: {problem}", mark.line + 1, mark.column + 1) from None
    return starts


def _document(source: str, offset: int) -> Document | None:
    try:
        data, marks = load_yaml(source, _NAME)
    except ConfigError as exc:
        raise _failure(str(exc), offset) from None
    if () not in marks.values or (data is None and marks.texts.get((), "") == ""):
        return None  # an empty document (an explicit `---` with nothing after it reads as an empty null)
    lines: dict[str, int] = {"": marks.values[()][0] + offset}
    for path, (line, _column) in marks.keys.items():
        lines[pointer(path)] = line + offset
    for path, (line, _column) in marks.values.items():
        if path and isinstance(path[-1], int):  # a sequence item
            lines[pointer(path)] = line + offset
    shaped = json_shaped(data, lines)
    # a key whose source spelling is not its JSON one (`yes:`, `~:`) has no line of its own
    return Document(data=shaped, lines=resolvable(shaped, lines), line=lines[""])


def _failure(message: str, offset: int) -> ParseFailure:
    located = _LOCATED.match(message)
    if located is None:
        return ParseFailure(message)
    line, column, reason = located.groups()
    return ParseFailure(reason, int(line) + offset if line else None, int(column) if column else None)
