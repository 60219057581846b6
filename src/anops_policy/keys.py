"""Ed25519 keys shared by everything that signs or verifies: decision-log events and heads (audit), and
policy-pack signatures (packs). Key files are PEM (PKCS#8 / SubjectPublicKeyInfo, as ``audit keygen`` and
``openssl genpkey -algorithm ed25519`` write them) or the 32 raw bytes as base64 or hex text."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # cryptography loads when a key is read or used (start-up of an unsigned run)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from anops_policy.errors import ConfigError

SIGNING_KEY_ENV = "ANOPS_POLICY_SIGNING_KEY"


def key_id(public: Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415

    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]


def _raw_key_bytes(data: bytes) -> bytes | None:
    """A 32-byte key given raw, or as base64 or hex text."""
    if len(data) == 32:
        return data
    try:
        text = data.strip().decode("ascii")
    except UnicodeDecodeError:
        return None
    raw: bytes | None = None
    with contextlib.suppress(ValueError):
        raw = bytes.fromhex(text)
    if raw is None:
        with contextlib.suppress(ValueError, binascii.Error):
            raw = base64.b64decode(text, validate=True)
    return raw if raw is not None and len(raw) == 32 else None


@dataclass(frozen=True)
class Signer:
    key: Ed25519PrivateKey

    @property
    def key_id(self) -> str:
        return key_id(self.key.public_key())

    def sign(self, message: bytes) -> dict[str, str]:
        return {"alg": "Ed25519", "key_id": self.key_id, "value": base64.b64encode(self.key.sign(message)).decode()}


def load_signer(data: bytes, source: str) -> Signer:
    """An Ed25519 private key: PEM (PKCS#8, as ``openssl genpkey -algorithm ed25519`` writes) or the
    32-byte seed as base64/hex."""
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: PLC0415

    if b"-----BEGIN" in data:
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"signing key {source}: not a readable unencrypted PEM private key ({exc})") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError(f"signing key {source}: a {type(key).__name__}, expected an Ed25519 key")
        return Signer(key)
    raw = _raw_key_bytes(data)
    if raw is None:
        raise ConfigError(f"signing key {source}: expected a PEM Ed25519 private key or a 32-byte seed "
                          "in base64 or hex")
    return Signer(Ed25519PrivateKey.from_private_bytes(raw))


def signer_from(path: Path | None, environ: Mapping[str, str] | None = None) -> Signer | None:
    """``--signing-key FILE``, else the key material in ``$ANOPS_POLICY_SIGNING_KEY``, else no signing."""
    if path is not None:
        try:
            return load_signer(path.read_bytes(), str(path))
        except OSError as exc:
            raise ConfigError(f"--signing-key {path}: cannot read: {exc.strerror or exc}") from None
    env = os.environ if environ is None else environ
    value = env.get(SIGNING_KEY_ENV)
    if value:
        return load_signer(value.encode(), f"${SIGNING_KEY_ENV}")
    return None


def load_public_key(data: bytes, source: str) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: PLC0415

    if b"-----BEGIN" in data:
        try:
            key = serialization.load_pem_public_key(data)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"public key {source}: not a readable PEM public key ({exc})") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ConfigError(f"public key {source}: a {type(key).__name__}, expected an Ed25519 key")
        return key
    raw = _raw_key_bytes(data)
    if raw is None:
        raise ConfigError(f"public key {source}: expected a PEM Ed25519 public key or 32 raw bytes in base64 or hex")
    return Ed25519PublicKey.from_public_bytes(raw)


def signature_ok(keys: Ed25519PublicKey | Sequence[Ed25519PublicKey], signature: Any, message: bytes) -> bool:
    """The signature verifies with one of ``keys`` (CI and each engineer may sign with their own)."""
    from cryptography.exceptions import InvalidSignature  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: PLC0415

    if not isinstance(signature, Mapping) or signature.get("alg") != "Ed25519":
        return False
    try:
        raw = base64.b64decode(str(signature.get("value", "")), validate=True)
    except (ValueError, binascii.Error):
        return False
    for key in [keys] if isinstance(keys, Ed25519PublicKey) else keys:
        try:
            key.verify(raw, message)
        except InvalidSignature:
            continue
        return True
    return False
