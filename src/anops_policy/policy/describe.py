"""``anops-policy explain POLICY``: a policy's own metadata rendered as documentation."""

from __future__ import annotations

import json

from anops_policy.policy.model import Pack, Policy


def describe(pack: Pack, policy: Policy) -> str:
    item = next((i for i in pack.items if i.id == policy.checklist), None)
    phases = ", ".join(
        f"{p.level.value} until {p.until.isoformat()}" if p.until else p.level.value for p in policy.phases
    )
    lines = [
        f"{policy.id}: {policy.title}",
        f"  pack:        {pack.id} {pack.version}",
        f"  checklist:   {policy.checklist}" + (f" — {item.title}" if item else ""),
        f"  severity:    {policy.severity}",
        f"  enforcement: {phases}",
        f"  requires:    {', '.join(policy.requires) or '-'}",
        f"  file:        {policy.file}",
    ]
    if policy.description:
        lines += ["", policy.description.strip()]
    if policy.params:
        lines += ["", "Parameters (override in anops-policy.yaml under params: {" + policy.id + ": {...}}):"]
        for param in policy.params:
            lines.append(
                f"  {param.name} ({param.type}, default {json.dumps(param.default)}) {param.description}".rstrip()
            )
    if policy.for_each:
        lines += ["", f"For each:     {policy.for_each.source}"]
    if policy.applies_when:
        lines.append(f"Applies when: {policy.applies_when.source}")
    if policy.not_applicable_message:
        text = "".join(p if isinstance(p, str) else "{" + p.source + "}" for p in policy.not_applicable_message.parts)
        lines.append(f"Otherwise:    not_applicable, {text.strip()}")
    for var in policy.variables:
        lines.append(f"vars.{var.name} = {var.expr.source}")
    lines += [f"Rule:         {policy.rule.source}", "", "Remediation:", f"  {policy.remediation}"]
    if policy.references:
        lines += ["", "References:"] + [f"  - {r}" for r in policy.references]
    lines += ["", "Examples:"]
    for example in policy.examples:
        lines.append(f"  - {example.name} → {example.expect.value}")
    return "\n".join(lines) + "\n"
