"""``patterns``: code-pattern rules as facts. Every rule the packs and the repository config declare (the
merge is the config's ``patterns`` list the collectors see) runs over the files of its language:
``facts.patterns.<id>`` = ``{language, files, count, matches, by_path, errors, truncated}``.

Each file is read and parsed once for all the rules of its language (``syntax.trees``); rules match syntax
trees, so code in comments and strings never matches. A file that does not parse is listed in the
``errors`` of the rules that searched it, with the first error position; what tree-sitter recovered of it
is still searched.

May import collection, syntax and the shared leaves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from anops_policy.collectors.patterns.selection import Selection, select_files

from anops_policy.collection.collector import CollectContext
from anops_policy.collection.fanout import fan_out
from anops_policy.collection.repo import Skip
from anops_policy.errors import CollectorFailed, NotConfigured
from anops_policy.syntax.rules import CompiledRule, RuleError, compile_rule
from anops_policy.syntax.trees import source_trees

DEFAULT_MAX_MATCHES = 1000
FAN_OUT_BYTES = 4 * 1024 * 1024  # below this much source, one process is faster than forking


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
        sizes = {path: ctx.repo.size(path) for path in selection.paths}
        results = fan_out(
            _chunks(selection, sizes),
            lambda chunk: _search_share(ctx, rules, selection, chunk),
            parallel=sum(sizes.values()) >= FAN_OUT_BYTES,
        )
        for _, skips, reads in results:  # each share's skipped files and reads, wherever it ran
            ctx.skips.extend(skips)
            ctx.reads += reads
        return _assemble(rules, selection, [found for found, _, _ in results])


def _compile(spec: Mapping[str, Any]) -> CompiledRule:
    try:
        return compile_rule(spec)
    except RuleError as exc:  # the static check reports these before a run; `facts` alone does not check
        raise CollectorFailed(f"pattern rule '{spec.get('id')}': {exc}") from None


def _chunks(selection: Selection, sizes: Mapping[str, int]) -> list[list[str]]:
    """The files in a few chunks of similar size, biggest files first (the longest jobs start early)."""
    ordered = sorted(selection.paths, key=lambda p: (-sizes.get(p, 0), p))
    chunks: list[list[str]] = [[] for _ in range(8)]
    weights = [0] * len(chunks)
    for path in ordered:
        i = weights.index(min(weights))
        chunks[i].append(path)
        weights[i] += sizes.get(path, 0) + 1
    return [c for c in chunks if c]


Found = dict[str, Any]  # rule id -> {"matches": [(path, Match)...], "count": int, "errors": [...]}


def _search_share(
    ctx: CollectContext, rules: Sequence[CompiledRule], selection: Selection, paths: list[str]
) -> tuple[Found, list[Skip], int]:
    """``_search`` with the files it skipped and read taken out of ``ctx`` and returned (a share may run
    in a forked child, whose ``ctx`` the caller never sees)."""
    skipped, reads = len(ctx.skips), ctx.reads
    found = _search(ctx, rules, selection, paths)
    skips = ctx.skips[skipped:]
    del ctx.skips[skipped:]
    read, ctx.reads = ctx.reads - reads, reads
    return found, skips, read


def _search(ctx: CollectContext, rules: Sequence[CompiledRule], selection: Selection, paths: list[str]) -> Found:
    """Every rule over ``paths``: each file read once, and parsed once per language of the rules that
    search it."""
    out: Found = {r.id: {"matches": [], "count": 0, "errors": []} for r in rules}
    limits = {r.id: int(r.spec.get("max_matches", DEFAULT_MAX_MATCHES)) for r in rules}
    trees = source_trees(ctx.memo)
    for path in sorted(paths):  # in path order, so each share keeps its first matches: the union holds the
        wanted = selection.rules_of[path]  # run's first max_matches whatever the split
        text = ctx.read_text(path)
        if text is None:
            continue  # recorded by the context (binary, too large, not UTF-8)
        for rule in wanted:
            if not rule.may_match(text):
                continue  # the file lacks every word a match must contain: neither parsed nor walked
            tree = trees.tree(path, text, rule.language)
            slot = out[rule.id]
            if tree.error is not None:
                line, column = tree.error
                slot["errors"].append({"path": path, "line": line, "column": column, "language": rule.language.name})
            matches, count = rule.find(tree.root, text, keep=max(0, limits[rule.id] - len(slot["matches"])))
            slot["count"] += count
            for match in matches:
                slot["matches"].append({
                    "path": path,
                    "line": match.line,
                    "column": match.column,
                    "end_line": match.end_line,
                    "text": match.text,
                    "captures": match.captures,
                })
    return out


def _assemble(rules: Sequence[CompiledRule], selection: Selection, results: Sequence[Found]) -> dict[str, Any]:
    section: dict[str, Any] = {}
    for rule in rules:
        limit = int(rule.spec.get("max_matches", DEFAULT_MAX_MATCHES))
        matches = sorted(
            (m for r in results for m in r[rule.id]["matches"]), key=lambda m: (m["path"], m["line"], m["column"])
        )
        count = sum(r[rule.id]["count"] for r in results)
        kept = matches[:limit]
        by_path: dict[str, list[dict[str, Any]]] = {}
        for match in kept:
            by_path.setdefault(match["path"], []).append(match)
        errors = sorted((e for r in results for e in r[rule.id]["errors"]), key=lambda e: e["path"])
        section[rule.id] = {
            "language": rule.language.name,
            "files": selection.counts[rule.id],
            "count": count,
            "matches": kept,
            "by_path": by_path,
            "errors": errors[:200],
            "truncated": count > len(kept),
        }
    return section
