"""``find_tags`` (the fast ``str.find`` search the collector uses) finds exactly what the documented
regex ``\\b(TODO|FIXME|XXX|HACK)\\b`` finds — including Unicode word characters and overlapping tags."""

from __future__ import annotations

import random
import re

from anops_policy.collectors.source import find_tags

PATTERN = re.compile(r"\b(TODO|FIXME|XXX|HACK)\b")
PIECES = ["TODO", "FIXME", "XXX", "HACK", "X", "TODOS", "_", "é", "٣", " ", "\n", "a", "1", "-", "#", "//"]


def regex_tags(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(1)) for m in PATTERN.finditer(text)]


def test_find_tags_agrees_with_the_regex_on_random_text() -> None:
    rng = random.Random(20261126)
    for _ in range(20000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 14)))
        assert find_tags(text) == regex_tags(text), repr(text)


def test_find_tags_examples() -> None:
    assert find_tags("# TODO: x FIXME") == [(2, 6, "TODO"), (10, 15, "FIXME")]
    assert find_tags("XXXX TODOs éTODO TODO_ _HACK") == []
    assert find_tags("XXX-HACK") == [(0, 3, "XXX"), (4, 8, "HACK")]
