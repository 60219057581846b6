"""The key ids a pinned but unchecked pack claims reach the report as text of the artifact's author: each is
shown bounded and printable (no terminal escapes, no line breaks, no bidirectional overrides)."""

from __future__ import annotations

from typing import Any

import pytest

from anops_policy.packs.opening import unverified_note
from anops_policy.packs.signature import MAX_SIGNATURES, SIGNATURE_API, signers
from anops_policy.packs.sources import parse_source

REAL = "ed25519:0123456789abcdef"
MAX_KEY_ID = 64  # characters shown of one claimed key id (a real one has 24)
# (claimed key_id, how the report shows it)
CLAIMED: list[tuple[Any, str]] = [
    (REAL, REAL),
    ("ed25519:\x1b[2J\x1b[31mtrusted\x1b[0m", "ed25519:[2J[31mtrusted[0m"),  # terminal escapes lose ESC
    ("ed25519:abc\nSIGNED AND VERIFIED by release-key", "ed25519:abcSIGNED AND VERIFIED by release-key"),
    ("ed25519:\u202eyek-esaeler", "ed25519:yek-esaeler"),  # a right-to-left override
    ("x" * 100_000, "x" * (MAX_KEY_ID - 1) + "…"),
    (12345, "12345"),
    (None, "None"),
]


@pytest.mark.parametrize(("claimed", "shown"), CLAIMED, ids=[repr(c)[:30] for c, _ in CLAIMED])
def test_a_claimed_key_id_is_shown_bounded_and_printable(claimed: Any, shown: str) -> None:
    signature = {"apiVersion": SIGNATURE_API, "signatures": [{"key_id": claimed, "value": "AA=="}]}
    assert signers(signature) == [shown]
    manifest = {"id": "acme", "version": "1.0.0", "digest": "sha256:" + "0" * 64}
    note = unverified_note(manifest, parse_source("oci://registry.example/acme/pack:1.0.0"), signature)
    assert f"carries a signature by {shown} that was NOT checked" in note
    assert note.isprintable() and len(note) < 600


def test_only_the_first_signatures_are_shown() -> None:
    entries = [{"key_id": "k" * 1000} for _ in range(MAX_SIGNATURES * 10)]
    shown = signers({"signatures": entries})
    assert len(shown) == MAX_SIGNATURES and all(len(s) == MAX_KEY_ID for s in shown)
