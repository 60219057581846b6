"""Bounded, safe YAML loading with source positions.

Every YAML file anops-policy reads (policies, packs, configs, CI workflows) is untrusted. This module
loads it with PyYAML's safe loader and adds what that loader lacks:

* a size limit, and a limit on alias references and nesting depth, so a "billion laughs" document is a
  clear error instead of a hang when the data is later walked;
* duplicate mapping keys are errors (PyYAML silently keeps the last one, hiding typos);
* a ``Marks`` table from each value's path to its ``line:column`` so later errors can point at it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from anops_policy.errors import ConfigError, location

MAX_BYTES = 2 * 1024 * 1024
MAX_ALIASES = 200
MAX_DEPTH = 64
MAX_EXPANDED_NODES = 200_000

PathKey = tuple[str | int, ...]


@dataclass
class Marks:
    """Source positions (1-based line and column) of the values and keys of one YAML document."""

    file: str
    values: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    # scalar style per value path: None (plain), "'", '"', "|" or ">"; used to place CEL errors
    styles: dict[PathKey, str | None] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def inside(self, path: PathKey, line: int, column: int) -> str:
        """``file:line:column`` of position (line, column) *within* the string value at ``path``."""
        if path not in self.values:
            return self.at(path)
        start_line, start_col = self.values[path]
        style = self.styles.get(path)
        if style in ("|", ">"):
            # content starts on the line after the indicator; its indentation is the first content line's
            file_line = start_line + line
            first = next((t for t in self.lines[start_line:] if t.strip()), "")
            indent = len(first) - len(first.lstrip(" "))
            return location(self.file, file_line, indent + column)
        if line > 1:  # a multi-line flow scalar: columns past the first line are not reliable
            return location(self.file, start_line + line - 1, column)
        offset = 1 if style in ("'", '"') else 0
        return location(self.file, start_line, start_col + offset + column - 1)

    def at(self, path: PathKey, *, key: bool = False) -> str:
        """``file:line:column`` of the value (or key) at ``path``, falling back to the nearest parent."""
        table = self.keys if key else self.values
        probe = path
        while probe:
            if probe in table:
                line, col = table[probe]
                return location(self.file, line, col)
            probe = probe[:-1]
            table = self.values
        if () in self.values:
            line, col = self.values[()]
            return location(self.file, line, col)
        return self.file


# libyaml's parser when PyYAML was built with it (~14x faster on big CI files); same safe constructors
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """The safe loader, except that dates stay strings (`expires: 2026-12-31`, `until: 2027-01-15`): the
    schemas and JSON expect text."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str)


def _build_loader(text: str, extra_tags: dict[str, Callable[[yaml.Node], Any]] | None) -> Any:
    if not extra_tags:
        return _Loader(text)
    # add_constructor mutates the class it is called on: give each call its own subclass
    loader_cls: type[_Loader] = type("_TaggedLoader", (_Loader,), {})
    for tag, fn in extra_tags.items():
        loader_cls.add_constructor(tag, lambda _loader, node, fn=fn: fn(node))
    return loader_cls(text)


def _check_events(text: str, file: str) -> None:
    aliases = 0
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Base):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    mark = event.start_mark
                    where = location(file, mark.line + 1, mark.column + 1) if mark else file
                    raise ConfigError(
                        f"{where}: more than {MAX_ALIASES} "
                        "alias references; refusing a document that may expand exponentially"
                    )
            elif isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    where = location(file, mark.line + 1, mark.column + 1) if mark else file
                    raise ConfigError(f"{where}: nesting deeper than {MAX_DEPTH} levels")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_error(file, exc)) from None


def _yaml_error(file: str, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        return f"{location(file, mark.line + 1, mark.column + 1)}: invalid YAML: {problem}"
    return f"{file}: invalid YAML: {problem}"


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """Node count once every alias is expanded (what a consumer walking the data will visit)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # a recursive alias counts once; PyYAML builds a cyclic structure for it
    total = 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            total += _expanded_size(k, memo) + _expanded_size(v, memo)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            total += _expanded_size(item, memo)
    memo[key] = total
    return total


def _walk(node: yaml.Node, path: PathKey, marks: Marks, file: str, depth: int, seen_nodes: set[int]) -> None:
    if depth > MAX_DEPTH:
        raise ConfigError(f"{marks.at(path)}: nesting deeper than {MAX_DEPTH} levels")
    marks.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if id(node) in seen_nodes:  # an alias: its marks were recorded where the anchor was defined
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        marks.styles[path] = node.style or None
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            if key in seen:
                raise ConfigError(
                    f"{location(file, key_node.start_mark.line + 1, key_node.start_mark.column + 1)}: "
                    f"duplicate key '{key}' (first defined on line {seen[key]})"
                )
            seen[key] = key_node.start_mark.line + 1
            marks.keys[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _walk(value_node, (*path, key), marks, file, depth + 1, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), marks, file, depth + 1, seen_nodes)


def load_yaml(
    text: str,
    file: str,
    *,
    max_bytes: int = MAX_BYTES,
    extra_tags: dict[str, Callable[[yaml.Node], Any]] | None = None,
) -> tuple[Any, Marks]:
    """Parse one YAML document safely; return the data and its source marks.

    ``extra_tags`` maps application tags (GitLab's ``!reference``) to constructors taking the node.
    Raises ``ConfigError`` naming ``file:line:column`` for anything malformed or oversized.
    """
    if len(text.encode("utf-8", errors="replace")) > max_bytes:
        raise ConfigError(f"{file}: larger than {max_bytes} bytes; refusing to parse")
    _check_events(text, file)
    loader = _build_loader(text, extra_tags)
    try:
        node = loader.get_single_node()
        marks = Marks(file, lines=text.splitlines())
        if node is None:
            return None, marks
        if _expanded_size(node, {}) > MAX_EXPANDED_NODES:
            raise ConfigError(f"{file}: expands to more than {MAX_EXPANDED_NODES} values through aliases; refusing it")
        _walk(node, (), marks, file, 0, set())
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_error(file, exc)) from None
    except RecursionError:
        raise ConfigError(f"{file}: nesting too deep") from None
    finally:
        loader.dispose()
    return data, marks


def load_yaml_file(path: str, display: str | None = None) -> tuple[Any, Marks]:
    """Read and parse a YAML file; ``display`` is the name used in messages (defaults to ``path``)."""
    name = display or path
    try:
        with open(path, "rb") as fh:  # noqa: PTH123 - bounded read below
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"{name}: larger than {MAX_BYTES} bytes; refusing to parse")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    return load_yaml(text, name)
