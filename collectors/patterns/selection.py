"""Which files each pattern rule searches: its ``files`` globs (default: every listed file of its language,
by extension), less its ``exclude`` globs, with test files (recognised by the language's conventions)
included, left out or searched alone as ``tests:`` says."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from anops_policy.collection.collector import CollectContext
from anops_policy.collection.gitignore import pattern_spec
from anops_policy.syntax.rules import CompiledRule


@dataclass
class Selection:
    paths: list[str] = field(default_factory=list)  # every file some rule searches, sorted
    rules_of: dict[str, list[CompiledRule]] = field(default_factory=dict)  # path -> the rules searching it
    counts: dict[str, int] = field(default_factory=dict)  # rule id -> files it searches


def select_files(ctx: CollectContext, rules: Sequence[CompiledRule]) -> Selection:
    out = Selection()
    listing = ctx.files()
    for rule in rules:
        spec = rule.spec
        globs = [str(g) for g in spec.get("files") or []]
        pool = ctx.glob(globs) if globs else [p for p in listing if rule.language.owns(p)]
        exclude = pattern_spec([str(g) for g in spec.get("exclude") or []])
        tests = str(spec.get("tests", "include"))
        chosen = [
            p for p in pool
            if not exclude.match_file(p) and (tests == "include" or rule.language.is_test(p) == (tests == "only"))
        ]
        out.counts[rule.id] = len(chosen)
        for path in chosen:
            out.rules_of.setdefault(path, []).append(rule)
    out.paths = sorted(out.rules_of)
    return out
