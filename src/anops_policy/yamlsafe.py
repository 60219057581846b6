"""Bounded, safe YAML loading with source positions.

Every YAML file anops-policy reads (policies, packs, configs, CI workflows) is untrusted. This module
loads it with PyYAML's safe loader and adds what that loader lacks:

* a size limit, and a limit on alias references and nesting depth, so a "billion laughs" document is a
  clear error instead of a hang when the data is later walked;
* duplicate mapping keys are errors (PyYAML silently keeps the last one, hiding typos);
* a ``Marks`` table from each value's path to its ``line:column`` so later errors can point at it,
  even at one character inside a string of any scalar style (``Marks.inside``).
"""

from __future__ import annotations

import re
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
    # the parsed text of each scalar (the same string objects the data holds)
    texts: dict[PathKey, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def inside(self, path: PathKey, line: int, column: int) -> str:
        """``file:line:column`` of position (line, column) *within* the string value at ``path`` (1-based,
        lines split at ``\\n`` of the parsed string). The position is found by walking the raw source of
        the scalar in its style (escapes, ``''``, line folding, block indentation); when the walk cannot
        reproduce the parsed string, the value's own start is the answer."""
        if path not in self.values:
            return self.at(path)
        text = self.texts.get(path)
        positions = None
        if text is not None:
            start_line, start_col = self.values[path]
            positions = scalar_positions(self.lines, start_line - 1, start_col - 1, self.styles.get(path), text)
        if not positions or text is None:
            return self.at(path)
        offset = _offset(text, line, column)
        if offset < len(positions):
            raw_line, raw_col = positions[offset]
        else:  # just past the end (an "unexpected end of expression")
            raw_line, raw_col = positions[-1]
            raw_col += 1
        return location(self.file, raw_line + 1, raw_col + 1)

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


# YAML's line breaks (str.splitlines also splits at \v, \f and \x1c-\x1e, which YAML does not)
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
# escapes of a double-quoted scalar: each stands for one character
_ESCAPES = frozenset('0abt\tnvfre "/\\N_LP')
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
Position = tuple[int, int]  # 0-based line and column in the source


def _offset(text: str, line: int, column: int) -> int:
    """Offset in ``text`` of the 1-based (line, column), lines split at newlines; clamped to the text."""
    rows = text.split("\n")
    line = min(max(line, 1), len(rows))
    offset = sum(len(row) + 1 for row in rows[: line - 1]) + max(column, 1) - 1
    return min(offset, len(text))


def scalar_positions(lines: list[str], line: int, column: int, style: str | None, text: str) -> list[Position] | None:
    """The source position of each character of the parsed scalar ``text`` whose node starts at (line,
    column), 0-based, or None when walking the source in ``style`` does not reproduce ``text``."""
    if style in ("|", ">"):
        return _block_positions(lines, line, style == ">", text)
    if style in ("'", '"'):
        column += 1
    walker = _Flow(lines, line, column, text, style or "")
    return walker.walk()


class _Flow:
    """A plain, single- or double-quoted scalar: content runs across lines; a line break folds to a space
    (or to n newlines over n empty lines), whitespace around it is dropped, an escape is one character."""

    def __init__(self, lines: list[str], line: int, column: int, text: str, quote: str) -> None:
        self.lines, self.line, self.column, self.text, self.quote = lines, line, column, text, quote
        self.out: list[Position] = []

    def emit(self, char: str, line: int, column: int) -> bool:
        if len(self.out) >= len(self.text) or self.text[len(self.out)] != char:
            return False
        self.out.append((line, column))
        return True

    def walk(self) -> list[Position] | None:
        while len(self.out) < len(self.text) and self.line < len(self.lines):
            state = self.walk_line(self.lines[self.line])
            if state == "end":
                break
            if state == "escaped":  # `\` at the end of a line: the lines join without a space
                self.line += 1
                if not self.skip_empty_lines(None):
                    return None
            elif state == "break":
                row = self.lines[self.line]
                self.line += 1
                if not self.skip_empty_lines((self.line - 1, len(row.rstrip(" \t")))):
                    return None
            else:
                return None
        return self.out if len(self.out) == len(self.text) else None

    def walk_line(self, row: str) -> str | None:
        """Consume one line's content: "end" (the scalar ends), "break", "escaped" or None (mismatch)."""
        content_end = len(row.rstrip(" \t"))  # whitespace before a line break is not content
        while len(self.out) < len(self.text):
            col = self.column
            if col >= content_end:
                return "break"
            char = row[col]
            if self.quote == '"' and char == '"':
                return "end"
            if self.quote == "'" and char == "'":
                if row[col + 1 : col + 2] != "'":
                    return "end"
                self.column += 1  # '' is one quote
            elif self.quote == '"' and char == "\\":
                escape = row[col + 1 : col + 2]
                if not escape:
                    return "escaped"
                if escape not in _ESCAPES and escape not in _HEX_ESCAPES:
                    return None
                self.column += 1 + _HEX_ESCAPES.get(escape, 0)
                char = self.text[len(self.out)]  # whatever the escape stands for
            if not self.emit(char, self.line, col):
                return None
            self.column += 1
        return "end"

    def skip_empty_lines(self, folded_at: Position | None) -> bool:
        """After a line break: each empty line is a newline; a folded break with none is a space. Then the
        next line's indentation is skipped."""
        count = 0
        while self.line < len(self.lines) and not self.lines[self.line].strip(" \t"):
            if not self.emit("\n", self.line, 0):
                return False
            count += 1
            self.line += 1
        if folded_at is not None and count == 0 and not self.emit(" ", *folded_at):
            return False
        if self.line < len(self.lines):
            row = self.lines[self.line]
            self.column = len(row) - len(row.lstrip(" \t"))
        return True


def _block_positions(lines: list[str], line: int, folded: bool, text: str) -> list[Position] | None:
    """A literal (``|``) or folded (``>``) block scalar whose indicator is on ``line``; the indentation is
    the first content line's (or, with an explicit indicator, whichever one reproduces ``text``)."""
    first = next((row for row in lines[line + 1 :] if row.strip(" ")), None)
    if first is None:
        return None
    widest = len(first) - len(first.lstrip(" "))
    for indent in range(widest, 0, -1):
        chars, out = _block_text(lines, line + 1, indent, folded)
        core = "".join(chars)
        if text.startswith(core) and not text[len(core) :].strip("\n"):
            if len(text) > len(core) and out:  # the kept final line breaks: at the end of the last line
                out += [(out[-1][0], out[-1][1] + 1)] * (len(text) - len(core))
            return out or None
    return None


def _block_text(lines: list[str], line: int, indent: int, folded: bool) -> tuple[list[str], list[Position]]:
    """PyYAML's ``scan_block_scalar`` on source lines, without chomping: the characters and their places."""
    chars: list[str] = []
    out: list[Position] = []

    def is_break(row: str) -> bool:
        return not row.strip(" ") and len(row) <= indent

    def at_indent(row: str) -> bool:
        return row[:indent] == " " * indent and not is_break(row)

    breaks: list[int] = []
    while line < len(lines) and not lines[line].strip(" "):  # leading empty lines
        breaks.append(line)
        line += 1
    while line < len(lines) and at_indent(lines[line]):
        for number in breaks:
            chars.append("\n")
            out.append((number, 0))
        row = lines[line]
        leading_non_space = row[indent] not in " \t"
        chars.extend(row[indent:])
        out.extend((line, col) for col in range(indent, len(row)))
        end = (line, len(row))
        line += 1
        breaks = []
        while line < len(lines) and is_break(lines[line]):
            breaks.append(line)
            line += 1
        if line >= len(lines) or not at_indent(lines[line]):
            break
        if not (folded and leading_non_space and lines[line][indent] not in " \t"):
            chars.append("\n")
            out.append(end)
        elif not breaks:
            chars.append(" ")
            out.append(end)
    return chars, out


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


def yaml_problem(exc: yaml.YAMLError) -> str:
    """What PyYAML says is wrong; its own nesting limit (PyYAML 6.0.4 and later) is said as ours is."""
    problem = str(getattr(exc, "problem", None) or exc)
    if "nesting depth" in problem:
        return f"nesting deeper than {MAX_DEPTH} levels"
    return problem


def _yaml_error(file: str, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = yaml_problem(exc)
    if mark is not None:
        return f"{location(file, mark.line + 1, mark.column + 1)}: invalid YAML: {problem}"
    return f"{file}: invalid YAML: {problem}"


def _expanded_size(node: yaml.Node, memo: dict[int, int], file: str) -> int:
    """Node count once every alias is expanded (what a consumer walking the data will visit). The first
    (innermost) node over ``MAX_EXPANDED_NODES`` is named with its line: that is where the bomb is."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # a recursive alias counts once; PyYAML builds a cyclic structure for it
    total = 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            total += _expanded_size(k, memo, file) + _expanded_size(v, memo, file)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            total += _expanded_size(item, memo, file)
    if total > MAX_EXPANDED_NODES:
        where = location(file, node.start_mark.line + 1, node.start_mark.column + 1)
        raise ConfigError(f"{where}: expands to more than {MAX_EXPANDED_NODES} values through aliases; refusing it")
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
        if isinstance(node.value, str):
            marks.texts[path] = node.value
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
        marks = Marks(file, lines=_LINE_BREAK.split(text))
        if node is None:
            return None, marks
        _expanded_size(node, {}, file)
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
