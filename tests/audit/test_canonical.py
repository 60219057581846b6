"""``anops_policy.canonical.dumps`` writes exactly ``rfc8785.dumps``'s bytes, through the standard library's
encoder where that renders the same and through ``rfc8785`` elsewhere: on generated documents (every JSON
type, control characters, keys above U+FFFF, integers at and beyond the 53-bit limit, floats) and on
the values ``rfc8785`` refuses (same error type)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from anops_policy import canonical

TEXT = st.text(alphabet=st.characters(codec="utf-8", min_codepoint=0, max_codepoint=0x10FFFF), max_size=12)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=5),
    max_leaves=40,
)


def reference(value: Any) -> bytes | type[BaseException]:
    try:
        return rfc8785.dumps(value)
    except Exception as exc:  # the reference's refusal: the fast path must refuse alike
        return type(exc)


def ours(value: Any) -> bytes | type[BaseException]:
    try:
        return canonical.dumps(value)
    except Exception as exc:
        return type(exc)


@settings(max_examples=400, deadline=None)
@given(DOCUMENTS)
def test_generated_documents_match_the_reference(value: Any) -> None:
    assert ours(value) == reference(value)


@pytest.mark.parametrize(
    "value",
    [
        {"\U0001f600": 1, "\ue000": 2, "a": 3},  # UTF-16 order differs from code point order here
        {"ctl": "\x00\x01\x08\x09\x0a\x0b\x0c\x0d\x1f\x7f\u2028\u2029\"\\/"},
        [2**53 - 1, -(2**53 - 1)],
        [2**53],  # refused by the reference: no exact double
        {"f": [1.0, 0.5, 1e21, 5e-324, -0.0]},
        "\ud800",  # a lone surrogate
        {"t": (1, 2)},  # a tuple is an array to rfc8785
        [True, False, None, "é", ""],
    ],
    ids=["supplementary-keys", "control-chars", "safe-ints", "unsafe-int", "floats", "surrogate", "tuple", "mixed"],
)
def test_edge_values_match_the_reference(value: Any) -> None:
    assert ours(value) == reference(value)


def test_a_real_fact_document_matches_the_reference() -> None:
    """Saved fact documents and reports (the golden files of the outputs and collector tests): what digests
    and the decision log's chain are computed over."""
    root = Path(__file__).resolve().parents[2]
    documents = [root / "tests/outputs/golden_facts/facts.json", root / "tests/outputs/golden/json.json"]
    documents += sorted(root.glob("tests/collectors/*/cases/*/expected.json"))[:40]
    for path in documents:
        value = json.loads(path.read_text(encoding="utf-8"))
        assert ours(value) == reference(value), path
