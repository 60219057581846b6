"""What no collector read: components written in a language that neither a collector (``python``, ``rust``)
nor a pattern rule of the run analyses, and source languages with files but no component. Shown as notes in
every format, so a summary never reads as if code nobody analysed had been checked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_NAMED = 20
# the collectors that read one language's code, named after it
LANGUAGE_COLLECTORS = ("python", "rust")
# a run none of these took part in judges no code at all (a CI-only pack): nothing to say per component
CODE_COLLECTORS = (*LANGUAGE_COLLECTORS, "patterns")
# languages whose files are configuration, markup or glue, never a component's code
NOT_CODE = frozenset({"yaml", "json", "html", "css", "hcl", "nix", "bash"})
SAME_AS = {"tsx": "typescript", "jsx": "javascript"}


def analysed_languages(document: Mapping[str, Any]) -> set[str]:
    """The languages whose code this run's facts come from: a language collector that ran, and the
    language of each pattern rule."""
    found = {name for name in LANGUAGE_COLLECTORS if isinstance(document.get(name), Mapping)}
    patterns = document.get("patterns")
    if isinstance(patterns, Mapping):
        found |= {str(r["language"]) for r in patterns.values() if isinstance(r, Mapping) and r.get("language")}
    return {SAME_AS.get(lang, lang) for lang in found}


def unjudged_notes(document: Mapping[str, Any]) -> list[str]:
    """Notes naming each component whose code nothing analysed, and each source language no component
    covers; none when no code collector took part (the packs judge no code)."""
    layout = document.get("layout")
    meta = document.get("meta")
    ran = meta.get("collectors") if isinstance(meta, Mapping) else None
    if not isinstance(layout, Mapping) or not isinstance(ran, Mapping) or not any(c in ran for c in CODE_COLLECTORS):
        return []
    analysed = analysed_languages(document)
    components = [c for c in layout.get("components") or [] if isinstance(c, Mapping)]
    notes: list[str] = []
    unread = [c for c in components if SAME_AS.get(str(c.get("language")), c.get("language")) not in analysed]
    for comp in unread[:MAX_NAMED]:
        lang = comp.get("language") or "unknown language"
        notes.append(
            f"not analysed: component '{comp.get('name', '')}' ({lang} {comp.get('kind', 'component')} at "
            f"{comp.get('path', '.')}) — no collector or pattern rule of this run reads {lang} code, so only the "
            "repository-wide checks (CI, tests results, Dockerfiles, TODOs, docs) judged it"
        )
    if len(unread) > MAX_NAMED:
        notes.append(f"not analysed: {len(unread) - MAX_NAMED} more component(s)")
    covered = {SAME_AS.get(str(c.get("language")), str(c.get("language"))) for c in components}
    languages = layout.get("source_languages")
    if isinstance(languages, Mapping):
        for lang, count in sorted(languages.items()):
            if lang in NOT_CODE or SAME_AS.get(lang, lang) in covered:
                continue
            notes.append(
                f"not analysed: {count} {lang} file(s) that belong to no component — declare one under "
                "`components:` in anops-policy.yaml (with its `language`) for the packs to judge it"
            )
    return notes
