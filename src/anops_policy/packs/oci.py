"""Packs as OCI artifacts, through the ``oras`` SDK (the only importer of ``oras``): one image manifest whose
config is the pack manifest, whose first layer is the unsigned pack archive and whose optional second layer
is the signature (the registry here has no referrers API, so the signature travels in the artifact).

Every answer is hostile until checked: manifests and blobs are read with a size bound, each blob's sha256
must equal its descriptor's digest and the manifest's own sha256 the digest it was fetched by. Plain http is
used only for loopback registries or hosts named in ``$ANOPS_POLICY_INSECURE_REGISTRIES``."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import oras.provider
import requests
from requests.adapters import HTTPAdapter

from anops_policy.errors import ConfigError
from anops_policy.packs.archive import (
    MAX_ARCHIVE_BYTES,
    Archive,
    ArchiveError,
    json_bytes,
    read_archive,
    write_archive,
)
from anops_policy.packs.fetch_errors import Unreachable
from anops_policy.packs.manifest import sha256_of
from anops_policy.packs.sources import DIGEST, LOOPBACK, Source

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.anops.policy.pack.config.v1+json"
PACK_LAYER_TYPE = "application/vnd.anops.policy.pack.v1.tar+gzip"
SIGNATURE_LAYER_TYPE = "application/vnd.anops.policy.pack.signature.v1+json"
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_SIGNATURE_BYTES = 256 * 1024
TIMEOUT_S = (5.0, 30.0)  # connect, read
INSECURE_ENV = "ANOPS_POLICY_INSECURE_REGISTRIES"


class _TimeoutAdapter(HTTPAdapter):
    """Every request with a timeout: a registry that stops answering must not hang ``eval``."""

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["timeout"] = kwargs.get("timeout") or TIMEOUT_S
        return super().send(request, *args, **kwargs)


class _Registry(oras.provider.Registry):  # type: ignore[misc]
    def __init__(self, host: str) -> None:
        insecure = host.rsplit(":", 1)[0] in LOOPBACK or host in _insecure_hosts()
        super().__init__(hostname=host, insecure=insecure)
        for prefix in ("http://", "https://"):
            self.session.mount(prefix, _TimeoutAdapter())

    def do_request(self, url: str, method: str = "GET", data: Any = None, headers: Any = None, json: Any = None,
                   stream: bool = False) -> Any:
        # oras retries a failed connection five times with growing sleeps (about two minutes): an unreachable
        # registry must be reported at once, so the undecorated request is called
        return oras.provider.Registry.do_request.__wrapped__(self, url, method, data, headers, json, stream)


def _insecure_hosts() -> set[str]:
    return {h.strip() for h in os.environ.get(INSECURE_ENV, "").split(",") if h.strip()}


def _call(source: Source, what: str, call: Any) -> Any:
    try:
        return call()
    except requests.exceptions.ConnectionError as exc:
        reason = _socket_reason(exc)
        raise Unreachable(f"{source.text}: {what}: registry {source.host} unreachable ({reason})") from None
    except requests.exceptions.Timeout:
        raise Unreachable(f"{source.text}: {what}: registry {source.host} did not answer in time") from None
    except requests.exceptions.RequestException as exc:
        raise Unreachable(f"{source.text}: {what}: {_reason(exc)}") from None
    except ValueError as exc:  # oras: authentication it cannot answer
        raise ConfigError(f"{source.text}: {what}: {exc}") from None


def _socket_reason(exc: Exception) -> str:
    """What the socket said ("Connection refused", "Name or service not known"), not urllib3's retry wrapper."""
    found = re.search(r"\[Errno -?\d+\] ([^'\"()\]]+)", str(exc))
    return found.group(1).strip() if found else _reason(exc)


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:197] + "..."


def _bounded(response: Any, limit: int, source: Source, what: str) -> bytes:
    chunks, total = [], 0
    for chunk in response.iter_content(64 * 1024):
        total += len(chunk)
        if total > limit:
            response.close()
            raise ConfigError(f"{source.text}: {what} is larger than {limit} bytes; refusing it")
        chunks.append(chunk)
    return b"".join(chunks)


def _status(response: Any, source: Source, what: str) -> None:
    if response.status_code == 200:
        return
    if response.status_code == 404:
        raise ConfigError(f"{source.text}: {what}: not found in registry {source.host}")
    if response.status_code in (401, 403):
        raise ConfigError(f"{source.text}: {what}: access denied by registry {source.host} "
                          f"(HTTP {response.status_code})")
    raise Unreachable(f"{source.text}: {what}: registry {source.host} answered HTTP {response.status_code}")


def _manifest(registry: _Registry, source: Source, reference: str) -> tuple[str, dict[str, Any]]:
    """The manifest's digest and content, by tag or digest; its bytes must hash to the digest."""
    url = f"{registry.prefix}://{source.host}/v2/{source.repository}/manifests/{reference}"
    what = f"manifest {reference}"
    response = _call(source, what, lambda: registry.do_request(url, "GET", headers={"Accept": MANIFEST_TYPE},
                                                               stream=True))
    _status(response, source, what)
    body = _bounded(response, MAX_MANIFEST_BYTES, source, what)
    digest = sha256_of(body)
    if DIGEST.match(reference) and digest != reference:
        raise ArchiveError(f"{source.text}: the registry answered {what} with content whose digest is {digest} "
                           "(altered in the registry or on the way)")
    try:
        manifest = json.loads(body)
    except (ValueError, RecursionError):
        raise ConfigError(f"{source.text}: {what} is not JSON") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("layers"), list):
        raise ConfigError(f"{source.text}: {what} is not an OCI image manifest")
    config = manifest.get("config")
    if not isinstance(config, dict) or config.get("mediaType") != CONFIG_TYPE:
        kind = config.get("mediaType") if isinstance(config, dict) else None
        raise ConfigError(f"{source.text}: not an anops-policy pack (config media type {kind!r}, expected "
                          f"'{CONFIG_TYPE}'); push packs with `anops-policy pack push`")
    return digest, manifest


def resolve(source: Source) -> str:
    """The manifest digest the reference names now (its tag re-resolved, or its written digest)."""
    registry = _Registry(source.host)
    digest, _ = _manifest(registry, source, source.digest or source.tag)
    if source.digest and source.tag:
        tagged, _ = _manifest(registry, source, source.tag)
        if tagged != source.digest:
            raise ConfigError(f"{source.text}: tag {source.tag} now names {tagged}, not the digest written "
                              f"in the reference")
    return digest


def _blob(registry: _Registry, source: Source, layer: Mapping[str, Any], limit: int) -> bytes:
    digest, size = str(layer.get("digest", "")), layer.get("size")
    if not DIGEST.match(digest) or not isinstance(size, int) or not 0 <= size <= limit:
        raise ConfigError(f"{source.text}: layer {digest or '?'} has a bad digest or a size over {limit} bytes")
    what = f"blob {digest}"
    response = _call(source, what, lambda: registry.get_blob(registry.get_container(source.location), digest,
                                                             stream=True))
    _status(response, source, what)
    data = _bounded(response, limit, source, what)
    if sha256_of(data) != digest:
        raise ArchiveError(f"{source.text}: {what}: the registry's content has digest {sha256_of(data)} "
                           "(altered in the registry or on the way)")
    return data


def fetch(source: Source, manifest_digest: str) -> Archive:
    """The artifact at ``manifest_digest``: the pack archive with its signature attached."""
    registry = _Registry(source.host)
    _, manifest = _manifest(registry, source, manifest_digest)
    layers = [layer for layer in manifest["layers"] if isinstance(layer, dict)]
    packs = [layer for layer in layers if layer.get("mediaType") == PACK_LAYER_TYPE]
    signatures = [layer for layer in layers if layer.get("mediaType") == SIGNATURE_LAYER_TYPE]
    if len(packs) != 1 or len(signatures) > 1:
        raise ConfigError(f"{source.text}: expected one pack layer ({PACK_LAYER_TYPE}) and at most one signature "
                          f"layer, found {len(packs)} and {len(signatures)}")
    where = f"{source.with_digest(manifest_digest)}"
    archive = read_archive(_blob(registry, source, packs[0], MAX_ARCHIVE_BYTES), where)
    signature = None
    if signatures:
        raw = _blob(registry, source, signatures[0], MAX_SIGNATURE_BYTES)
        try:
            signature = json.loads(raw)
        except (ValueError, RecursionError):
            raise ConfigError(f"{where}: the signature layer is not JSON") from None
        if not isinstance(signature, dict):
            raise ConfigError(f"{where}: the signature layer is not a JSON object")
    data = write_archive(archive.manifest, archive.files, signature)
    return Archive(archive.manifest, archive.files, signature, where, data)


def push(archive: Archive, source: Source) -> str:
    """Publish ``archive`` at the reference's tag; returns the manifest digest."""
    if not source.tag or source.digest:
        raise ConfigError(f"pack push {source.text}: name the tag to push to (oci://HOST/REPO:TAG), not a digest")
    registry = _Registry(source.host)
    container = registry.get_container(source.location + ":" + source.tag)
    blobs = [(CONFIG_TYPE, json_bytes(archive.manifest)), (PACK_LAYER_TYPE, write_archive(archive.manifest,
                                                                                          archive.files, None))]
    if archive.signature is not None:
        blobs.append((SIGNATURE_LAYER_TYPE, json_bytes(archive.signature)))
    descriptors = []
    with tempfile.TemporaryDirectory(prefix="anops-pack-push-") as tmp:
        for index, (media_type, data) in enumerate(blobs):
            file = Path(tmp) / f"blob-{index}"
            file.write_bytes(data)
            layer = {"mediaType": media_type, "digest": sha256_of(data), "size": len(data)}
            response = _call(source, "upload", lambda f=file, d=layer: registry.upload_blob(str(f), container, d))
            if response.status_code not in (200, 201, 202):
                raise Unreachable(f"pack push {source.text}: registry refused a blob (HTTP {response.status_code})")
            descriptors.append(layer)
    manifest = {
        "schemaVersion": 2, "mediaType": MANIFEST_TYPE, "config": descriptors[0], "layers": descriptors[1:],
        "annotations": {"org.opencontainers.image.title": str(archive.manifest["id"]),
                        "org.opencontainers.image.version": str(archive.manifest["version"]),
                        "dev.anops.pack.digest": str(archive.manifest["digest"])},
    }
    response = _call(source, "upload manifest", lambda: registry.upload_manifest(manifest, container))
    if response.status_code not in (200, 201):
        raise Unreachable(f"pack push {source.text}: registry refused the manifest (HTTP {response.status_code}: "
                          f"{_reason(Exception(response.text))})")
    return str(response.headers.get("Docker-Content-Digest") or resolve(source))
