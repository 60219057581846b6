"""Image archives read as one stream: ``docker save``/``podman save`` (docker-archive: ``manifest.json``,
a config JSON and layer tars) and OCI layouts (``index.json``, ``blobs/sha256/…``; Docker 25+ writes both).

The same reader serves a file on disk and an engine's export stream (``GET /images/{name}/get``), so the
facts of an image are the same whichever way it arrives. The archive is read once, front to back: every
member that is a tar is scanned as a layer as it passes (layers may come before the manifest that names
them), small JSON members are kept, and the manifest maps layers and config at the end. Reading stops at
``max_bytes`` or ``deadline`` (the scan is then marked incomplete).
"""

from __future__ import annotations

import contextlib
import io
import json
import posixpath
import tarfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from anops_policy.collectors.docker.image_scan import LayerScan, normalize, scan_layer

MAX_JSON_BYTES = 16 * 1024 * 1024
_INDEX_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json")


class LimitReached(Exception):
    """The byte or time budget ran out while reading."""


class CountingStream(io.RawIOBase):
    """A read-only stream over byte chunks that counts what it delivers and enforces the budget."""

    def __init__(self, chunks: Iterable[bytes], max_bytes: int, deadline: float) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._buffer = b""
        self.bytes_read = 0
        self.max_bytes = max_bytes
        self.deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        view = memoryview(target).cast("B")
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._buffer = bytes(chunk)
        if self.bytes_read >= self.max_bytes:
            raise LimitReached(f"stopped after {self.max_bytes} bytes (collect.options.images.max_bytes)")
        if time.monotonic() > self.deadline:
            raise LimitReached("stopped at the time limit (collect.options.images.max_seconds)")
        size = min(len(view), len(self._buffer), self.max_bytes - self.bytes_read)
        view[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        self.bytes_read += size
        return size


def file_chunks(handle: IO[bytes], size: int = 1024 * 1024) -> Iterator[bytes]:
    while chunk := handle.read(size):
        yield chunk


@dataclass
class ArchiveContents:
    jsons: dict[str, Any] = field(default_factory=dict)
    layers: dict[str, LayerScan] = field(default_factory=dict)  # member name -> scan
    links: dict[str, str] = field(default_factory=dict)  # symlinked member -> target member
    bytes_read: int = 0
    complete: bool = True
    error: str | None = None


def read_archive(stream: CountingStream) -> ArchiveContents:
    out = ArchiveContents()
    try:
        with tarfile.open(fileobj=io.BufferedReader(stream, 1024 * 1024), mode="r|") as archive:
            for member in archive:
                name = normalize(member.name)
                if member.issym() or member.islnk():
                    target = (
                        member.linkname if member.islnk() else posixpath.join(posixpath.dirname(name), member.linkname)
                    )
                    out.links[name] = normalize(posixpath.normpath(target))
                    continue
                if not member.isfile():
                    continue
                handle = archive.extractfile(member)
                if handle is None:
                    continue
                head = handle.read(1) if member.size else b""
                if head in (b"{", b"[") and member.size <= MAX_JSON_BYTES:
                    with contextlib.suppress(ValueError):  # not JSON after all: ignored
                        out.jsons[name] = json.loads(head + handle.read())
                elif head:  # anything else is tried as a layer (plain or compressed tar)
                    # buffered: tarfile sniffs compression from one read of the first bytes
                    out.layers[name] = scan_layer(io.BufferedReader(_Prefixed(head, handle), 64 * 1024))
    except LimitReached as exc:
        out.complete, out.error = False, str(exc)
    except (tarfile.TarError, EOFError, OSError) as exc:
        out.complete, out.error = False, f"not a readable image archive: {exc}"
    out.bytes_read = stream.bytes_read
    return out


class _Prefixed(io.RawIOBase):
    """The bytes already peeked at, then the rest of the member."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        view = memoryview(target).cast("B")
        if self._head:
            size = min(len(view), len(self._head))
            view[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(view))
        view[: len(data)] = data
        return len(data)


@dataclass
class ImageInArchive:
    config: dict[str, Any]
    config_digest: str | None
    repo_tags: list[str]
    layer_members: list[str | None]  # per diff_id: the archive member holding that layer, if known


def select_image(contents: ArchiveContents, ref: str) -> ImageInArchive | str:
    """The image tagged ``ref`` (or the only image) in the archive, or why there is none."""
    manifest = contents.jsons.get("manifest.json")
    if isinstance(manifest, list) and manifest:
        entry = _pick([e for e in manifest if isinstance(e, dict)], ref, lambda e: list(e.get("RepoTags") or []))
        if isinstance(entry, str):
            return entry
        config_name = normalize(str(entry.get("Config", "")))
        config = contents.jsons.get(config_name)
        if not isinstance(config, dict):
            return f"the archive's config {config_name} is missing or unreadable"
        digest = _digest_of_member(config_name)
        layers = [_resolve(contents, normalize(str(n))) for n in entry.get("Layers", [])]
        return ImageInArchive(config, digest, sorted(entry.get("RepoTags") or []), layers)
    index = contents.jsons.get("index.json")
    if isinstance(index, dict):
        return _select_oci(contents, index, ref)
    if not contents.complete:
        return "the archive was not read to its manifest"
    return "neither manifest.json nor index.json: not a docker-archive or OCI layout"


def _select_oci(contents: ArchiveContents, index: dict[str, Any], ref: str) -> ImageInArchive | str:
    manifests = _oci_manifests(contents, index, depth=0)
    entry = _pick(manifests, ref, _oci_names)
    if isinstance(entry, str):
        return entry
    manifest = contents.jsons.get(_blob(str(entry.get("digest", ""))))
    if not isinstance(manifest, dict):
        return "the OCI manifest blob is missing or unreadable"
    config_digest = str(manifest.get("config", {}).get("digest", ""))
    config = contents.jsons.get(_blob(config_digest))
    if not isinstance(config, dict):
        return "the OCI config blob is missing or unreadable"
    layers = [_resolve(contents, _blob(str(layer.get("digest", "")))) for layer in manifest.get("layers", [])]
    return ImageInArchive(config, config_digest or None, sorted(_oci_names(entry)), layers)


def _oci_manifests(contents: ArchiveContents, index: dict[str, Any], depth: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in index.get("manifests", []):
        if not isinstance(item, dict):
            continue
        if item.get("mediaType") in _INDEX_TYPES and depth < 3:
            nested = contents.jsons.get(_blob(str(item.get("digest", ""))))
            if isinstance(nested, dict):
                # a multi-platform index: keep the annotations of the outer entry for name matching
                for sub in _oci_manifests(contents, nested, depth + 1):
                    out.append({**sub, "annotations": {**item.get("annotations", {}), **sub.get("annotations", {})}})
            continue
        platform = item.get("platform", {})
        if isinstance(platform, dict) and platform.get("architecture") == "unknown":
            continue  # attestation manifests
        out.append(item)
    return out


def _oci_names(entry: dict[str, Any]) -> list[str]:
    notes = entry.get("annotations", {}) or {}
    names = [notes.get("io.containerd.image.name"), notes.get("org.opencontainers.image.ref.name")]
    return [str(n) for n in names if n]


def _pick(entries: list[dict[str, Any]], ref: str, names: Any) -> dict[str, Any] | str:
    if not entries:
        return "the archive holds no image"
    wanted = _ref_forms(ref)
    for entry in entries:
        if wanted & {form for name in names(entry) for form in _ref_forms(name)}:
            return entry
    # OCI layouts written by Docker may name an image by its tag alone
    tag = ref.rsplit("/", 1)[-1].partition("@")[0].partition(":")[2] or "latest"
    by_tag = [e for e in entries if tag in names(e)]
    if len(by_tag) == 1:
        return by_tag[0]
    if len(entries) == 1:
        return entries[0]
    return f"the archive holds {len(entries)} images and none is tagged {ref}"


def _ref_forms(ref: str) -> set[str]:
    """Spellings of one reference: ``name:tag``, ``docker.io/library/name:tag``, ``localhost/name:tag``."""
    ref = ref.strip()
    if ":" not in ref.rsplit("/", 1)[-1] and "@" not in ref:
        ref += ":latest"
    forms = {ref}
    first = ref.split("/", 1)[0]
    if "/" not in ref or not ("." in first or ":" in first or first == "localhost"):
        short = ref
        forms |= {f"docker.io/{short}", f"localhost/{short}"}
        if "/" not in short:
            forms |= {f"docker.io/library/{short}", f"library/{short}"}
    else:
        rest = ref.split("/", 1)[1]
        if first in {"docker.io", "localhost", "index.docker.io"}:
            forms.add(rest.removeprefix("library/"))
            forms.add(rest)
    return forms


def _blob(digest: str) -> str:
    algorithm, _, value = digest.partition(":")
    return f"blobs/{algorithm}/{value}"


def _digest_of_member(name: str) -> str | None:
    stem = posixpath.basename(name).removesuffix(".json")
    if len(stem) == 64 and all(c in "0123456789abcdef" for c in stem):
        return f"sha256:{stem}"
    if name.startswith("blobs/sha256/"):
        return "sha256:" + name.rsplit("/", 1)[-1]
    return None


def _resolve(contents: ArchiveContents, name: str) -> str | None:
    seen = 0
    while name in contents.links and seen < 8:
        name = contents.links[name]
        seen += 1
    return name if name in contents.layers else None
