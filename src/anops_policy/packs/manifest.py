"""A pack's manifest: what the artifact says it holds (id, semver version, the engine versions it supports,
every file's sha256, its policies and their enforcement, its pattern rules and inputs, its changelog) and
its digest. Everything in it is derived from the pack's files, so a reader re-derives it and refuses an
artifact whose manifest and files disagree, naming the file or field."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from anops_policy import __version__
from anops_policy.errors import ConfigError
from anops_policy.packs.archive import Archive, ArchiveError
from anops_policy.policy.model import Pack
from anops_policy.policy.packs import pack_file_name, pack_files
from anops_policy.yamlsafe import load_yaml_file

MANIFEST_API = "anops.dev/pack-manifest/v1"
# semver.org's grammar: MAJOR.MINOR.PATCH[-pre][+build]
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


def sha256_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def pack_meta(folder: Path) -> dict[str, Any]:
    """The raw ``pack.yaml`` (already validated by ``load_pack``)."""
    meta, _ = load_yaml_file(str(folder / "pack.yaml"))
    return meta if isinstance(meta, dict) else {}


def folder_files(folder: Path) -> dict[str, bytes]:
    """The files that make the pack (the same set its digest covers), by name inside the pack."""
    return {pack_file_name(folder, file): file.read_bytes() for file in pack_files(folder)}


def _enforcement(policy: Any) -> Any:
    phases = [{"level": p.level.value, **({"until": p.until.isoformat()} if p.until else {})} for p in policy.phases]
    return phases[0]["level"] if len(phases) == 1 and "until" not in phases[0] else phases


def build_manifest(pack: Pack, meta: Mapping[str, Any], files: Mapping[str, bytes]) -> dict[str, Any]:
    """The manifest of a loaded pack whose folder holds ``files``."""
    return {
        "apiVersion": MANIFEST_API,
        "id": pack.id,
        "version": pack.version,
        "title": pack.title,
        "engine": meta.get("engine"),
        "digest": pack.digest,
        "files": {name: sha256_of(files[name]) for name in sorted(files)},
        "policies": [
            {"id": p.id, "checklist": p.checklist, "severity": p.severity, "enforcement": _enforcement(p),
             "digest": p.digest}
            for p in pack.policies
        ],
        "patterns": sorted(rule.id for rule in pack.patterns),
        "inputs": {name: str(spec.get("parser", "")) for name, spec in sorted(pack.inputs.items())},
        "changelog": list(meta.get("changelog", [])),
    }


def check_semver(version: str, where: str) -> None:
    if not SEMVER.match(version):
        raise ConfigError(f"{where}: version '{version}' is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.2.0)")


def engine_range(spec: Any, where: str) -> SpecifierSet:
    """The ``engine`` range as written (what ``pack build`` checks: a pack may target a later engine)."""
    try:
        return SpecifierSet(str(spec))
    except InvalidSpecifier:
        raise ConfigError(f"{where}: engine '{spec}' is not a version range such as '>=0.1,<0.3'") from None


def check_engine(spec: Any, where: str, engine_version: str = __version__) -> None:
    """Refuse a pack whose ``engine`` range excludes this anops-policy (``None``: any engine)."""
    if spec is None:
        return
    allowed = engine_range(spec, where)
    try:
        ok = allowed.contains(Version(engine_version), prereleases=True)
    except InvalidVersion:  # a development build: its version says nothing about compatibility
        ok = True
    if not ok:
        raise ConfigError(
            f"{where}: the pack supports anops-policy {spec}, this is anops-policy {engine_version}; "
            "use a pack version made for this engine or upgrade anops-policy"
        )


def check_shape(archive: Archive) -> None:
    """The manifest names a pack the way ``build_manifest`` does (types checked before anything trusts it)."""
    m, where = archive.manifest, archive.where
    if m.get("apiVersion") != MANIFEST_API:
        raise ArchiveError(f"{where}: manifest.json: apiVersion {m.get('apiVersion')!r}, expected '{MANIFEST_API}'")
    for key in ("id", "version", "digest"):
        if not isinstance(m.get(key), str) or not m[key]:
            raise ArchiveError(f"{where}: manifest.json: '{key}' is missing or not a string")
    files = m.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise ArchiveError(f"{where}: manifest.json: 'files' must map each file name to its sha256")


def check_files(archive: Archive) -> None:
    """Every file the manifest lists is present with its sha256, and nothing else is there."""
    where, listed = archive.where, dict(archive.manifest["files"])
    problems = []
    for name in sorted(set(listed) | set(archive.files)):
        if name not in archive.files:
            problems.append(f"file '{name}' is listed in manifest.json but missing from the archive")
        elif name not in listed:
            problems.append(f"file '{name}' is in the archive but not listed in manifest.json")
        elif sha256_of(archive.files[name]) != listed[name]:
            problems.append(
                f"file '{name}' was altered: its sha256 is {sha256_of(archive.files[name])}, "
                f"manifest.json says {listed[name]}"
            )
    if problems:
        raise ArchiveError(f"{where}: content does not match its manifest:\n  " + "\n  ".join(problems))


def compare_manifests(claimed: Mapping[str, Any], derived: Mapping[str, Any], where: str) -> None:
    """The manifest the artifact carries equals the one its files give (a hand-edited manifest is refused)."""
    for key in sorted(set(claimed) | set(derived)):
        if claimed.get(key) != derived.get(key):
            raise ArchiveError(
                f"{where}: manifest.json field '{key}' does not match the pack's files "
                f"(it says {_short(claimed.get(key))}, the files give {_short(derived.get(key))})"
            )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 160 else text[:157] + "..."
