"""``Marks.inside``: a position inside a parsed YAML string maps back to its place in the source, for
every scalar style (escapes, doubled quotes, line folding, block indentation and chomping)."""

from __future__ import annotations

import random

import pytest
import yaml

from anops_policy.yamlsafe import load_yaml, scalar_positions

# (source, path of the string, substring of the parsed value, its expected file line:column)
CASES = [
    ("k: ab cd\n  ef\n\n\n  gh  \n  ij # c\n", ("k",), "ef", "2:3"),
    ("k: ab cd\n  ef\n\n\n  gh  \n  ij # c\n", ("k",), "gh", "5:3"),
    ('k: "\\"a\\\\b\\" \\u00e9\\x41 nope"\n', ("k",), "nope", "1:25"),
    ('k: "ab\\\n    cd \\\n  ef"\n', ("k",), "cd", "2:5"),
    ('k: "ab\\\n    cd \\\n  ef"\n', ("k",), "ef", "3:3"),
    ("k: 'it''s\n\n   a ''x'''\n", ("k",), "'x'", "3:6"),
    ("k: {a: b c\n  d, e: 'f'}\n", ("k", "a"), "d", "2:3"),
    ("k: [\"x\\ny\", 'z', plain\n   fold]\n", ("k", 2), "fold", "2:4"),
    ("- k: >-  # comment\n    a b\n    c\n\n      more\n    back\n", (0, "k"), "more", "5:7"),
    ("- k: >-  # comment\n    a b\n    c\n\n      more\n    back\n", (0, "k"), "back", "6:5"),
    ("k: |2\n    first\n  base\n", ("k",), "first", "2:5"),
    ("k: |2\n    first\n  base\n", ("k",), "base", "3:3"),
    ("k: >\n\n\n  a\n  b\n", ("k",), "b", "5:3"),
    ("k: |+\n  a\n\n  b\n\n\n", ("k",), "b", "4:3"),
    ("k:   \n  plain on the next line\n  continued\n", ("k",), "continued", "3:3"),
    ('k: "é\\"b"\n', ("k",), "b", "1:8"),
]


@pytest.mark.parametrize(("source", "path", "needle", "expected"), CASES)
def test_inside_maps_a_parsed_position_to_the_source(
    source: str, path: tuple[str | int, ...], needle: str, expected: str
) -> None:
    _, marks = load_yaml(source, "f.yaml")
    value = marks.texts[path]
    offset = value.index(needle)
    line = value.count("\n", 0, offset) + 1
    column = offset - (value.rfind("\n", 0, offset) + 1) + 1
    assert marks.inside(path, line, column) == f"f.yaml:{expected}"


def test_just_past_the_end_and_unmappable_values() -> None:
    _, marks = load_yaml("k: 'abc'\nn: {a: 1}\n", "f.yaml")
    assert marks.inside(("k",), 1, 4) == "f.yaml:1:8"  # one past the last character
    assert marks.inside(("n",), 1, 2) == "f.yaml:2:4"  # not a scalar: the value's start
    marks.lines[0] = "k: 'xyz'"  # the source no longer reproduces the value: the value's start
    assert marks.inside(("k",), 1, 2) == "f.yaml:1:4"


@pytest.mark.parametrize("style", [None, "'", '"', "|", ">"])
def test_every_dumped_character_maps_to_itself(style: str | None) -> None:
    """PyYAML's own emitter in each style, at several widths (so it folds and escapes): every
    character that is not whitespace maps to itself in the source, or to the escape that wrote it."""
    rnd = random.Random(1234)
    alphabet = "abcdé  \n\n'\"\\#:-{}[],\t\x85"
    checked = 0
    for _ in range(400):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 40)))
        nest = rnd.random() < 0.3
        source = yaml.dump(
            {"k": {"j": [text]}} if nest else {"k": text},
            default_style=style,
            width=rnd.choice([8, 15, 80]),
            allow_unicode=True,
        )
        _, marks = load_yaml(source, "f.yaml")
        path = ("k", "j", 0) if nest else ("k",)
        if marks.texts[path] != text or not text.strip("\n"):
            continue  # the emitter chose another type, or nothing to map
        line, column = marks.values[path]
        positions = scalar_positions(marks.lines, line - 1, column - 1, marks.styles[path], text)
        assert positions is not None, source
        for char, (row, col) in zip(text, positions, strict=True):
            if char not in " \t\n":
                found = marks.lines[row][col]
                assert found in (char, "\\"), (source, text)
        checked += 1
    assert checked > 100
