"""Source-annotated YAML: CI file values as strings that know the file and line they start on (``Src``),
and where in the file a value or key sits."""

from __future__ import annotations

from typing import Any

import yaml

from anops_policy.yamlsafe import Marks, load_yaml


class Src(str):
    """A YAML string that knows the file and line its text starts on, and whether its line breaks are
    the file's (a literal ``|`` block keeps them; plain and folded scalars do not)."""

    path: str
    line: int
    literal: bool

    def __new__(cls, value: str, path: str, line: int, literal: bool = False) -> Src:
        obj = super().__new__(cls, value)
        obj.path, obj.line, obj.literal = path, line, literal
        return obj


_BOOL_KEYS = {True: ("on", "true", "yes", "On", "True", "Yes", "ON", "TRUE", "YES"),
              False: ("off", "false", "no", "Off", "False", "No", "OFF", "FALSE", "NO")}


def _key_text(key: Any, path: tuple[str | int, ...], marks: Marks) -> str:
    """The key as written. PyYAML reads GitHub's ``on:`` as the boolean True; the marks keep the text."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        for cand in _BOOL_KEYS[key]:
            if (*path, cand) in marks.keys:
                return cand
    return "null" if key is None else str(key)


def mark_line(marks: Marks, path: tuple[str | int, ...], *, key: bool = False) -> int:
    """1-based line of the value (or key) at ``path``, or of its nearest recorded parent (0 if none)."""
    if key and path in marks.keys:
        return marks.keys[path][0]
    probe = path
    while True:
        if probe in marks.values:
            return marks.values[probe][0]
        if not probe:
            return 0
        probe = probe[:-1]


_MERGE_TAG = "tag:yaml.org,2002:merge"


def merged_positions(text: str) -> dict[tuple[str | int, ...], tuple[int, int]]:
    """Positions of values that reach a mapping through merge keys (``<<: *defaults``), which the loader's
    marks do not record. Explicit keys win over merged ones, and an earlier merge over a later one, as
    in PyYAML. Only called for text already accepted by ``load_yaml`` (its alias and size limits hold)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    out: dict[tuple[str | int, ...], tuple[int, int]] = {}

    def walk(node: yaml.Node, path: tuple[str | int, ...], depth: int) -> None:
        if depth > 64:
            return
        out.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            own = [(k, v) for k, v in node.value if k.tag != _MERGE_TAG]
            merged: list[tuple[yaml.Node, yaml.Node]] = []
            for k, v in node.value:
                if k.tag == _MERGE_TAG:
                    for sub in v.value if isinstance(v, yaml.SequenceNode) else [v]:
                        if isinstance(sub, yaml.MappingNode):
                            merged.extend((mk, mv) for mk, mv in sub.value if mk.tag != _MERGE_TAG)
            seen: set[str] = set()
            for k, v in [*own, *merged]:
                key = str(k.value)
                if key not in seen:
                    seen.add(key)
                    walk(v, (*path, key), depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i), depth + 1)

    if root is not None:
        walk(root, (), 0)
    return out


def annotate(data: Any, marks: Marks, text: str, file: str) -> Any:
    """Copy of ``data`` with every string a ``Src`` and every mapping key a string as written."""
    lines = text.splitlines()
    extra = merged_positions(text) if "<<" in text else {}

    def walk(value: Any, path: tuple[str | int, ...]) -> Any:
        if isinstance(value, str):
            line, col = marks.values.get(path) or extra.get(path) or (mark_line(marks, path), 0)
            literal = False
            if 0 < line <= len(lines) and col > 0 and lines[line - 1][col - 1:col] in ("|", ">"):
                literal = lines[line - 1][col - 1] == "|"
                line += 1  # a block scalar's text starts on the line after its indicator
            return Src(value, file, line, literal)
        if isinstance(value, dict):
            out = value.__class__()  # keeps a dict subclass such as GitLab's Reference marker
            for k, v in value.items():
                ks = _key_text(k, path, marks)
                out[ks] = walk(v, (*path, ks))
            return out
        if isinstance(value, list):
            return [walk(v, (*path, i)) for i, v in enumerate(value)]
        return value

    return walk(data, ())


def load_annotated(path: str, text: str) -> tuple[Any, Any]:
    """A YAML CI file, safely loaded, with every string annotated (see ``annotate``)."""
    data, marks = load_yaml(text, path)
    return annotate(data, marks, text, path), marks
