"""Which files kustomize uses as patches: partial documents (an overlay's strategic-merge patch names a
Deployment but carries only the fields it changes), so no policy judges them as whole resources."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

from anops_policy.collection.collector import CollectContext
from anops_policy.errors import ConfigError
from anops_policy.yamlsafe import load_yaml

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def patch_files(ctx: CollectContext, paths: Iterable[str]) -> set[str]:
    """The repository paths listed as patches by a kustomization file in the folder of any of ``paths``."""
    out: set[str] = set()
    present = set(ctx.files())
    for folder in sorted({posixpath.dirname(p) for p in paths}):
        for name in KUSTOMIZATION_NAMES:
            path = posixpath.join(folder, name) if folder else name
            text = ctx.read_text(path) if path in present else None
            if text is None:
                continue
            try:
                data = load_yaml(text, path)[0]  # one document: kustomize reads the first
            except ConfigError:
                continue  # a broken kustomization is the input's own parse error, reported there
            if isinstance(data, dict):
                out.update(posixpath.normpath(posixpath.join(folder, p)) for p in _listed(data))
    return out


def _listed(data: dict[object, object]) -> list[str]:
    listed: list[str] = []
    for key in ("patchesStrategicMerge", "patches", "patchesJson6902"):
        entries = data.get(key)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if isinstance(entry, str) and "\n" not in entry:  # an inline patch is text, not a file
                listed.append(entry)
            elif isinstance(entry, dict) and isinstance(entry.get("path"), str):
                listed.append(str(entry["path"]))
    return listed
