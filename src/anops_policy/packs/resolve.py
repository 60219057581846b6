"""A run's packs from their references: builtin packs and folders load as they are; archives and remote
packs go through the lock file, the cache and the trust policy (opening.py). Also the trust policy itself,
from the config's ``trust: {pack_keys: [...]}`` and ``--pack-key``, and the lock file beside the config."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anops_policy.config import RepoConfig
from anops_policy.errors import ConfigError
from anops_policy.packs.lock import LOCK_NAME, read_lock
from anops_policy.packs.opening import Trust, open_source
from anops_policy.packs.sources import BUILTIN, Source, parse_source
from anops_policy.policy.model import Pack
from anops_policy.policy.packs import builtin_pack_dir, load_pack


@dataclass(frozen=True)
class PackOptions:
    """What the command line adds: ``--pack-key`` files and ``--locked``."""

    pack_keys: Sequence[Path] = ()
    locked: bool = False


def lock_path(config: RepoConfig, root: Path) -> Path:
    """``anops-policy.lock`` beside the config file, else in the evaluated directory."""
    return (Path(config.file).parent if config.file else root) / LOCK_NAME


def read_key(path: Path, where: str) -> Any:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read public key {path}: {exc.strerror or exc}") from None
    from anops_policy.keys import load_public_key  # noqa: PLC0415 - start-up: cryptography only when keys are named

    return load_public_key(data, str(path))


def trust_for(config: RepoConfig, root: Path, options: PackOptions) -> Trust:
    keys = [read_key(p, "--pack-key") for p in options.pack_keys]
    trust = config.raw.get("trust") or {}
    base = Path(config.file).parent if config.file else root
    for index, name in enumerate(trust.get("pack_keys", [])):
        path = Path(name) if Path(name).is_absolute() else base / name
        keys.append(read_key(path, f"config {config.where('trust', 'pack_keys', index)}"))
    lock_file = lock_path(config, root)
    return Trust(tuple(keys), read_lock(lock_file), options.locked, str(lock_file))


def open_packs(
    refs: Sequence[tuple[str, Path | None]],
    trust: Trust,
    extra_inputs: Mapping[str, Any] | None = None,
    notes: list[str] | None = None,
) -> list[Pack]:
    """Each ``(reference, base folder)`` loaded; notes the report should carry go to ``notes``."""
    packs = []
    for ref, base in refs:
        source = parse_source(ref, base)
        packs.append(open_one(source, trust, extra_inputs, notes))
    return packs


def open_one(source: Source, trust: Trust, extra_inputs: Mapping[str, Any] | None = None,
             notes: list[str] | None = None) -> Pack:
    if source.kind == BUILTIN:
        return load_pack(builtin_pack_dir(source.location), display=source.text, extra_inputs=extra_inputs)
    if not source.lockable:
        return load_pack(Path(source.location), display=source.location, extra_inputs=extra_inputs)
    opened = open_source(source, trust, extra_inputs)
    if notes is not None:
        notes.extend(opened.notes)
    return opened.pack
