"""The summary codec decodes only what a summary's type declares: each case is a type, stored data, and
either the value it decodes to or the refusal (``CodecError``, the cache's miss). The generated dataclass
decoders check scalars, optional scalars and lists of scalars inline; these cases pin that they refuse
exactly what the general decoders refuse (``True`` is no line number, ``None`` no name)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from anops_policy.collection.summary_codec import CodecError, decode, encode


@dataclass(frozen=True)
class Where:
    line: int
    name: str
    column: int | None = None


@dataclass
class Summary:
    path: str
    test: bool
    lines: list[int] = field(default_factory=list)
    names: tuple[str, ...] = ()
    where: list[Where] = field(default_factory=list)
    owner: Where | None = None
    ratio: float = 0.0
    extra: Any = None


@dataclass
class Empty:
    pass


GOOD = Summary("a.py", True, [1, 2], ("x",), [Where(3, "f", None), Where(4, "g", 7)], Where(1, "m"), 0.5, {"k": [1]})
ENCODED = encode(GOOD, Summary)

CASES: list[tuple[str, Any, Any, Any]] = [
    # (id, type, data, expected value — or CodecError)
    ("round-trip", Summary, ENCODED, GOOD),
    ("empty-dataclass", Empty, [], Empty()),
    ("int-for-str", Where, [1, 2, None], CodecError),
    ("bool-for-int", Where, [True, "f", None], CodecError),
    ("none-for-str", Where, [1, None, None], CodecError),
    ("bool-for-optional-int", Where, [1, "f", False], CodecError),
    ("optional-int-absent", Where, [1, "f", None], Where(1, "f", None)),
    ("too-few-fields", Where, [1, "f"], CodecError),
    ("too-many-fields", Where, [1, "f", None, 4], CodecError),
    ("object-for-record", Where, {"line": 1}, CodecError),
    ("list-with-a-bool", Summary, [*ENCODED[:2], [1, True], *ENCODED[3:]], CodecError),
    ("list-with-a-string", Summary, [*ENCODED[:2], [1, "2"], *ENCODED[3:]], CodecError),
    ("list-for-a-list-not", Summary, [*ENCODED[:2], "12", *ENCODED[3:]], CodecError),
    ("empty-list", Summary, [*ENCODED[:2], [], *ENCODED[3:]], Summary(**{**vars(GOOD), "lines": []})),
    ("tuple-of-names-with-null", Summary, [*ENCODED[:3], ["x", None], *ENCODED[4:]], CodecError),
    ("nested-record-refused", Summary, [*ENCODED[:4], [[3, 4, None]], *ENCODED[5:]], CodecError),
    ("int-for-float", Summary, [*ENCODED[:6], 1, ENCODED[7]], Summary(**{**vars(GOOD), "ratio": 1.0})),
    ("string-for-float", Summary, [*ENCODED[:6], "1", ENCODED[7]], CodecError),
]


@pytest.mark.parametrize(("kind", "data", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_decode(kind: Any, data: Any, expected: Any) -> None:
    if expected is CodecError:
        with pytest.raises(CodecError):
            decode(data, kind)
    else:
        assert decode(data, kind) == expected


def test_a_decoded_list_is_a_copy() -> None:
    """The collector may change what it was given; the store's data must not change with it."""
    data = encode(GOOD, Summary)
    decode(data, Summary).lines.append(99)
    assert data[2] == [1, 2]
