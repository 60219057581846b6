"""Hostile inputs to the ``files`` parsers: each ends as a ParseFailure (or a clean parse) quickly, never as
a hang, a RecursionError or an expansion. The time bound is loose on purpose (a parse takes ~0.6 s at most
here): it catches a quadratic pass or an exponential expansion, which would take minutes, not CI jitter."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from anops_policy.collectors.files.parsers import PARSERS, ParseFailure

BOUND_S = 3.0


@contextmanager
def bounded() -> Iterator[None]:
    """CPU time of this process (the parsers run in it): a bound the machine's other load does not move."""
    start = time.process_time()
    yield
    elapsed = time.process_time() - start
    assert elapsed < BOUND_S, f"took {elapsed:.2f} s of CPU"


YAML_BOMB = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]"
            for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)
XML_BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<lolz>&lol3;</lolz>
"""
XML_EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE data [
  <!ENTITY file SYSTEM "file:///etc/passwd">
]>
<data>&file;</data>
"""
XML_EXTERNAL_PARAMETER = """<?xml version="1.0"?>
<!DOCTYPE data [
  <!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd">
  %remote;
]>
<data/>
"""


def test_yaml_alias_bomb() -> None:
    with bounded(), pytest.raises(ParseFailure) as caught:
        PARSERS["yaml"](YAML_BOMB)
    assert caught.value.line is not None
    assert "alias" in caught.value.reason or "expands" in caught.value.reason


@pytest.mark.parametrize("parser", ["json", "jsonc", "json5"])
def test_thousand_levels_of_json(parser: str) -> None:
    text = '{"a":\n' + "[" * 1000 + "]" * 1000 + "}"
    with bounded(), pytest.raises(ParseFailure) as caught:
        PARSERS[parser](text)
    assert caught.value.line == 2
    assert "nesting deeper than 100 levels" in caught.value.reason


@pytest.mark.parametrize(
    ("parser", "text"),
    [
        ("yaml", "a: " + "[" * 1000 + "]" * 1000),
        ("toml", "a = " + "[" * 1000 + "]" * 1000),
        ("xml", "<a>" * 1000 + "</a>" * 1000),
    ],
)
def test_thousand_levels_elsewhere(parser: str, text: str) -> None:
    with bounded(), pytest.raises(ParseFailure) as caught:
        PARSERS[parser](text)
    assert caught.value.line is not None
    assert "deeper" in caught.value.reason


@pytest.mark.parametrize(
    ("text", "line"), [(XML_BOMB, 3), (XML_EXTERNAL, 3), (XML_EXTERNAL_PARAMETER, 3)], ids=["laughs", "file", "dtd"]
)
def test_xml_entities_are_refused(text: str, line: int) -> None:
    with bounded(), pytest.raises(ParseFailure) as caught:
        PARSERS["xml"](text)
    assert caught.value.line == line
    assert "EntitiesForbidden" in caught.value.reason


def _five_megabytes() -> str:
    items = ",".join(json.dumps({"name": f"item{i}", "value": i, "tags": ["a", "b"]}) for i in range(90_000))
    text = '{"items": [' + items + "]}"
    assert "\n" not in text and len(text) > 5_000_000
    return text


@pytest.mark.parametrize("parser", ["json", "json5"])
def test_five_megabyte_single_line_json(parser: str) -> None:
    text = _five_megabytes()
    with bounded():
        (document,) = PARSERS[parser](text)
    assert len(document.data["items"]) == 90_000
    assert set(document.lines.values()) == {1}
    assert document.lines["/items/0/name"] == 1


def test_non_finite_numbers_are_refused() -> None:
    for parser, text in [("json", '{"a": NaN}'), ("json5", "{a: Infinity}"), ("toml", "a = nan"), ("yaml", "a: .inf")]:
        with pytest.raises(ParseFailure) as caught:
            PARSERS[parser](text)
        assert caught.value.line == 1, parser
