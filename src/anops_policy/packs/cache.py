"""The pack cache: pulled artifacts stored by pack digest, so a pinned pack needs the network once and then
works offline. What comes out of the cache is verified again like a download (the cache is a folder anyone
on the machine might edit); the unpacked copy a run loads is written from a verified archive."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from anops_policy.packs.archive import MAX_ARCHIVE_BYTES
from anops_policy.packs.sources import DIGEST

CACHE_ENV = "ANOPS_POLICY_PACK_CACHE"


def cache_root() -> Path:
    """``$ANOPS_POLICY_PACK_CACHE``, else ``$XDG_CACHE_HOME/anops-policy/packs``, else ``~/.cache/…``."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "anops-policy" / "packs"


def _hex(digest: str) -> str:
    if not DIGEST.match(digest):
        raise ValueError(f"not a sha256 digest: {digest!r}")
    return digest.removeprefix("sha256:")


def archive_path(digest: str) -> Path:
    return cache_root() / "archives" / f"{_hex(digest)}.tar.gz"


def load(digest: str) -> bytes | None:
    """The cached archive of ``digest``, or None (absent, unreadable or oversized: fetched again)."""
    try:
        with archive_path(digest).open("rb") as fh:
            data = fh.read(MAX_ARCHIVE_BYTES + 1)
    except OSError:
        return None
    return data if len(data) <= MAX_ARCHIVE_BYTES else None


def store(digest: str, data: bytes) -> None:
    """Keep an archive (atomically; a cache that cannot be written only costs a later download)."""
    target = archive_path(digest)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        Path(tmp).replace(target)
    except OSError:
        return


def unpack(digest: str, files: Mapping[str, bytes]) -> Path:
    """A folder holding exactly ``files`` (names already checked by ``read_archive``), rewritten from them
    each time so that an edit to an earlier copy is never loaded."""
    root = cache_root() / "unpacked"
    root.mkdir(parents=True, exist_ok=True)
    target = root / _hex(digest)
    staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    for name, data in files.items():
        path = staging / name
        if staging not in path.resolve().parents:  # belt and braces: names are checked when read
            raise ValueError(f"pack file name escapes its folder: {name!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=".old-", dir=root))
        target.replace(old / "pack")
    staging.replace(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return target
