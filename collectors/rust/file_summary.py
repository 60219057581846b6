"""Everything the ``rust`` collector takes from one ``.rs`` file on its own, as one value the per-file
summary cache can keep (``CollectContext.summaries``): unterminated comments and literals, ``mod`` declarations and
``#[cfg(test)]`` structure, source metrics, declared subcommands, ``main``'s signature, the file's own
spawns, and — for a file under a ``tests/`` folder — the checks the grpc collector reads through the
run's memo.

What needs several files at once (wrapper calls across a crate, integration tests with their helpers)
is read from the full scan (``Scans.get``), which a warm run makes only for the files that need it."""

from __future__ import annotations

from dataclasses import dataclass

from anops_policy.collectors.rust.asserts import TestFileChecks, test_file_checks
from anops_policy.collectors.rust.metrics import SourceMetrics, source_metrics
from anops_policy.collectors.rust.scan import Scan, render
from anops_policy.collectors.rust.spawns import FileSpawns, file_spawns
from anops_policy.collectors.rust.subcommands import Declared, declared_subcommands


@dataclass(frozen=True)
class MainFn:
    line: int
    return_type: str
    returns_result: bool


@dataclass(frozen=True)
class RustFileSummary:
    problems: list[tuple[int, str]]
    mods: list[str]
    whole_file_test: bool
    external_test_mods: list[str]
    metrics: SourceMetrics
    declared: list[Declared]
    main: MainFn | None  # the first `fn main` outside #[cfg(test)] code
    spawns: FileSpawns
    test_checks: TestFileChecks | None  # for a file under a tests/ folder (the grpc collector's)


def is_under_tests(path: str) -> bool:
    return "/tests/" in f"/{path}"


def summarise(path: str, sc: Scan) -> RustFileSummary:
    fn = next((f for f in sc.fns if f.name == "main" and not f.in_cfg_test), None)
    main = None
    if fn is not None:
        returns_result = any(x.kind == "ident" and x.text.endswith("Result") for x in fn.ret)
        main = MainFn(fn.line, render(fn.ret), returns_result)
    return RustFileSummary(
        problems=list(sc.problems),
        mods=list(sc.mods),
        whole_file_test=sc.whole_file_test,
        external_test_mods=list(sc.external_test_mods),
        metrics=source_metrics(sc),
        declared=declared_subcommands(sc),
        main=main,
        spawns=file_spawns(path, sc),
        test_checks=test_file_checks(sc) if is_under_tests(path) else None,
    )
