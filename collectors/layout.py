"""``layout``: the repository's own description — the config's components, e2e tests, release files and
docs. Where the config is silent, discovery fills the lists in from what other collectors found."""

from __future__ import annotations

from typing import Any

from anops_policy.collect import CollectContext


class LayoutCollector:
    name = "layout"
    version = "1"
    depends_on: tuple[str, ...] = ()

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        config = ctx.config
        components: list[dict[str, Any]] = []
        for index, comp in enumerate(config.components):
            entry = {**comp, "source": "config"}
            entry.setdefault("path", comp.get("name", ""))
            if config.marks is not None and ("components", index) in config.marks.values:
                entry["line"] = config.marks.values[("components", index)][0]
            components.append(entry)
        origin: dict[str, str] = {"components": "config" if config.components else "none"}
        lists: dict[str, list[str]] = {}
        for key in ("e2e", "release_files"):
            value = config.list_value(key)
            lists[key] = self._expand(ctx, value) if value is not None else []
            origin[key] = "config" if value is not None else "none"
        docs = {k: str(v) for k, v in config.docs.items()}
        origin["docs"] = "config" if docs else "none"
        return {
            "components": sorted(components, key=lambda c: str(c["name"])),
            "e2e": lists["e2e"],
            "release_files": lists["release_files"],
            "docs": docs,
            "origin": origin,
            "config_file": config.file,
        }

    @staticmethod
    def _expand(ctx: CollectContext, patterns: list[str]) -> list[str]:
        """Globs become the files they match; plain paths are kept as written even when missing, so a
        policy can report a release file that does not exist."""
        out: list[str] = []
        for pattern in patterns:
            if any(ch in pattern for ch in "*?["):
                out.extend(p for p in ctx.glob([pattern]) if p not in out)
            elif pattern not in out:
                out.append(pattern.strip("/"))
        return out
