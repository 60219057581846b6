"""Pattern rules as a pack and a repository declare them: read with their source positions (a pack's
``pack.yaml`` ``patterns:`` and its ``patterns/*.yaml`` files; a config's ``patterns:``), checked — the
schema, a known language, snippets that parse in it, a rule ast-grep accepts, and the rule's own examples —
with every problem located as ``file:line:column``, and merged (a config rule replaces a pack rule of the
same id)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from anops_policy.errors import ConfigError
from anops_policy.policy import cache as policy_cache
from anops_policy.policy.loading import Problems
from anops_policy.policy.model import PatternRule
from anops_policy.syntax.rule_examples import ExampleResult, run_examples
from anops_policy.syntax.rules import CompiledRule, RuleError, compile_rule
from anops_policy.validation import validate
from anops_policy.yamlsafe import Marks, load_yaml_file

PATTERNS_FOLDER = "patterns"
CONFIG_API = "anops.dev/config/v1"
Where = tuple[str | int, ...]




def pattern_files(folder: Path) -> list[Path]:
    """A pack's ``patterns/*.yaml`` files, sorted."""
    sub = folder / PATTERNS_FOLDER
    if not sub.is_dir():
        return []
    return sorted(p for p in sub.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def pack_rules(folder: Path, display: str, meta: Mapping[str, Any] | None, marks: Marks | None) -> list[PatternRule]:
    """The rules of the pack in ``folder``: ``pack.yaml``'s ``patterns:`` (``meta``, already validated),
    then each ``patterns/*.yaml`` file (a YAML list of rules)."""
    rules = _rules((meta or {}).get("patterns") or [], f"{display}/pack.yaml", ("patterns",), marks)
    for file in pattern_files(folder):
        shown = f"{display}/{PATTERNS_FOLDER}/{file.name}"
        data, file_marks = load_yaml_file(str(file), shown)
        validate(data, "pattern", file_marks, shown, what="load patterns")
        rules += _rules(data, shown, (), file_marks)
    return rules


def config_rules(raw: Mapping[str, Any], file: str, marks: Marks | None) -> list[PatternRule]:
    """The rules of a repository config (its ``patterns:``, validated with the config)."""
    return _rules(raw.get("patterns") or [], file, ("patterns",), marks)


def _rules(items: Iterable[Any], file: str, prefix: Where, marks: Marks | None) -> list[PatternRule]:
    return [
        PatternRule(str(spec["id"]), dict(spec), file, (*prefix, index), marks)
        for index, spec in enumerate(items)
        if isinstance(spec, Mapping) and "id" in spec
    ]


def check_rules(rules: Sequence[PatternRule], problems: Problems, *, examples: bool = True) -> list[CompiledRule]:
    """Compile every rule (and run its examples): each problem located in ``problems``; duplicate ids in
    one declaring source are problems too. Returns the rules that compiled."""
    seen: dict[str, PatternRule] = {}
    compiled: list[CompiledRule] = []
    for rule in rules:
        if rule.id in seen:
            other = _where(seen[rule.id])
            problems.add(rule.at("id"), f"duplicate pattern rule id '{rule.id}' (also declared {other})")
            continue
        seen[rule.id] = rule
        known = policy_cache.checked_rule(rule.spec)
        if known is not None:  # compiled and passed its examples before (the cache's key covers the engine)
            compiled.append(known)
            continue
        try:
            result = compile_rule(rule.spec)
        except RuleError as exc:
            for problem in exc.problems:
                where = rule.inside(problem.where, problem.line, problem.column)
                problems.add(where, f"pattern rule '{rule.id}': {problem.message}")
            continue
        compiled.append(result)
        failures = [r for r in run_examples(result, rule.spec.get("examples") or {}) if not r.ok] if examples else []
        for failure in failures:
            problems.add(
                rule.at("examples", failure.kind, failure.index),
                f"pattern rule '{rule.id}': {failure.kind} example {failure.index + 1}: {failure.detail}",
            )
        if examples and not failures:
            policy_cache.rule_passed(rule.spec, result)
    return compiled


def _where(rule: PatternRule) -> str:
    """``in pack.yaml, line 9``: where a rule is declared, by file name (messages stay short and portable)."""
    name = rule.file.rsplit("/", 1)[-1]
    position = rule.marks.values.get((*rule.where, "id")) if rule.marks is not None else None
    return f"in {name}, line {position[0]}" if position else f"in {name}"


def example_results(rule: PatternRule) -> tuple[list[ExampleResult], list[str]]:
    """The rule's example results, or the problems that kept it from compiling (for ``test``)."""
    try:
        compiled = compile_rule(rule.spec)
    except RuleError as exc:
        return [], [f"{rule.inside(p.where, p.line, p.column)}: {p.message}" for p in exc.problems]
    return run_examples(compiled, rule.spec.get("examples") or {}), []


def is_config_file(path: Path) -> bool:
    """A repository config (``apiVersion: anops.dev/config/v1``) rather than a policy file."""
    if not path.is_file() or path.suffix not in (".yaml", ".yml"):
        return False
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return False
    return any(line.split("#")[0].strip() in (f"apiVersion: {CONFIG_API}", f'apiVersion: "{CONFIG_API}"')
               for line in head.splitlines())


def merge_rules(packs: Sequence[Sequence[PatternRule]], config: Sequence[PatternRule]) -> list[PatternRule]:
    """The run's rules: every pack's (the first pack to declare an id wins), then the config's (a config
    rule replaces a pack rule of the same id), sorted by id."""
    out: dict[str, PatternRule] = {}
    for rules in packs:
        for rule in rules:
            out.setdefault(rule.id, rule)
    out.update((rule.id, rule) for rule in config)
    return [out[k] for k in sorted(out)]


def config_patterns_checked(raw: Mapping[str, Any], file: str, marks: Marks | None) -> list[PatternRule]:
    """The config's rules, checked (examples included): ConfigError listing every located problem."""
    rules = config_rules(raw, file, marks)
    problems = Problems()
    check_rules(rules, problems)
    if problems.items:
        raise ConfigError("\n".join(item.removeprefix("load policy ") for item in problems.items))
    return rules
