"""Loading policies and packs: schema validation, CEL compilation and the static check, with every
problem reported as ``file:line:column: message`` (all problems of a pack at once)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from anops_policy.cel import evaluator as cel
from anops_policy.cel.values import INT64
from anops_policy.errors import ConfigError, PolicyLoadError
from anops_policy.policy import cache as policy_cache
from anops_policy.policy.check import Names
from anops_policy.policy.compiler import Compiler
from anops_policy.policy.model import (
    Example,
    Expr,
    Level,
    Outcome,
    Param,
    Phase,
    Policy,
    Template,
    Variable,
)
from anops_policy.policy.schema_nav import SchemaRef, element, section_names
from anops_policy.validation import schema_key, suggest, validate
from anops_policy.yamlsafe import Marks, load_yaml_file

BUILTIN_PREFIX = "builtin:"
PARAM_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "boolean": (bool,),
    "list": (list,),
    "map": (dict,),
}


@dataclass
class Problems:
    """Collects located problems; ``raise_if_any`` turns them into one ``PolicyLoadError``."""

    items: list[str] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.items.append(f"load policy {where}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            raise PolicyLoadError("\n".join(self.items))


def _type_ok(value: Any, type_name: str) -> bool:
    kinds = PARAM_TYPES[type_name]
    if isinstance(value, bool) and bool not in kinds:
        return False
    return isinstance(value, kinds)


def _out_of_range(value: Any) -> tuple[tuple[str | int, ...], int] | None:
    """The path within ``value`` and the value of its first integer outside CEL's 64-bit range."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, int) and not isinstance(item, bool) and not INT64[0] <= item <= INT64[1]:
            return path, item
        if isinstance(item, dict):
            stack.extend(((*path, str(k)), v) for k, v in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(item))))
    return None


def parse_template(text: str) -> list[tuple[str, int] | tuple[None, str]]:
    """Split a message into literal text and ``{expression}`` sources (with the expression's offset).
    ``{{``/``}}`` are literal braces; braces inside an expression nest, and quotes are respected."""
    parts: list[tuple[str, int] | tuple[None, str]] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if text.startswith("{{", i) or text.startswith("}}", i):
            literal.append(ch)
            i += 2
            continue
        if ch == "}":
            raise ValueError(f"unmatched '}}' at offset {i} (write '}}}}' for a literal brace)")
        if ch != "{":
            literal.append(ch)
            i += 1
            continue
        depth, j, quote = 1, i + 1, ""
        while j < len(text) and depth:
            c = text[j]
            if quote:
                if c == "\\":
                    j += 1
                elif c == quote:
                    quote = ""
            elif c in "\"'":
                quote = c
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            j += 1
        if depth:
            raise ValueError(f"unclosed '{{' at offset {i} (write '{{{{' for a literal brace)")
        if literal:
            parts.append((None, "".join(literal)))
            literal = []
        parts.append((text[i + 1 : j - 1], i + 1))
        i = j
    if literal:
        parts.append((None, "".join(literal)))
    return parts


class PolicyLoader:
    def __init__(
        self,
        file: str,
        data: Mapping[str, Any],
        marks: Marks,
        problems: Problems,
        inputs: tuple[tuple[str, str | None], ...] = (),
    ) -> None:
        self.inputs = inputs
        self.file = file
        self.data = data
        self.marks = marks
        self.problems = problems
        self.facts_used: set[tuple[str, Any]] = set()
        self.scopes: dict[tuple[str | int, ...], dict[str, Any]] = {}  # what each expression could name
        self.compiler = Compiler()  # a loader of many variants of one policy gets a MemoCompiler

    def compile(
        self, where: tuple[str | int, ...], source: str, scope: dict[str, Any], *, origin: tuple[int, int] = (1, 1)
    ) -> Expr | None:
        """Compile and check ``source``, which starts at (line, column) ``origin`` of the string at
        ``where`` (a message placeholder starts inside its message)."""
        self.scopes[where] = dict(scope)
        try:
            compiled = self.compiler.parse(source)
        except cel.CelSyntaxError as exc:
            loc = self._locate(where, origin, exc.line or 1, exc.column or 1)
            self.problems.add(loc, f"invalid CEL: {exc.message}")
            return None
        for problem in self.compiler.check(compiled.tree, scope):
            self.problems.add(self._locate(where, origin, problem.line, problem.column), problem.message)
        self._record_fact_reads(compiled.tree, where, origin)
        return Expr(source, compiled.tree, self.file, where)

    def _locate(self, where: tuple[str | int, ...], origin: tuple[int, int], line: int, column: int) -> str:
        """``file:line:column`` of (line, column) of an expression that starts at ``origin`` of its string."""
        if line == 1:
            return self.marks.inside(where, origin[0], origin[1] + column - 1)
        return self.marks.inside(where, origin[0] + line - 1, column)

    def _record_fact_reads(self, tree: Any, where: tuple[str | int, ...], origin: tuple[int, int]) -> None:
        for name, token in self.compiler.fact_reads(tree):
            self.facts_used.add((name, (where, origin, token.line, token.column)))

    def load(self) -> Policy | None:
        d = self.data
        stem = Path(self.file).stem
        if d["id"] != stem:
            self.problems.add(self.marks.at(("id",)), f"id '{d['id']}' must equal the file name stem '{stem}'")
        params = self._params()
        phases = self._phases()
        sections = set(section_names())
        for index, name in enumerate(d.get("requires", [])):
            if name not in sections:
                self.problems.add(
                    self.marks.at(("requires", index)), f"unknown fact section '{name}'{suggest(name, sections)}"
                )
        scope: dict[str, Any] = {
            "facts": self.compiler.facts_root(self.inputs),
            "params": Names("parameter", {p.name: None for p in params}),
            "vars": Names("variable", {}),
            "now": None,
        }
        for_each = None
        if "for_each" in d:
            for_each = self.compile(("for_each",), d["for_each"], scope)
            subject_type = self.compiler.infer(for_each.tree, scope) if for_each else None
            scope["subject"] = element(subject_type) if isinstance(subject_type, SchemaRef) else None
        subject_id = self.compile(("subject_id",), d["subject_id"], scope) if "subject_id" in d else None
        if subject_id is not None and for_each is None:
            self.problems.add(self.marks.at(("subject_id",)), "subject_id needs for_each")
        applies = self.compile(("applies_when",), d["applies_when"], scope) if "applies_when" in d else None
        variables: list[Variable] = []
        declared: dict[str, Any] = {}
        for index, var in enumerate(d.get("variables", [])):
            scope["vars"] = Names("variable", dict(declared))
            if var["name"] in declared:
                self.problems.add(
                    self.marks.at(("variables", index, "name")), f"variable '{var['name']}' declared twice"
                )
            expr = self.compile(("variables", index, "expression"), var["expression"], scope)
            declared[var["name"]] = self.compiler.infer(expr.tree, scope) if expr else None
            if expr:
                variables.append(Variable(var["name"], expr))
        scope["vars"] = Names("variable", declared)
        rule = self.compile(("rule",), d["rule"], scope)
        evidence = self.compile(("evidence",), d["evidence"], scope) if "evidence" in d else None
        message = self._template(scope)
        scope["vars"] = Names("variable", {})  # the reason is rendered before any variable is
        not_applicable = self._template(scope, "not_applicable_message") if "not_applicable_message" in d else None
        self._check_requires()
        examples = self._examples(params)
        if rule is None or message is None:
            return None
        return Policy(
            id=d["id"],
            title=d["title"],
            description=d.get("description", ""),
            checklist=str(d["checklist"]),
            severity=d["severity"],
            phases=phases,
            requires=tuple(d.get("requires", [])),
            params=tuple(params),
            for_each=for_each,
            subject_id=subject_id,
            applies_when=applies,
            variables=tuple(variables),
            rule=rule,
            message=message,
            remediation=d["remediation"].strip(),
            references=tuple(d.get("references", [])),
            examples=tuple(examples),
            evidence=evidence,
            tags=tuple(d.get("tags", [])),
            file=self.file,
            digest="",
            not_applicable_message=not_applicable,
        )

    def _params(self) -> list[Param]:
        out = []
        for name, spec in self.data.get("params", {}).items():
            where = ("params", name, "default")
            default = spec["default"]
            if not _type_ok(default, spec["type"]):
                self.problems.add(self.marks.at(where), f"default of '{name}' is not a {spec['type']}")
            else:
                default = self._param_value(where, f"default of '{name}'", spec["type"], default)
            out.append(Param(name, spec["type"], default, spec.get("description", "")))
        return out

    def _param_value(self, where: tuple[str | int, ...], what: str, type_name: str, value: Any) -> Any:
        """A parameter value as CEL will hold it: a ``number`` is a double (CEL never compares an int with
        a double), and every integer in it fits 64 bits; a problem is reported at ``where``."""
        if type_name == "number" and isinstance(value, int) and not isinstance(value, bool):
            try:
                return float(value)
            except OverflowError:
                self.problems.add(self.marks.at(where), f"{what} is too large for a number")
                return value
        bad = _out_of_range(value)
        if bad is not None:
            self.problems.add(
                self.marks.at((*where, *bad[0])),
                f"{what}: integer {bad[1]} is outside CEL's 64-bit range ({INT64[0]} to {INT64[1]})",
            )
        return value

    def _phases(self) -> tuple[Phase, ...]:
        raw = self.data["enforcement"]
        if isinstance(raw, str):
            return (Phase(Level(raw), None),)
        phases: list[Phase] = []
        for index, item in enumerate(raw):
            until = None
            if "until" in item:
                try:
                    until = date.fromisoformat(item["until"])
                except ValueError:
                    self.problems.add(
                        self.marks.at(("enforcement", index, "until")),
                        f"'{item['until']}' is not a date (YYYY-MM-DD with a real month and day)",
                    )
            last = index == len(raw) - 1
            if ("until" not in item) != last:
                self.problems.add(
                    self.marks.at(("enforcement", index)), "every phase but the last needs 'until'; the last has none"
                )
            if phases and until and phases[-1].until and until <= phases[-1].until:
                self.problems.add(self.marks.at(("enforcement", index, "until")), "phase dates must increase")
            phases.append(Phase(Level(item["level"]), until))
        return tuple(phases)

    def _template(self, scope: dict[str, Any], key: str = "message") -> Template | None:
        text = self.data[key]
        try:
            pieces = parse_template(text)
        except ValueError as exc:
            self.problems.add(self.marks.at((key,)), f"{key} template: {exc}")
            return None
        parts: list[str | Expr] = []
        for source, info in pieces:
            if source is None:
                parts.append(str(info))
                continue
            offset = int(info)  # where the expression starts in the message, which may span lines
            line = text.count("\n", 0, offset) + 1
            column = offset - (text.rfind("\n", 0, offset) + 1) + 1
            expr = self.compile((key,), source, scope, origin=(line, column))
            if expr is not None:
                parts.append(expr)
        return Template(tuple(parts))

    def _check_requires(self) -> None:
        required = set(self.data.get("requires", []))
        for name, (where, origin, line, column) in sorted(self.facts_used, key=lambda x: (x[0], str(x[1]))):
            if name not in required and name in set(section_names()):
                self.problems.add(
                    self._locate(where, origin, line, column),
                    f"reads facts.{name} but 'requires' does not list '{name}'",
                )

    def _examples(self, params: list[Param]) -> list[Example]:
        declared = {p.name: p for p in params}
        out = []
        for index, ex in enumerate(self.data.get("examples", [])):
            overrides = dict(ex.get("params", {}))
            for name, value in list(overrides.items()):
                where = ("examples", index, "params", name)
                param = declared.get(name)
                if param is None:
                    self.problems.add(
                        self.marks.at(where, key=True), f"unknown parameter '{name}'{suggest(name, declared)}"
                    )
                elif not _type_ok(value, param.type):
                    self.problems.add(self.marks.at(where), f"parameter '{name}' must be a {param.type}")
                else:
                    overrides[name] = self._param_value(where, f"parameter '{name}'", param.type, value)
            line = self.marks.values.get(("examples", index), (None, None))[0]
            out.append(
                Example(
                    name=ex["name"],
                    facts=ex["facts"],
                    expect=Outcome(ex["expect"]),
                    params=overrides,
                    now=ex.get("now"),
                    subjects={k: Outcome(v) for k, v in ex.get("subjects", {}).items()},
                    collectors=dict(ex.get("collectors", {})),
                    line=line,
                )
            )
        return out


def load_policy_file(
    path: Path, problems: Problems, display: str | None = None, inputs: Mapping[str, Any] | None = None
) -> Policy | None:
    """One policy file, statically checked; ``inputs``: the structured-file inputs declared by its pack (and
    the config), the only names ``facts.files.<name>`` may use."""
    name = display or str(path)
    key = schema_key(dict(inputs or {}))
    slot = policy_cache.policy_slot(path, [f"{n}\0{s or ''}" for n, s in key])
    cached = slot.read(name) if slot is not None else None
    if cached is not None:
        return cached
    reported = len(problems.items)
    try:
        data, marks = load_yaml_file(str(path), name)
    except ConfigError as exc:
        problems.items.append(f"load policy {exc}")
        return None
    if not isinstance(data, dict):
        problems.add(name, "expected a mapping with id, title, rule, ...")
        return None
    try:
        validate(data, "policy", marks, name, what="load policy")
    except ConfigError as exc:
        problems.items.extend(str(exc).splitlines())
        return None
    policy = PolicyLoader(name, data, marks, problems, key).load()
    if policy is None:
        return None
    digest = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    policy = Policy(**{**policy.__dict__, "digest": digest})
    if slot is not None and len(problems.items) == reported:  # only a clean load is cached
        slot.write(policy)
    return policy


policy_files = policy_cache.policy_files
