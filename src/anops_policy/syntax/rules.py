"""Pattern rules in ast-grep's rule syntax: compiled once (each snippet given the context its grammar
needs, see ``snippets``), checked (language, snippets that do not parse, rules ast-grep refuses), run on a
parsed file, and tried on their own examples.

A problem is reported with the place inside the rule's declaration it belongs to (``where``: the keys from
the rule's mapping down to the offending value, and a line and column inside that value), so the caller,
who knows the declaration's file positions, can name ``file:line:column``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from ast_grep_py import Config, SgNode, SgRoot

from anops_policy.schema_fast import plain_json
from anops_policy.syntax.languages import LANGUAGES, Language, language
from anops_policy.syntax.snippets import METAVARIABLE as METAVARIABLE_TEXT
from anops_policy.syntax.snippets import SnippetError, metavariables, prepare
from anops_policy.validation import suggest

RELATIONS = ("inside", "has", "precedes", "follows")
MAX_TEXT = 200  # characters of matched text and of each capture kept in the facts
MAX_REMEMBERED = 4096  # compiled rules kept per process (a server following a pack compiles new ones)
Where = tuple[str | int, ...]


@dataclass(frozen=True)
class RuleProblem:
    where: Where  # path inside the rule's declaration
    message: str
    line: int = 1  # inside the value at ``where`` (a snippet's own line and column), 1-based
    column: int = 1


class RuleError(Exception):
    def __init__(self, problems: list[RuleProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Match:
    line: int  # 1-based
    column: int  # 1-based
    end_line: int
    end_column: int
    text: str
    captures: dict[str, str]


@dataclass(frozen=True)
class CompiledRule:
    id: str
    language: Language
    config: dict[str, Any]  # what ast-grep runs
    captures: tuple[str, ...]  # named metavariables of the rule's snippets
    spec: Mapping[str, Any] = field(default_factory=dict)  # the declaration as written
    # words a file must contain (one of them) for the rule to match in it; None: no such word is known
    words: tuple[str, ...] | None = None

    def may_match(self, text: str) -> bool:
        """False when the file cannot hold a match (it lacks every word a match must contain): no parse."""
        return self.words is None or any(word in text for word in self.words)

    def find(self, root: SgNode, source: str, keep: int | None = None) -> tuple[list[Match], int]:
        """The first ``keep`` matches (all when None) with their positions and captures, and the number of
        matches. Only kept matches are located: a node's position costs a scan of its line, which on a
        minified file with 100,000 matches on one line would be quadratic."""
        nodes = root.find_all(cast(Config, self.config))
        kept = nodes if keep is None else nodes[:keep]
        return [self._match(node, source) for node in kept], len(nodes)

    def _match(self, node: SgNode, source: str) -> Match:
        r = node.range()
        return Match(
            line=r.start.line + 1,
            column=r.start.column + 1,
            end_line=r.end.line + 1,
            end_column=r.end.column + 1,
            text=_bounded(node.text()),
            captures=self._captures(node, source),
        )

    def _captures(self, node: SgNode, source: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for name in self.captures:
            single = node.get_match(name)
            if single is not None:
                out[name] = _bounded(single.text())
                continue
            several = [n for n in node.get_multiple_matches(name) if n.text()]
            if several:
                out[name] = _bounded(source[several[0].range().start.index: several[-1].range().end.index])
        return out


def _bounded(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


_COMPILED: dict[str, CompiledRule] = {}  # this process's compiled rules, by their declaration (spec_key)


def spec_key(spec: Mapping[str, Any]) -> str | None:
    """A rule's declaration as canonical JSON text, or None when it is not plain JSON (a YAML date, a
    non-string key): such a rule is compiled every time, never remembered under an approximate key."""
    if not plain_json(spec):
        return None
    return json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def remember(spec: Mapping[str, Any], rule: CompiledRule) -> None:
    """Keep ``rule`` as the compiled form of ``spec`` for the rest of the process: the pack's static check
    and the patterns collector of one run compile the same declarations."""
    key = spec_key(spec)
    if key is None:
        return
    if len(_COMPILED) >= MAX_REMEMBERED:
        _COMPILED.clear()
    _COMPILED[key] = rule


def rule_data(rule: CompiledRule) -> dict[str, Any]:
    """What ``rule_from_data`` needs to rebuild ``rule`` (JSON data: the compiled-policy cache stores it)."""
    return {
        "language": rule.language.name,
        "config": rule.config,
        "captures": list(rule.captures),
        "words": None if rule.words is None else list(rule.words),
    }


def rule_from_data(spec: Mapping[str, Any], data: Any) -> CompiledRule | None:
    """The rule ``rule_data`` described for ``spec``, or None when ``data`` is not such a description."""
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
        return None
    name = data.get("language")
    lang = LANGUAGES.get(name) if isinstance(name, str) else None
    captures, words = data.get("captures"), data.get("words")
    if lang is None or not isinstance(captures, list) or not all(type(c) is str for c in captures):
        return None
    if words is not None and not (isinstance(words, list) and all(type(w) is str for w in words)):
        return None
    return CompiledRule(
        str(spec.get("id", "")), lang, data["config"], tuple(captures), spec, None if words is None else tuple(words)
    )


def compile_rule(spec: Mapping[str, Any]) -> CompiledRule:
    """The rule declared by ``spec`` (id, language, rule, constraints, utils, …); RuleError listing every
    problem found. A declaration compiled before in this process is not compiled again."""
    key = spec_key(spec)
    known = _COMPILED.get(key) if key is not None else None
    if known is not None:
        return known
    compiled = _compile(spec)
    remember(spec, compiled)
    return compiled


def _compile(spec: Mapping[str, Any]) -> CompiledRule:
    lang_name = str(spec.get("language", ""))
    lang = language(lang_name)
    if lang is None:
        raise RuleError([RuleProblem(
            ("language",), f"unknown language '{lang_name}'{suggest(lang_name, LANGUAGES)}; "
            f"known: {', '.join(sorted(LANGUAGES))}"
        )])
    problems: list[RuleProblem] = []
    names: list[str] = []
    config: dict[str, Any] = {"rule": _rule(spec.get("rule"), lang, ("rule",), problems, names)}
    for key in ("constraints", "utils"):
        if isinstance(spec.get(key), Mapping):
            config[key] = {
                str(k): _rule(v, lang, (key, str(k)), problems, names) for k, v in spec[key].items()
            }
    unknown = [n for n in _constraint_names(spec) if n not in names]
    if unknown:
        problems.append(RuleProblem(
            ("constraints", unknown[0]),
            f"constraint on ${unknown[0]}, which no pattern of the rule captures{suggest(unknown[0], names)}",
        ))
    if problems:
        raise RuleError(problems)
    try:
        SgRoot("", lang.grammar).root().find(cast(Config, config))  # ast-grep checks the rule here
    except (RuntimeError, ValueError, TypeError) as exc:
        raise RuleError([RuleProblem(("rule",), f"ast-grep refuses the rule: {_cause(exc)}")]) from None
    return CompiledRule(str(spec.get("id", "")), lang, config, tuple(names), spec, required_words(spec.get("rule")))


WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def required_words(rule: Any) -> tuple[str, ...] | None:
    """Words of which every match of ``rule`` contains at least one: the longest identifier of its pattern
    (a metavariable stands for anything, but the pattern's own identifiers are matched as written), one per
    alternative of an ``any``, the most selective requirement of an ``all`` or of a related node (``inside``,
    ``has``, ``precedes``, ``follows``: that node is in the file too). None when a match needs no
    word (a ``kind`` or ``regex`` alone, ``matches``): such a rule searches every file."""
    if not isinstance(rule, Mapping):
        return None
    found: list[tuple[str, ...]] = []
    pattern = rule.get("pattern")
    if isinstance(pattern, str):  # an explicit {context, selector} says nothing of what is outside the selector
        identifiers: list[str] = WORD.findall(METAVARIABLE_TEXT.sub(" ", pattern))
        if identifiers:
            found.append((max(identifiers, key=len),))
    if isinstance(rule.get("all"), list):
        found += [w for w in (required_words(sub) for sub in rule["all"]) if w is not None]
    for relation in RELATIONS:  # a related node (an ancestor, a descendant, a sibling) is in the file too
        related = required_words(rule.get(relation))
        if related is not None:
            found.append(related)
    if isinstance(rule.get("any"), list):
        alternatives = [required_words(sub) for sub in rule["any"]]
        if alternatives and all(a is not None for a in alternatives):
            found.append(tuple(dict.fromkeys(w for a in alternatives if a is not None for w in a)))
    if not found:
        return None
    return min(found, key=lambda words: (len(words), -min(len(w) for w in words)))


def _constraint_names(spec: Mapping[str, Any]) -> list[str]:
    constraints = spec.get("constraints")
    return [str(k) for k in constraints] if isinstance(constraints, Mapping) else []


def _cause(exc: BaseException) -> str:
    """ast-grep's error text without its 'cannot get matcher / Caused by' framing, on one line."""
    text = str(exc).split("Stack backtrace:")[0]
    lines = [re.sub(r"^\d+:\s*", "", ln.strip()) for ln in text.splitlines() if ln.strip()]
    lines = [ln.rstrip(".") for ln in lines if ln not in ("cannot get matcher", "Caused by:")]
    return "; ".join(lines) or str(exc).splitlines()[0]


def _rule(value: Any, lang: Language, where: Where, problems: list[RuleProblem], names: list[str]) -> Any:
    """``value`` (a rule mapping) with every snippet prepared for ``lang``."""
    if not isinstance(value, Mapping):
        problems.append(RuleProblem(where, "expected a rule mapping (pattern, kind, regex, inside, has, all, …)"))
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        at = (*where, str(key))
        if key == "pattern":
            out[key] = _pattern(item, lang, at, problems, names)
        elif key in RELATIONS or key == "not" or (key == "stopBy" and isinstance(item, Mapping)):
            out[key] = _rule(item, lang, at, problems, names)
        elif key in ("all", "any") and isinstance(item, list):
            out[key] = [_rule(sub, lang, (*at, i), problems, names) for i, sub in enumerate(item)]
        else:
            out[key] = item
    return out


def _pattern(value: Any, lang: Language, where: Where, problems: list[RuleProblem], names: list[str]) -> Any:
    text = value.get("context") if isinstance(value, Mapping) else value
    if not isinstance(text, str):
        problems.append(RuleProblem(where, "a pattern is a code snippet string or {context, selector}"))
        return value
    names.extend(n for n in metavariables(text) if n not in names)
    if isinstance(value, Mapping):
        return dict(value)  # an explicit context: the author chose it
    try:
        return prepare(text, lang)
    except SnippetError as exc:
        problems.append(RuleProblem(where, exc.message, exc.line, exc.column))
        return value
