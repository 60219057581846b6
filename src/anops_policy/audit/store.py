"""The content-addressed store beside the decision log: the fact document, packs and config of each
evaluation, gzip-compressed under ``objects/sha256/<2 hex>/<62 hex>.json.gz`` so ``audit replay`` can
re-evaluate exactly what was decided. The address is the SHA-256 of the canonical JSON (uncompressed),
so identical inputs are stored once and a changed byte is detectable."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import tempfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from anops_policy.audit.decision_log import canonical, sha256, write_atomic
from anops_policy.config import RepoConfig, config_from_data
from anops_policy.errors import ConfigError, InputError
from anops_policy.policy.model import Pack
from anops_policy.policy.packs import builtin_pack_dir, load_pack, pack_file_name, pack_files

MAX_OBJECT_BYTES = 512 * 1024 * 1024
# a stored pack's file names: files of the pack folder, and pattern files in its patterns/ folder
SAFE_PACK_FILE = re.compile(r"^(patterns/)?[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def object_path(store: Path, address: str) -> Path:
    algo, _, hexdigest = address.partition(":")
    if algo != "sha256" or len(hexdigest) != 64 or not all(c in "0123456789abcdef" for c in hexdigest):
        raise InputError(f"not an object address: {address!r}")
    return store / "sha256" / hexdigest[:2] / f"{hexdigest[2:]}.json.gz"


def put(store: Path, value: Any) -> str:
    data = canonical(value)
    address = sha256(data)
    path = object_path(store, address)
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, gzip.compress(data, compresslevel=6, mtime=0))
    return address


def get_bytes(store: Path, address: str) -> bytes:
    path = object_path(store, address)
    try:
        with gzip.open(path, "rb") as fh:
            data = fh.read(MAX_OBJECT_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"stored object {address} is missing from {store}") from None
    except (OSError, EOFError, zlib.error) as exc:  # a corrupt deflate stream raises zlib.error, not OSError
        raise InputError(f"stored object {address} in {store} is unreadable: {exc}") from None
    if len(data) > MAX_OBJECT_BYTES:
        raise InputError(f"stored object {address} is over {MAX_OBJECT_BYTES} bytes")
    return data


def get(store: Path, address: str) -> Any:
    data = get_bytes(store, address)
    if sha256(data) != address:
        raise InputError(f"stored object {address} in {store} does not match its address (corrupt or edited)")
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:  # bytes that hash right but are not JSON (written by hand)
        raise InputError(f"stored object {address} in {store} is not JSON: {str(exc)[:200]}") from None


def problem(store: Path, address: str) -> str | None:
    """Why the object cannot be used (missing, unreadable, not matching its address), or None."""
    try:
        data = get_bytes(store, address)
    except InputError as exc:
        return str(exc)
    if "sha256:" + hashlib.sha256(data).hexdigest() != address:
        return f"stored object {address} does not match its address (corrupt or edited)"
    return None


# ---------------------------------------------------------------- what is stored


def pack_folder(pack: Pack) -> Path:
    if pack.folder:
        return Path(pack.folder)
    source = pack.source
    if source.startswith("builtin:"):
        return builtin_pack_dir(source.removeprefix("builtin:"))
    return Path(source)


def pack_bundle(pack: Pack) -> dict[str, Any]:
    """The pack's files as text, keyed by name; rebuilding them gives the same pack digest."""
    folder = pack_folder(pack)
    files: dict[str, str] = {}
    digest = hashlib.sha256()
    for file in pack_files(folder):
        data = file.read_bytes()
        name = pack_file_name(folder, file)
        digest.update(name.encode() + b"\0" + data + b"\0")
        files[name] = data.decode("utf-8")
    if "sha256:" + digest.hexdigest() != pack.digest:
        raise ConfigError(f"pack {pack.id} ({pack.source}) changed on disk during the evaluation; run it again")
    return {"id": pack.id, "version": pack.version, "source": pack.source, "digest": pack.digest, "files": files}


def config_bundle(config: RepoConfig) -> dict[str, Any]:
    return {"file": config.file, "raw": dict(config.raw)}


def config_digest(config: RepoConfig) -> str:
    return sha256(canonical(dict(config.raw)))


@contextmanager
def restored_packs(bundles: Sequence[Mapping[str, Any]]) -> Iterator[list[Pack]]:
    """Write stored packs to a temporary folder and load them (with their original display names)."""
    with tempfile.TemporaryDirectory(prefix="anops-replay-") as tmp:
        packs = []
        for index, bundle in enumerate(bundles):
            folder = Path(tmp) / f"{index}-{bundle['id']}"
            folder.mkdir()
            for name, text in bundle["files"].items():
                if not SAFE_PACK_FILE.match(name):
                    raise InputError(f"stored pack {bundle['id']}: unsafe file name {name!r}")
                (folder / name).parent.mkdir(exist_ok=True)
                (folder / name).write_text(text, encoding="utf-8")
            packs.append(load_pack(folder, display=str(bundle["source"])))
        yield packs


def restored_config(bundle: Mapping[str, Any]) -> RepoConfig:
    raw = bundle.get("raw") or {}
    if not raw:
        return RepoConfig(raw={}, file=bundle.get("file"))
    return config_from_data(raw, None, str(bundle.get("file") or "stored config"))
