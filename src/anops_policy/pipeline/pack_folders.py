"""The folders whose ``pack.yaml`` and ``patterns/`` say what a run collects, for ``facts`` (which compiles no
policy of its own): a builtin pack's or a local folder's as they are, an archive's or a remote pack's as
its verified, unpacked copy in the pack cache — opened under the same trust policy and lock file as
``eval``, so ``facts --pack oci://…`` collects the inputs and pattern rules that pack declares, and never
those of a pack that failed verification."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from anops_policy.config import RepoConfig
from anops_policy.packs.resolve import PackOptions, open_one, trust_for
from anops_policy.packs.sources import parse_source
from anops_policy.pipeline.inputs import visible_inputs
from anops_policy.pipeline.patterns import visible_config_patterns
from anops_policy.policy.packs import resolve_pack_ref


def pack_folders(
    config: RepoConfig,
    refs: Sequence[str],
    extra_inputs: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    root: Path = Path(),
    options: PackOptions | None = None,
) -> list[Path]:
    """One folder per pack of the run: ``refs`` (``--pack``, taken as typed) else the config's ``packs:``
    (relative to the config's folder). Archives and remote packs are fetched (or read from the cache by
    their lock entry) and verified as ``eval`` verifies them; their unpacked copy is returned."""
    base = Path(config.file).parent if config.file else Path()
    listed = [(ref, None) for ref in refs] if refs else [(ref, base) for ref in config.packs]
    trust = None
    folders = []
    for ref, ref_base in listed:
        source = parse_source(ref, ref_base, "--pack" if refs else f"config {config.where('packs')}")
        if not source.lockable:
            folders.append(resolve_pack_ref(ref, ref_base or Path()))
            continue
        if trust is None:
            trust = trust_for(config, root, options or PackOptions())
        visible = {**visible_inputs(config, extra_inputs or {}), **visible_config_patterns(config)}
        pack = open_one(source, trust, visible)
        folders.append(Path(pack.folder or pack.source))
    return folders
