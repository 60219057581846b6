"""The one model every test-result reader produces (``ResultFile`` → ``Suite`` → ``Case``), its status
counts, and the error a reader raises for a file it cannot read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

COUNT_KEYS = ("tests", "passed", "failed", "errors", "skipped", "collection_errors", "flaky")
STATUS_COUNT_KEY = {"passed": "passed", "failed": "failed", "error": "errors", "skipped": "skipped"}
# declared attribute -> recount key
DECLARED_KEY = {
    "tests": "tests", "failures": "failed", "errors": "errors", "skipped": "skipped", "passed": "passed"
}
STATUS_RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}  # worst wins when one must be chosen


class ResultFileError(Exception):
    """A result file that cannot be read as what it claims to be (the message is the reason)."""


@dataclass
class Case:
    name: str
    classname: str
    status: str  # passed | failed | error | skipped
    time: float | None = None
    file: str | None = None  # repository path of the test's source, when known
    line: int | None = None
    message: str = ""
    type: str = ""
    collection_error: bool = False
    flaky: bool = False


@dataclass
class Suite:
    name: str
    cases: list[Case] = field(default_factory=list)
    time: float | None = None
    declared: dict[str, int] | None = None  # the element's own totals when they disagree with a recount
    harness: bool = False  # an automatic cargo harness (unit tests of a target, doc-tests): may be empty


@dataclass
class ResultFile:
    path: str
    format: str  # junit | cargo-human | cargo-json | go-test-json | trx
    producer: str
    suites: list[Suite] = field(default_factory=list)
    declared: dict[str, int] | None = None
    build_failed: bool = False


def count(cases: Iterable[Case]) -> dict[str, int]:
    out = dict.fromkeys(COUNT_KEYS, 0)
    for case in cases:
        out["tests"] += 1
        out[STATUS_COUNT_KEY[case.status]] += 1
        out["collection_errors"] += case.collection_error
        out["flaky"] += case.flaky
    return out


def disagreement(declared: dict[str, int], recount: dict[str, int]) -> dict[str, int] | None:
    """The declared totals when any declared figure differs from the recount, else None."""
    for key, value in declared.items():
        if recount.get(DECLARED_KEY[key]) != value:
            return dict(sorted(declared.items()))
    return None
