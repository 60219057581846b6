"""The pack archive: a gzipped tar with ``manifest.json``, the pack's files under ``pack/`` and, once signed,
``signature.json``. Written reproducibly (sorted members, fixed times, owners and modes, no gzip name or
time), so the same files always give the same bytes; read as hostile input (bounded sizes and member
count, regular files only, names from a strict alphabet, nothing extracted by ``tarfile`` itself)."""

from __future__ import annotations

import gzip
import io
import json
import re
import tarfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from anops_policy.errors import ConfigError

MANIFEST = "manifest.json"
SIGNATURE = "signature.json"
FILES_PREFIX = "pack/"
MAX_ARCHIVE_BYTES = 16 * 1024 * 1024  # compressed, as fetched
MAX_UNPACKED_BYTES = 64 * 1024 * 1024  # every member together
MAX_MEMBER_BYTES = 8 * 1024 * 1024
MAX_MEMBERS = 2000
MAX_TAR_BYTES = MAX_UNPACKED_BYTES + MAX_MEMBERS * 2048 + 20480  # the files with their tar headers and padding
# a pack file is `x.yaml`, `patterns/x.yaml` or a schema file: one optional folder level, plain names
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?$")


class ArchiveError(ConfigError):
    """An archive that cannot be read as a pack, or whose content does not match its manifest."""


@dataclass(frozen=True)
class Archive:
    """A read archive: its manifest, its files (name inside the pack → bytes) and its signature, if any."""

    manifest: dict[str, Any]
    files: dict[str, bytes]
    signature: dict[str, Any] | None = None
    where: str = ""
    raw: bytes = field(default=b"", repr=False)

    @property
    def digest(self) -> str:
        return str(self.manifest.get("digest", ""))


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.type = tarfile.REGTYPE
    return info


def json_bytes(value: Any) -> bytes:
    """Stable JSON text: sorted keys, two-space indent, a final newline."""
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def write_archive(
    manifest: Mapping[str, Any], files: Mapping[str, bytes], signature: Mapping[str, Any] | None
) -> bytes:
    """The archive's bytes: the same for the same manifest, files and signature."""
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as tar:
        members = [(MANIFEST, json_bytes(manifest))]
        members += [(FILES_PREFIX + name, files[name]) for name in sorted(files)]
        if signature is not None:
            members.append((SIGNATURE, json_bytes(signature)))
        for name, data in members:
            tar.addfile(_info(name, len(data)), io.BytesIO(data))
    out = io.BytesIO()
    # mtime=0 and no file name in the gzip header: the compressed bytes depend on the content only
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(tar_bytes.getvalue())
    return out.getvalue()


def _member_name(member: tarfile.TarInfo, where: str) -> str:
    name = member.name
    if not member.isreg():
        kind = "link" if member.issym() or member.islnk() else "folder" if member.isdir() else "special file"
        raise ArchiveError(f"{where}: member '{name[:200]}' is a {kind}; a pack archive holds regular files only")
    if name in (MANIFEST, SIGNATURE):
        return name
    inner = name.removeprefix(FILES_PREFIX)
    if not name.startswith(FILES_PREFIX) or not _NAME.match(inner) or ".." in inner.split("/"):
        raise ArchiveError(
            f"{where}: member '{name[:200]}' is not a pack file name (pack/NAME or pack/FOLDER/NAME with letters, "
            "digits, '.', '_' and '-'); refusing it"
        )
    return name


def read_archive(data: bytes, where: str) -> Archive:
    """Parse an archive's bytes (nothing is written to disk). Raises ``ArchiveError`` naming ``where``."""
    if len(data) > MAX_ARCHIVE_BYTES:
        raise ArchiveError(f"{where}: {len(data)} bytes is over the limit of {MAX_ARCHIVE_BYTES} for a pack archive")
    if data[:2] != b"\x1f\x8b":
        raise ArchiveError(f"{where}: not a pack archive (expected a gzipped tar, as `anops-policy pack build` writes)")
    members: dict[str, bytes] = {}
    total = 0
    tar_bytes = _gunzip(data, where)
    try:
        with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:") as tar:
            while True:
                member = tar.next()
                if member is None:
                    break
                if len(members) >= MAX_MEMBERS:
                    raise ArchiveError(f"{where}: more than {MAX_MEMBERS} members; refusing it")
                name = _member_name(member, where)
                if member.size > MAX_MEMBER_BYTES:
                    raise ArchiveError(f"{where}: member '{name}' has {member.size} bytes, over the limit of "
                                       f"{MAX_MEMBER_BYTES}")
                total += member.size
                if total > MAX_UNPACKED_BYTES:
                    raise ArchiveError(f"{where}: unpacks to more than {MAX_UNPACKED_BYTES} bytes; refusing it")
                if name in members:
                    raise ArchiveError(f"{where}: member '{name}' appears twice")
                handle = tar.extractfile(member)
                members[name] = handle.read(member.size) if handle is not None else b""
    except ArchiveError:
        raise
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise ArchiveError(f"{where}: damaged archive ({exc}); fetch or build it again") from None
    if MANIFEST not in members:
        raise ArchiveError(f"{where}: no {MANIFEST}; not a pack archive built by `anops-policy pack build`")
    manifest = _json_member(members.pop(MANIFEST), MANIFEST, where)
    signature_bytes = members.pop(SIGNATURE, None)
    signature = _json_member(signature_bytes, SIGNATURE, where) if signature_bytes is not None else None
    files = {name.removeprefix(FILES_PREFIX): content for name, content in members.items()}
    return Archive(manifest, files, signature, where, data)


def _gunzip(data: bytes, where: str) -> bytes:
    """The whole tar stream, its gzip CRC and length checked (a flipped byte is a damaged archive, not a
    silently different file), bounded so that a small archive cannot unpack into a huge one."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb") as gz:
            out = gz.read(MAX_TAR_BYTES + 1)  # reaching the end checks the CRC and length
    except (OSError, EOFError, zlib.error) as exc:
        raise ArchiveError(f"{where}: damaged archive ({exc}); fetch or build it again") from None
    if len(out) > MAX_TAR_BYTES:
        raise ArchiveError(f"{where}: unpacks to more than {MAX_UNPACKED_BYTES} bytes; refusing it")
    return out


def _json_member(data: bytes, name: str, where: str) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ArchiveError(f"{where}: {name}: not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ArchiveError(f"{where}: {name}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise ArchiveError(f"{where}: {name}: nested too deeply") from None
    if not isinstance(value, dict):
        raise ArchiveError(f"{where}: {name}: expected a JSON object, found {type(value).__name__}")
    return value
