"""Plan documents (action plans): commit age and lag behind the code, declared "last updated" date,
checklist items, references, and release-critical subcommands never mentioned."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from anops_policy.collectors.docs.clis import Cli
from anops_policy.collectors.docs.markdown import Document
from anops_policy.collectors.docs.references import reference_facts
from anops_policy.collectors.docs.tree import Tree

from anops_policy.collection.collector import CollectContext
from anops_policy.collection.git import GitError

DEFAULT_PLANS = ("ACTIONPLAN.md", "ACTION_PLAN.md", "ACTION-PLAN.md")
DOC_PATTERNS = ("*.md", "*.markdown", "*.rst", "*.adoc", "*.txt", "docs/**", "doc/**",
                "LICENSE*", "COPYING*", "NOTICE*", "AUTHORS*", "CHANGELOG*")
LAST_UPDATED = re.compile(
    r"(?i)(?<![a-z])(?:last\s+(?:updated|modified|reviewed|revised)|updated(?:\s+on)?|as\s+of)(?![a-z])"
    r"[\s*_]*[:\-–—]?[\s*_]*(\d{4}-\d{2}-\d{2})(?!\d)")


def find_plan_paths(ctx: CollectContext, docs_config: Mapping[str, str], extra: Sequence[str], tree: Tree) -> list[str]:
    configured = docs_config.get("action_plan")
    if configured:
        main = configured.strip("/")
    else:
        lower = {p.lower(): p for p in tree.files if "/" not in p}
        main = next((lower[n.lower()] for n in DEFAULT_PLANS if n.lower() in lower), DEFAULT_PLANS[0])
    paths = [main]
    for entry in extra:
        matches = ctx.glob([entry]) if any(ch in entry for ch in "*?[") else [entry.strip("/")]
        paths.extend(p for p in matches if p not in paths)
    return paths


class History:
    """Commit times from git (None without git or history)."""

    def __init__(self, ctx: CollectContext) -> None:
        self.ctx = ctx
        self._code: datetime | None = None
        self._code_known = False

    def last_commit_time(self, path: str) -> tuple[str, datetime | None]:
        git = self.ctx.git
        if git is None:
            return "no-git", None
        try:
            out = git.run("log", "-1", "--format=%cI", "--", git.to_top_path(path), check=False).strip()
        except GitError:
            return "no-git", None
        return ("committed", _parse(out)) if out else ("uncommitted", None)

    def code_last_commit_time(self) -> datetime | None:
        """The newest commit that touched a non-documentation file under the evaluated directory."""
        if self._code_known:
            return self._code
        self._code_known = True
        git = self.ctx.git
        if git is not None:
            lead = git.prefix + "/" if git.prefix else ""
            excludes = [f":(glob,exclude){lead}**/{pattern}" for pattern in DOC_PATTERNS]
            try:
                out = git.run("log", "-1", "--format=%cI", "--", git.prefix or ".", *excludes, check=False).strip()
            except GitError:
                out = ""
            self._code = _parse(out) if out else None
        return self._code


def plan_facts(
    ctx: CollectContext, path: str, doc: Document | None, clis: Sequence[Cli], tree: Tree, history: History
) -> dict[str, Any]:
    plan: dict[str, Any] = {"path": path, "present": doc is not None}
    if doc is None:
        plan.update({
            "checklist": {"open": 0, "closed": 0, "total": 0, "items": []},
            "references": {"paths": [], "missing_paths": [], "commands": [], "unknown_commands": []},
            "commands_not_mentioned": [],
        })
        return plan
    plan["line"] = 1
    state, last = history.last_commit_time(path)
    plan["git"] = state
    now = ctx.now.astimezone(UTC)
    if last is not None:
        plan["last_commit_time"] = iso(last)
        plan["days_since_commit"] = max(0, (now - last).days)
        code = history.code_last_commit_time()
        if code is not None:
            plan["days_behind_code"] = max(0, (code - last).days)
    for line, text in doc.prose:
        m = LAST_UPDATED.search(text)
        if m:
            try:
                declared = datetime.strptime(m.group(1), "%Y-%m-%d").replace(tzinfo=UTC)
            except ValueError:
                continue
            plan["declared_updated"] = {"path": path, "line": line, "date": m.group(1),
                                        "age_days": max(0, (now - declared).days)}
            break
    items = [{"path": path, "line": t.line, "done": t.done, "text": t.text[:200]} for t in doc.tasks]
    closed = sum(1 for t in doc.tasks if t.done)
    plan["checklist"] = {"open": len(items) - closed, "closed": closed, "total": len(items), "items": items}
    plan["references"] = reference_facts(path, doc, clis, tree)
    plan["commands_not_mentioned"] = _not_mentioned(path, doc, clis)
    return plan


def _not_mentioned(path: str, doc: Document, clis: Sequence[Cli]) -> list[dict[str, Any]]:
    """Release-critical subcommands (the config's ``commands``) the document never names as
    ``<binary> <command>``."""
    text = "\n".join(t for _, t in [*doc.prose, *((ln, t) for b in doc.code_blocks for ln, t in b.lines)])
    out = []
    for cli in clis:
        for command, origin in sorted(cli.commands.items()):
            if origin != "config":
                continue
            uses = (r"\b" + re.escape(b) + r"\s+" + re.escape(command) + r"\b" for b in cli.binaries)
            if not any(re.search(use, text) for use in uses):
                out.append({"path": path, "component": cli.component, "command": command,
                            "usage": f"{cli.binaries[0]} {command}"})
    return out


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).astimezone(UTC)


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")
