"""Everything the ``python`` collector takes from one ``.py`` file, as one value the per-file summary
cache can keep (``CollectContext.summaries``): the source summary or the test-module analysis, the path
strings of a test module, a generated module's servicer bases, the skip and syntax error of a file that
does not parse, and what the grpc and logging collectors read of the module through the run's memo.

``summarise`` parses and derives it; ``apply`` records it in the run (skips, memo) exactly as parsing the
file there would have, so a warm run's facts are the cold run's byte for byte."""

from __future__ import annotations

from dataclasses import dataclass

from anops_policy.collectors.grpc.python import ModuleChecks, remember_checks
from anops_policy.collectors.grpc.python import is_test_file as is_grpc_test_file
from anops_policy.collectors.grpc.python import summarise as grpc_summary
from anops_policy.collectors.logging.python import ModuleLogging, remember_summary, scan_module
from anops_policy.collectors.python.services import servicer_bases
from anops_policy.collectors.python.summary import PathRefs, SourceSummary
from anops_policy.collectors.python.tests import TestModuleRecord, analyse_test_module

from anops_policy.collection.collector import CollectContext
from anops_policy.syntax.python_ast import parse_python, syntax_error_of


@dataclass(frozen=True)
class ModuleProducts:
    """One file's products (``parsed`` False: it did not parse; ``skips`` and ``syntax_error`` say why)."""

    parsed: bool
    skips: list[str]  # reasons recorded for the file while parsing it
    syntax_error: tuple[int, str] | None
    generated: bool
    test: bool
    source: SourceSummary | None
    test_module: TestModuleRecord | None
    path_refs: PathRefs | None
    servicer_bases: dict[str, list[str]]
    grpc_checks: ModuleChecks | None  # a gRPC test file's checks, for the grpc collector
    logging: tuple[ModuleLogging, list[int]] | None  # a source module's logging scan and print lines


def summarise(ctx: CollectContext, path: str, text: str, *, e2e: bool) -> ModuleProducts:
    """Parse ``path`` and derive its products (``e2e``: the file is an end-to-end test by the config or
    the globs, which makes it a test module whatever its name). Records nothing in the run: ``apply``."""
    before = len(ctx.skips)
    module = parse_python(ctx, path, text)
    skips = [s.reason for s in ctx.skips[before:] if s.path == path]
    del ctx.skips[before:]  # ``apply`` records them, the same way for a summary from the cache
    if module is None:
        return ModuleProducts(False, skips, syntax_error_of(text), False, False, None, None, None, {}, None, None)
    if e2e:
        module.test = True
    checks = grpc_summary(module.tree, module.nodes) if is_grpc_test_file(path) else None
    bases = servicer_bases(module) if module.generated else {}
    source = test = refs = logging = None
    if module.test:
        test = TestModuleRecord.of(analyse_test_module(module, explicit=e2e))
        refs = PathRefs.of(module.nodes)
    elif not module.generated:
        source = SourceSummary.of(module)
        logging = (scan_module(module), [item["line"] for item in source.findings["prints"]])
    return ModuleProducts(True, skips, None, module.generated, module.test, source, test, refs, bases, checks, logging)


def apply(ctx: CollectContext, path: str, text: str, products: ModuleProducts) -> None:
    """Record ``products`` in the run: the file's skips, and the memo entries of the grpc and logging
    collectors (a test or generated module leaves None for logging, which skips those)."""
    for reason in products.skips:
        ctx.skip(path, reason)
    if not products.parsed:
        return
    if products.grpc_checks is not None:
        remember_checks(ctx, path, text, products.grpc_checks)
    remember_summary(ctx, path, products.logging)
