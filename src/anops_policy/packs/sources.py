"""Pack references, parsed: ``builtin:NAME``, a local folder or archive, ``oci://HOST/REPO:TAG[@sha256:…]``,
``git+URL#REF:PATH`` and ``https://…`` archives. Parsing checks the shape only; fetching is elsewhere."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from anops_policy.errors import ConfigError
from anops_policy.policy.loading import BUILTIN_PREFIX

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
# the distribution spec's grammar for repository names and tags
_REPO = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
_HOST = re.compile(r"^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$")
LOOPBACK = ("localhost", "127.0.0.1", "[::1]")
OCI, GIT, HTTPS, BUILTIN, FOLDER, ARCHIVE = "oci", "git", "https", "builtin", "folder", "archive"
REMOTE_KINDS = (OCI, GIT, HTTPS)


@dataclass(frozen=True)
class Source:
    """One parsed reference. ``text`` is the reference as written (the lock file's key)."""

    text: str
    kind: str
    location: str = ""  # oci: HOST/REPO; git: the clone URL; https: the URL; local: the path
    tag: str = ""  # oci: the tag; git: the ref (branch, tag or commit)
    digest: str = ""  # oci: a digest written into the reference (@sha256:…)
    path: str = ""  # git: the pack folder or archive inside the repository

    @property
    def remote(self) -> bool:
        return self.kind in REMOTE_KINDS

    @property
    def lockable(self) -> bool:
        """Remote packs and archives are pinned in the lock file; builtin packs and folders are part of the
        engine or the checkout itself."""
        return self.kind in (*REMOTE_KINDS, ARCHIVE)

    @property
    def host(self) -> str:
        return self.location.split("/", 1)[0] if self.kind == OCI else ""

    @property
    def repository(self) -> str:
        return self.location.split("/", 1)[1] if self.kind == OCI else ""

    def with_digest(self, digest: str) -> str:
        """An OCI reference that names exactly one manifest."""
        return f"oci://{self.location}@{digest}"


def is_remote(ref: str) -> bool:
    return ref.startswith(("oci://", "git+", "https://", "http://"))


def parse_source(ref: str, base: Path | None = None, where: str = "--pack") -> Source:
    """Parse ``ref``; a relative local path is taken from ``base`` (the config's folder)."""
    if ref.startswith(BUILTIN_PREFIX):
        return Source(ref, BUILTIN, ref[len(BUILTIN_PREFIX):])
    if ref.startswith("oci://"):
        return _oci(ref, where)
    if ref.startswith("git+"):
        return _git(ref, where)
    if ref.startswith("https://"):
        if len(ref) > 2048 or any(c.isspace() for c in ref):
            raise ConfigError(f"{where} {ref[:200]}: not a usable URL")
        return Source(ref, HTTPS, ref)
    if ref.startswith("http://"):
        raise ConfigError(f"{where} {ref}: plain http is refused for packs (anyone on the path could swap the "
                          "rules); serve the archive over https, or use oci:// or git+")
    if "://" in ref:
        raise ConfigError(f"{where} {ref}: unknown scheme; a pack is builtin:NAME, a folder or archive, oci://HOST/"
                          "REPO:TAG, git+URL#REF:PATH or https://…")
    path = Path(ref)
    if base is not None and not path.is_absolute():
        path = base / path
    # a reference given on the command line is shown as typed; one from the config, joined to its folder
    return Source(ref, ARCHIVE if path.is_file() else FOLDER, ref if base is None else str(path))


def _oci(ref: str, where: str) -> Source:
    rest = ref.removeprefix("oci://")
    digest = ""
    if "@" in rest:
        rest, digest = rest.split("@", 1)
        if not DIGEST.match(digest):
            raise ConfigError(f"{where} {ref}: '@{digest}' is not a sha256 digest (sha256: and 64 hex digits)")
    host, _, path = rest.partition("/")
    name, _, tag = path.rpartition(":") if ":" in path else (path, "", "")
    if not _HOST.match(host) or not path:
        raise ConfigError(f"{where} {ref}: expected oci://HOST[:PORT]/REPOSITORY:TAG, e.g. "
                          "oci://registry.example/platform/pack:1.2.0")
    if not _REPO.match(name):
        raise ConfigError(f"{where} {ref}: repository '{name}' is not a valid name (lowercase letters, digits, "
                          "'.', '_', '-', separated by '/')")
    if tag and not _TAG.match(tag):
        raise ConfigError(f"{where} {ref}: tag '{tag}' is not a valid tag")
    if not tag and not digest:
        raise ConfigError(f"{where} {ref}: name a tag (…:1.2.0) or a digest (…@sha256:…); 'latest' is never implied")
    return Source(ref, OCI, f"{host}/{name}", tag, digest)


def _git(ref: str, where: str) -> Source:
    url, sep, fragment = ref.removeprefix("git+").partition("#")
    rev, colon, path = fragment.partition(":")
    if not sep or not colon or not rev or not path:
        raise ConfigError(f"{where} {ref}: expected git+URL#REF:PATH, e.g. git+https://git.example/platform/packs.git"
                          "#v1.2.0:deployment-readiness")
    if not url.startswith(("https://", "file://", "ssh://")):
        raise ConfigError(f"{where} {ref}: the git URL must be https://, ssh:// or file://")
    if rev.startswith("-") or url.startswith("-") or any(c.isspace() for c in ref):
        raise ConfigError(f"{where} {ref}: not a usable git reference")
    parts = path.strip("/").split("/")
    if path.startswith("/") or ".." in parts or any(not p for p in parts):
        raise ConfigError(f"{where} {ref}: PATH '{path}' must be a relative path inside the repository")
    return Source(ref, GIT, url, rev, "", "/".join(parts))
