"""The engine's data model: frozen dataclasses and closed enums."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a warm `check` imports no YAML parser
    from anops_policy.yamlsafe import Marks


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"
    WAIVED = "waived"


class Level(StrEnum):
    ADVISORY = "advisory"
    SOFT = "soft"
    HARD = "hard"

    @property
    def rank(self) -> int:
        return {"advisory": 0, "soft": 1, "hard": 2}[self.value]


SEVERITIES = ("info", "low", "medium", "high", "critical")


@dataclass(frozen=True)
class Expr:
    """A compiled CEL expression and where it was written (``where`` is the YAML value path)."""

    source: str
    tree: Any
    file: str
    where: tuple[str | int, ...]


@dataclass(frozen=True)
class Template:
    """A message: literal text and ``{expression}`` placeholders."""

    parts: tuple[str | Expr, ...]


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any
    description: str = ""


@dataclass(frozen=True)
class Phase:
    level: Level
    until: date | None  # the phase applies while the run's date is before ``until``


@dataclass(frozen=True)
class Variable:
    name: str
    expr: Expr


@dataclass(frozen=True)
class Example:
    name: str
    facts: dict[str, Any]
    expect: Outcome
    params: dict[str, Any] = field(default_factory=dict)
    now: str | None = None
    subjects: dict[str, Outcome] = field(default_factory=dict)
    collectors: dict[str, str] = field(default_factory=dict)
    line: int | None = None


@dataclass(frozen=True)
class Policy:
    id: str
    title: str
    description: str
    checklist: str
    severity: str
    phases: tuple[Phase, ...]
    requires: tuple[str, ...]
    params: tuple[Param, ...]
    for_each: Expr | None
    subject_id: Expr | None
    applies_when: Expr | None
    variables: tuple[Variable, ...]
    rule: Expr
    message: Template
    remediation: str
    references: tuple[str, ...]
    examples: tuple[Example, ...]
    evidence: Expr | None
    tags: tuple[str, ...]
    file: str
    digest: str
    # why a decision is not_applicable (empty for_each, applies_when false); None: the generic reason
    not_applicable_message: Template | None = None

    def level_on(self, day: date) -> Level:
        for phase in self.phases:
            if phase.until is None or day < phase.until:
                return phase.level
        return self.phases[-1].level


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    title: str
    section: str


@dataclass(frozen=True, eq=False)
class PatternRule:
    """A code-pattern rule as declared (the patterns collector compiles ``spec``), with where it was
    declared: the file as shown in messages, the rule's place in that file's document and its positions."""

    id: str
    spec: Mapping[str, Any]
    file: str
    where: tuple[str | int, ...] = ()
    marks: Marks | None = field(default=None, repr=False)

    def at(self, *path: str | int) -> str:
        return self.marks.at((*self.where, *path)) if self.marks is not None else f"{self.file} (rule {self.id})"

    @property
    def language_name(self) -> str:
        return str(self.spec.get("language", "?"))

    def inside(self, path: tuple[str | int, ...], line: int, column: int) -> str:
        if self.marks is None:
            return self.at(*path)
        return self.marks.inside((*self.where, *path), line, column)


@dataclass(frozen=True)
class Pack:
    id: str
    version: str
    title: str
    sections: tuple[str, ...]
    items: tuple[ChecklistItem, ...]
    policies: tuple[Policy, ...]
    source: str
    digest: str
    # structured-file inputs the pack declares (pack.yaml `inputs:`): name -> {files, parser, ...}
    inputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # code-pattern rules the pack declares (pack.yaml `patterns:`, patterns/*.yaml), checked at load
    patterns: tuple[PatternRule, ...] = ()
    # the folder its files are read from; differs from ``source`` for a pulled pack (its unpacked cached copy)
    folder: str = ""


@dataclass
class Decision:
    policy: str
    title: str
    subject: str | None
    outcome: Outcome
    severity: str
    enforcement: Level
    blocking: bool
    message: str
    explanation: dict[str, Any]
    evidence: list[dict[str, Any]]
    remediation: str
    checklist: str
    fingerprint: str
    pack: str = ""
    waiver: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "title": self.title,
            "subject": self.subject,
            "outcome": self.outcome.value,
            "severity": self.severity,
            "enforcement": self.enforcement.value,
            "blocking": self.blocking,
            "message": self.message,
            "explanation": self.explanation,
            "evidence": self.evidence,
            "remediation": self.remediation,
            "checklist": self.checklist,
            "pack": self.pack,
            "fingerprint": self.fingerprint,
            "waiver": self.waiver,
        }
