"""Every rule over its files, one file at a time, with each (file, rule) result kept between runs in the
summary cache (``summary_cache``): keyed by the file's path and bytes and the rule's declaration, so a
re-run parses and walks only the files that changed, or whose rules did.

A file's result for a rule holds its first ``max_matches`` matches in tree order and their total count,
and the first syntax error of the file when the rule had to parse it. The files are read once, by the
calling process (the keys need their bytes); the files no entry covers are searched in chunks, in forked
children when there is enough source (``fan_out``), which see the texts read before the fork; the new
results come back to the caller, which alone writes the store."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from anops_policy.collectors.patterns.selection import Selection

from anops_policy.collection.collector import CollectContext
from anops_policy.collection.fanout import fan_out
from anops_policy.collection.summary_cache import SummaryStore
from anops_policy.syntax.rules import CompiledRule, Match
from anops_policy.syntax.trees import source_trees

DEFAULT_MAX_MATCHES = 1000
FAN_OUT_BYTES = 4 * 1024 * 1024  # below this much source to search, one process is faster than forking


@dataclass(frozen=True)
class FileResult:
    """One rule's result on one file."""

    count: int
    matches: list[Match] = field(default_factory=list)  # the first ``max_matches``, in tree order
    error: tuple[int, int] | None = None  # (line, column) of the first syntax error, when parsed


Results = dict[tuple[str, str], FileResult]  # (path, rule id) -> result


def limit_of(rule: CompiledRule) -> int:
    return int(rule.spec.get("max_matches", DEFAULT_MAX_MATCHES))


def rule_digest(rule: CompiledRule) -> str:
    """What a rule's result on a file depends on besides the file: its declaration as written."""
    return json.dumps(dict(rule.spec), sort_keys=True, separators=(",", ":"), default=repr)


def search_rules(
    ctx: CollectContext, rules: Sequence[CompiledRule], selection: Selection, store: SummaryStore
) -> Results:
    """The result of every rule on every file it searches that can hold a match."""
    digests = {r.id: rule_digest(r) for r in rules}
    texts: dict[str, str] = {}
    todo: dict[str, list[CompiledRule]] = {}
    keys: dict[tuple[str, str], str] = {}
    out: Results = {}
    for path in selection.paths:
        text = ctx.read_text(path)
        if text is None:
            continue  # recorded by the context (binary, too large, not UTF-8)
        for rule in selection.rules_of[path]:
            if not rule.may_match(text):
                continue  # the file lacks every word a match must contain: neither parsed nor walked
            key = store.key(path, text, digests[rule.id]) if store.enabled else ""
            cached = store.get(key, FileResult)
            if cached is not None:
                out[(path, rule.id)] = cached
                continue
            keys[(path, rule.id)] = key
            todo.setdefault(path, []).append(rule)
            texts[path] = text
    sizes = {path: len(texts[path]) for path in todo}
    shares = fan_out(
        _chunks(sizes),
        lambda chunk: _search_files(ctx, todo, texts, chunk),
        parallel=sum(sizes.values()) >= FAN_OUT_BYTES,
    )
    for share in shares:
        for where, result in share.items():
            out[where] = result
            store.put(keys[where], result, FileResult)
    return out


def _chunks(sizes: Mapping[str, int]) -> list[list[str]]:
    """The files in a few chunks of similar size, biggest files first (the longest jobs start early)."""
    ordered = sorted(sizes, key=lambda p: (-sizes[p], p))
    chunks: list[list[str]] = [[] for _ in range(8)]
    weights = [0] * len(chunks)
    for path in ordered:
        i = weights.index(min(weights))
        chunks[i].append(path)
        weights[i] += sizes[path] + 1
    return [c for c in chunks if c]


def _search_files(
    ctx: CollectContext, todo: Mapping[str, Sequence[CompiledRule]], texts: Mapping[str, str], paths: list[str]
) -> Results:
    """Each file of ``paths`` parsed once per language of the rules searching it (possibly in a forked
    child: ``texts`` were read before the fork, and the results are returned, never stored here)."""
    trees = source_trees(ctx.memo)
    out: Results = {}
    for path in paths:
        text = texts[path]
        for rule in todo[path]:
            tree = trees.tree(path, text, rule.language)
            matches, count = rule.find(tree.root, text, keep=limit_of(rule))
            out[(path, rule.id)] = FileResult(count, matches, tree.error)
    return out


def assemble(rules: Sequence[CompiledRule], selection: Selection, results: Results) -> dict[str, Any]:
    """``facts.patterns``: per rule, its first ``max_matches`` matches in (path, line, column) order, all
    matches counted, and the files that did not parse."""
    section: dict[str, Any] = {}
    for rule in rules:
        limit = limit_of(rule)
        hits: list[dict[str, Any]] = []
        count = 0
        errors: list[dict[str, Any]] = []
        for path in selection.paths:
            result = results.get((path, rule.id))
            if result is None:
                continue
            count += result.count
            if result.error is not None:
                line, column = result.error
                errors.append({"path": path, "line": line, "column": column, "language": rule.language.name})
            room = limit - len(hits)
            for match in result.matches[: max(0, room)]:
                hits.append({
                    "path": path,
                    "line": match.line,
                    "column": match.column,
                    "end_line": match.end_line,
                    "text": match.text,
                    "captures": dict(match.captures),
                })
        kept = sorted(hits, key=lambda m: (m["path"], m["line"], m["column"]))
        by_path: dict[str, list[dict[str, Any]]] = {}
        for hit in kept:
            by_path.setdefault(hit["path"], []).append(hit)
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
