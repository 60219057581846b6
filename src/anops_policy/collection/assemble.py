"""The fact document assembled from the collectors' runs: sections, per-collector status, repository meta."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from anops_policy import __version__
from anops_policy.collection.collector import CollectorRun
from anops_policy.collection.repo import Skip
from anops_policy.facts import API_VERSION, digest_of, iso


def assemble(
    runs: Iterable[CollectorRun],
    *,
    repo_meta: Mapping[str, Any],
    now: datetime,
    generated_at: datetime,
    listing_skips: Iterable[Skip] = (),
) -> dict[str, Any]:
    collectors: dict[str, Any] = {}
    document: dict[str, Any] = {"apiVersion": API_VERSION, "meta": {}}
    for run in sorted(runs, key=lambda r: r.name):
        collectors[run.name] = run.meta()
        if run.status == "ok" and run.section is not None:
            document[run.name] = run.section
    document["meta"] = {
        "repo": dict(repo_meta),
        "generated_at": iso(generated_at),
        "now": iso(now),
        "tool": {"name": "anops-policy", "version": __version__},
        "collectors": collectors,
        "digest": "",
    }
    skipped = sorted({(s.path, s.reason) for s in listing_skips})
    if skipped:
        document["meta"]["skipped"] = [{"path": path, "reason": reason} for path, reason in skipped[:200]]
    document["meta"]["digest"] = digest_of(document)
    return document
