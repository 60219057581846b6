"""Pack signatures: Ed25519 over the RFC 8785 canonical JSON of ``{apiVersion, id, version, digest}``. The
digest covers every file of the pack (manifest.py), so a signature vouches for exactly that content; it
travels inside the artifact (``signature.json`` in the archive, a second layer of the OCI artifact)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from anops_policy.canonical import dumps as canonical_json
from anops_policy.keys import Signer, key_id, signature_ok

if TYPE_CHECKING:  # cryptography loads with the keys that check signatures (anops_policy.keys)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

SIGNATURE_API = "anops.dev/pack-signature/v1"
MAX_SIGNATURES = 16
MAX_KEY_ID = 64  # characters of a claimed key id shown in a message or report


def signed_message(manifest: Mapping[str, Any]) -> bytes:
    return canonical_json({
        "apiVersion": SIGNATURE_API, "id": str(manifest["id"]), "version": str(manifest["version"]),
        "digest": str(manifest["digest"]),
    })


def sign(manifest: Mapping[str, Any], signer: Signer, previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """The signature document with ``signer``'s signature added (replacing an earlier one by the same key;
    signatures of other keys over the same digest are kept, those over another digest dropped)."""
    kept: list[dict[str, Any]] = []
    if previous is not None and previous.get("digest") == manifest["digest"]:
        kept = [dict(s) for s in previous.get("signatures", []) if isinstance(s, dict)
                and s.get("key_id") != signer.key_id]
    return {
        "apiVersion": SIGNATURE_API, "id": manifest["id"], "version": manifest["version"],
        "digest": manifest["digest"], "signatures": [*kept, signer.sign(signed_message(manifest))],
    }


@dataclass(frozen=True)
class Verdict:
    ok: bool
    signed_by: tuple[str, ...]  # key ids whose signature verified with a trusted key
    problem: str = ""  # why not, for the message


def shown_key_id(value: Any) -> str:
    """A claimed key id as the report shows it: printable characters only, at most MAX_KEY_ID of them (the
    text comes from an unverified artifact; a real key id is ``ed25519:`` and 16 hex digits)."""
    text = "".join(c for c in str(value)[:MAX_KEY_ID * 4] if c.isprintable())
    return text if len(text) <= MAX_KEY_ID else text[:MAX_KEY_ID - 1] + "…"


def signers(signature: Mapping[str, Any] | None) -> list[str]:
    """The key ids a signature document claims (unverified: for display, bounded and printable)."""
    if not isinstance(signature, Mapping) or not isinstance(signature.get("signatures"), list):
        return []
    return [shown_key_id(s.get("key_id")) for s in signature["signatures"][:MAX_SIGNATURES] if isinstance(s, Mapping)]


def verify(manifest: Mapping[str, Any], signature: Mapping[str, Any] | None,
           keys: Sequence[Ed25519PublicKey]) -> Verdict:
    """Whether the artifact carries a valid signature, by one of ``keys``, over its manifest's digest."""
    trusted = ", ".join(key_id(k) for k in keys)
    if signature is None:
        return Verdict(False, (), "it is not signed (no signature.json; sign it with `anops-policy pack sign`)")
    if signature.get("apiVersion") != SIGNATURE_API:
        return Verdict(False, (), f"signature.json: apiVersion {signature.get('apiVersion')!r}, expected "
                                  f"'{SIGNATURE_API}'")
    if signature.get("digest") != manifest.get("digest"):
        return Verdict(False, (), f"signature.json signs digest {signature.get('digest')}, but the pack's digest "
                                  f"is {manifest.get('digest')} (the content changed after signing)")
    entries = signature.get("signatures")
    if not isinstance(entries, list) or not entries:
        return Verdict(False, (), "signature.json holds no signatures")
    message = signed_message(manifest)
    good = tuple(
        key_id(key) for key in keys
        if any(signature_ok(key, entry, message) for entry in entries[:MAX_SIGNATURES])
    )
    if good:
        return Verdict(True, good)
    claimed = ", ".join(signers(signature)) or "no key"
    return Verdict(False, (), f"no signature verifies with a trusted key (signed by {claimed}; trusted: {trusted})")
