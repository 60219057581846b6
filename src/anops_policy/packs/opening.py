"""From a pack reference to a loaded, verified pack: fetch (by the locked pin when the lock file has one,
from the cache when it holds that digest), check the archive against its manifest, the engine range and
the trust policy, unpack into the cache and load it like any pack folder. Nothing is evaluated with a pack
that failed any of these steps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anops_policy.errors import ConfigError
from anops_policy.packs import cache
from anops_policy.packs import git as git_source
from anops_policy.packs.archive import MAX_ARCHIVE_BYTES, Archive, ArchiveError, read_archive
from anops_policy.packs.lock import LockEntry
from anops_policy.packs.manifest import (
    build_manifest,
    check_engine,
    check_files,
    check_shape,
    compare_manifests,
    pack_meta,
)
from anops_policy.packs.sources import ARCHIVE, GIT, HTTPS, OCI, Source
from anops_policy.policy.model import Pack

if TYPE_CHECKING:  # cryptography is imported by the signature checks a pack with keys needs (start-up)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from anops_policy.policy.packs import load_pack


class SignatureError(ConfigError):
    """A pack whose signature is missing, wrong or by an untrusted key, where one is required."""


@dataclass(frozen=True)
class Trust:
    """What a run accepts: the keys a remote pack must be signed by (none: only pinned packs are used),
    the lock file's entries, and whether every lockable source must have one (``--locked``)."""

    keys: tuple[Ed25519PublicKey, ...] = ()
    lock: Mapping[str, LockEntry] = field(default_factory=dict)
    locked: bool = False
    lock_file: str = "anops-policy.lock"


@dataclass(frozen=True)
class Fetched:
    archive: Archive
    pinned: str = ""  # the OCI manifest digest or git commit it came from


@dataclass(frozen=True)
class Opened:
    pack: Pack
    archive: Archive
    pinned: str
    signed_by: tuple[str, ...]
    notes: tuple[str, ...] = ()


def read_local(source: Source) -> Archive:
    path = Path(source.location)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_ARCHIVE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{source.text}: cannot read: {exc.strerror or exc}") from None
    return read_archive(data, source.text)


def fetch_current(source: Source) -> Fetched:
    """What the reference names now (a tag or branch re-resolved)."""
    if source.kind == OCI:
        from anops_policy.packs import oci  # noqa: PLC0415 - oras and requests only when a pack lives in a registry

        digest = oci.resolve(source)
        return Fetched(oci.fetch(source, digest), digest)
    if source.kind == GIT:
        commit = git_source.resolve(source)
        return Fetched(git_source.fetch(source, commit), commit)
    if source.kind == HTTPS:
        from anops_policy.packs import https as https_source  # noqa: PLC0415 - urllib's HTTP stack on demand

        return Fetched(https_source.fetch(source))
    if source.kind == ARCHIVE:
        return Fetched(read_local(source))
    raise ConfigError(f"{source.text}: a {source.kind} pack is not fetched")


def fetch_pinned(source: Source, entry: LockEntry) -> Fetched:
    """The locked content: by the OCI manifest digest or git commit the lock names, never by tag."""
    if source.kind in (OCI, GIT) and not entry.pinned:
        raise ConfigError(f"{source.text}: its lock entry has no 'pinned' digest or commit; run `anops-policy pack "
                          "lock` again")
    if source.kind == OCI:
        from anops_policy.packs import oci  # noqa: PLC0415

        return Fetched(oci.fetch(source, entry.pinned), entry.pinned)
    if source.kind == GIT:
        return Fetched(git_source.fetch(source, entry.pinned), entry.pinned)
    return fetch_current(source)


def _cached(entry: LockEntry) -> Archive | None:
    data = cache.load(entry.digest)
    if data is None:
        return None
    try:
        archive = read_archive(data, f"{entry.source} (cached {entry.digest})")
        check_shape(archive)
        check_files(archive)
    except ConfigError:
        return None  # a damaged cache entry is fetched again
    return archive if archive.digest == entry.digest else None


def open_source(source: Source, trust: Trust, extra_inputs: Mapping[str, Any] | None = None) -> Opened:
    """The verified pack of a lockable source (archive or remote)."""
    entry = trust.lock.get(source.text)
    if entry is None and trust.locked:
        raise ConfigError(f"{source.text}: not in {trust.lock_file}, and --locked uses locked packs only; run "
                          "`anops-policy pack lock` and commit the lock file")
    if entry is not None:
        archive = _cached(entry)
        pinned = entry.pinned
        if archive is None:
            fetched = fetch_pinned(source, entry)
            archive, pinned = fetched.archive, fetched.pinned
        if archive.digest != entry.digest:
            check_shape(archive)
            raise ConfigError(
                f"{source.text}: the fetched pack has digest {archive.digest}, {trust.lock_file} pins "
                f"{entry.digest}: refusing it (the source changed; review it and run `anops-policy pack lock`)"
            )
    else:
        fetched = fetch_current(source)
        archive, pinned = fetched.archive, fetched.pinned
    return materialize(archive, source, trust.keys, pinned=entry is not None, where_pinned=pinned,
                       extra_inputs=extra_inputs)


def materialize(archive: Archive, source: Source, keys: Sequence[Ed25519PublicKey], *, pinned: bool,
                where_pinned: str = "", extra_inputs: Mapping[str, Any] | None = None,
                require_signature: bool | None = None, engine: bool = True) -> Opened:
    """Check ``archive`` (manifest, files, engine range, signature under the trust policy), unpack and load it.
    ``require_signature``: demand a signature by one of ``keys`` (default: for remote packs when keys are
    configured, and for any signed archive when keys are given)."""
    check_shape(archive)
    check_files(archive)
    manifest, where = archive.manifest, archive.where or source.text
    if engine:
        check_engine(manifest.get("engine"), where)
    notes: list[str] = []
    signed_by: tuple[str, ...] = ()
    if require_signature is None:
        require_signature = bool(keys) and (source.remote or archive.signature is not None)
    if require_signature:
        from anops_policy.packs.signature import verify  # noqa: PLC0415 - cryptography, for signed packs only

        verdict = verify(manifest, archive.signature, keys)
        if not verdict.ok:
            raise SignatureError(f"{where}: signature check failed: {verdict.problem}")
        signed_by = verdict.signed_by
    elif source.remote:
        if not pinned:
            raise ConfigError(
                f"{where}: no trust policy (trust: {{pack_keys: [...]}} in the config, or --pack-key) to check "
                f"its signature, and it is not pinned in the lock file: a remote pack is used only when signed by "
                "a trusted key or pinned by digest (`anops-policy pack lock`)"
            )
        notes.append(unverified_note(manifest, source, archive.signature))
    folder = cache.unpack(archive.digest, archive.files)
    pack = load_pack(folder, display=source.text, extra_inputs=extra_inputs)
    if pack.digest != archive.digest:
        raise ArchiveError(f"{where}: its files give digest {pack.digest}, manifest.json says {archive.digest}")
    compare_manifests(manifest, build_manifest(pack, pack_meta(folder), archive.files), where)
    cache.store(archive.digest, archive.raw)
    return Opened(pack, archive, where_pinned, signed_by, tuple(notes))


def unverified_note(manifest: Mapping[str, Any], source: Source, signature: Mapping[str, Any] | None) -> str:
    """What the report says about a remote pack used without a signature check (pinned, no trust policy)."""
    from anops_policy.packs.signature import signers  # noqa: PLC0415 - cryptography, for archives only

    what = f"pack {manifest['id']} {manifest['version']} from {source.text}"
    claimed = signers(signature)
    state = (f"carries a signature by {', '.join(claimed)} that was NOT checked (no trust policy: trust.pack_keys "
             "in the config or --pack-key)") if claimed else "is UNSIGNED"
    return f"{what} {state}; it was used only because the lock file pins its digest {manifest['digest']}"
