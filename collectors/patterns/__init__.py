"""``patterns``: code-pattern rules as facts. Every rule the packs and the repository config declare (the
merge is the config's ``patterns`` list the collectors see) runs over the files of its language:
``facts.patterns.<id>`` = ``{language, files, count, matches, by_path, errors, truncated}``.

Each file is read and parsed once for all the rules of its language (``syntax.trees``); rules match syntax
trees, so code in comments and strings never matches. Each file's result per rule is kept between runs by
content (``search``). A file that does not parse is listed in the
``errors`` of the rules that searched it, with the first error position; what tree-sitter recovered of it
is still searched.

May import collection, syntax and the shared leaves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from anops_policy.collectors.patterns.search import assemble, search_rules
from anops_policy.collectors.patterns.selection import select_files

from anops_policy.collection.collector import CollectContext
from anops_policy.errors import CollectorFailed, NotConfigured
from anops_policy.syntax.rules import CompiledRule, RuleError, compile_rule


class PatternsCollector:
    name = "patterns"
    version = "1"
    depends_on: tuple[str, ...] = ()

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        specs: Sequence[Mapping[str, Any]] = ctx.config.raw.get("patterns") or []
        if not specs:
            raise NotConfigured(
                "no pattern rule is declared",
                "declare `patterns:` in anops-policy.yaml (id, language, rule), or use a pack that declares some",
            )
        rules = [_compile(spec) for spec in specs]
        selection = select_files(ctx, rules)
        results = search_rules(ctx, rules, selection, ctx.summaries(self))
        return assemble(rules, selection, results)


def _compile(spec: Mapping[str, Any]) -> CompiledRule:
    try:
        return compile_rule(spec)
    except RuleError as exc:  # the static check reports these before a run; `facts` alone does not check
        raise CollectorFailed(f"pattern rule '{spec.get('id')}': {exc}") from None
