"""``pack diff OLD NEW``: what an upgrade changes in the rules a repository is judged by — policies added and
removed, and for each policy in both, what changed: its rule, parameters, enforcement and its phases, and
the rest of what decides an outcome (for_each, applies_when, variables, severity, checklist item)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from anops_policy.policy.model import Pack, Policy


@dataclass
class PolicyChange:
    id: str
    changes: list[dict[str, Any]] = field(default_factory=list)  # {"field", "old", "new"}


@dataclass
class PackDiff:
    old: Pack
    new: Pack
    added: list[Policy] = field(default_factory=list)
    removed: list[Policy] = field(default_factory=list)
    changed: list[PolicyChange] = field(default_factory=list)
    items: list[str] = field(default_factory=list)  # checklist items added or removed, as "+ id title"

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.items)

    def to_json(self) -> dict[str, Any]:
        return {
            "old": {"id": self.old.id, "version": self.old.version, "digest": self.old.digest},
            "new": {"id": self.new.id, "version": self.new.version, "digest": self.new.digest},
            "added": [{"id": p.id, "enforcement": _enforcement(p), "checklist": p.checklist} for p in self.added],
            "removed": [{"id": p.id, "enforcement": _enforcement(p), "checklist": p.checklist} for p in self.removed],
            "changed": [{"id": c.id, "changes": c.changes} for c in self.changed],
            "items": self.items,
        }


def _enforcement(policy: Policy) -> str:
    return " → ".join(
        f"{ph.level.value} until {ph.until.isoformat()}" if ph.until else ph.level.value for ph in policy.phases
    )


def _params(policy: Policy) -> dict[str, str]:
    return {p.name: f"{p.type}, default {json.dumps(p.default, sort_keys=True)}" for p in policy.params}


def _fields(policy: Policy) -> dict[str, Any]:
    return {
        "rule": policy.rule.source,
        "enforcement": _enforcement(policy),
        "severity": policy.severity,
        "checklist": policy.checklist,
        "for_each": policy.for_each.source if policy.for_each else None,
        "applies_when": policy.applies_when.source if policy.applies_when else None,
        "requires": ", ".join(policy.requires),
        "variables": {v.name: v.expr.source for v in policy.variables},
        "message": "".join(p if isinstance(p, str) else "{" + p.source + "}" for p in policy.message.parts),
    }


def diff_packs(old: Pack, new: Pack) -> PackDiff:
    result = PackDiff(old, new)
    before = {p.id: p for p in old.policies}
    after = {p.id: p for p in new.policies}
    result.added = [after[i] for i in sorted(set(after) - set(before))]
    result.removed = [before[i] for i in sorted(set(before) - set(after))]
    for pid in sorted(set(before) & set(after)):
        a, b = before[pid], after[pid]
        change = PolicyChange(pid)
        fa, fb = _fields(a), _fields(b)
        for name in fa:
            if name == "variables":
                for var in sorted(set(fa[name]) | set(fb[name])):
                    if fa[name].get(var) != fb[name].get(var):
                        change.changes.append({"field": f"variable {var}", "old": fa[name].get(var),
                                               "new": fb[name].get(var)})
            elif fa[name] != fb[name]:
                change.changes.append({"field": name, "old": fa[name], "new": fb[name]})
        pa, pb = _params(a), _params(b)
        for param in sorted(set(pa) | set(pb)):
            if pa.get(param) != pb.get(param):
                change.changes.append({"field": f"param {param}", "old": pa.get(param), "new": pb.get(param)})
        if change.changes:
            result.changed.append(change)
    items_a = {i.id: i.title for i in old.items}
    items_b = {i.id: i.title for i in new.items}
    result.items = [f"+ {i} {items_b[i]}" for i in sorted(set(items_b) - set(items_a))]
    result.items += [f"- {i} {items_a[i]}" for i in sorted(set(items_a) - set(items_b))]
    return result


def render_text(diff: PackDiff) -> str:
    old, new = diff.old, diff.new
    lines = [f"pack {old.id} {old.version} ({old.digest[:19]}) → {new.id} {new.version} ({new.digest[:19]})"]
    if diff.empty:
        lines.append("no policy changes")
    for policy in diff.added:
        lines.append(f"+ added   {policy.id} ({_enforcement(policy)}, item {policy.checklist}): {policy.title}")
    for policy in diff.removed:
        lines.append(f"- removed {policy.id} ({_enforcement(policy)}, item {policy.checklist})")
    for change in diff.changed:
        lines.append(f"~ changed {change.id}")
        for c in change.changes:
            lines.append(f"    {c['field']}: {_show(c['old'])} → {_show(c['new'])}")
    lines += [f"  checklist item {line}" for line in diff.items]
    counts = f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed"
    return "\n".join([*lines, counts]) + "\n"


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    text = " ".join(text.split())
    return text if len(text) <= 160 else text[:157] + "..."
