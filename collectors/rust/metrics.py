"""Per-file source metrics the ``rust`` collector reports for a non-test source file: console output,
panics, error context, log macros, logger initialisation and unit-test counts, outside ``#[cfg(test)]`` code."""

from __future__ import annotations

import re
from dataclasses import dataclass

from anops_policy.collectors.rust.scan import Scan
from anops_policy.collectors.rust.tokens import PUNCT, STR, Token, positions_of
from anops_policy.collectors.rust.uses import paths

CONSOLE_MACROS = ("println", "eprintln", "print", "eprint", "dbg")
PANIC_MACROS = ("panic", "todo", "unimplemented")
LOG_MACROS = ("trace", "debug", "info", "warn", "error", "event")
CONTEXT_METHODS = ("context", "with_context", "wrap_err", "wrap_err_with")
# (expanded path prefix, library): a call through any of these initialises a logger or subscriber
LOGGER_INITS = (
    ("env_logger::init", "env_logger"),
    ("env_logger::try_init", "env_logger"),
    ("env_logger::Builder", "env_logger"),
    ("env_logger::builder", "env_logger"),
    ("pretty_env_logger::", "pretty_env_logger"),
    ("tracing_subscriber::fmt", "tracing_subscriber"),
    ("tracing_subscriber::registry", "tracing_subscriber"),
    ("tracing_subscriber::FmtSubscriber", "tracing_subscriber"),
    ("tracing_subscriber::Registry", "tracing_subscriber"),
    ("tracing::subscriber::set_global_default", "tracing"),
    ("tracing::subscriber::with_default", "tracing"),
    ("simple_logger::", "simple_logger"),
    ("simplelog::TermLogger", "simplelog"),
    ("simplelog::SimpleLogger", "simplelog"),
    ("simplelog::CombinedLogger", "simplelog"),
    ("simplelog::WriteLogger", "simplelog"),
    ("log4rs::init", "log4rs"),
    ("fern::Dispatch", "fern"),
    ("flexi_logger::Logger", "flexi_logger"),
    ("stderrlog::new", "stderrlog"),
    ("syslog::init", "syslog"),
    ("systemd_journal_logger::", "systemd_journal_logger"),
    ("log::set_logger", "log"),
    ("log::set_boxed_logger", "log"),
    ("tracing_log::LogTracer", "tracing_log"),
    ("console_subscriber::init", "console_subscriber"),
)


@dataclass
class SourceMetrics:
    console_output: list[dict[str, object]]
    panics: list[dict[str, object]]
    context_count: int
    log_macro_count: int
    logger_inits: list[dict[str, object]]
    unit_test_count: int
    ignored_unit_test_count: int
    cfg_test_modules: int


_INTERESTING = frozenset((*CONSOLE_MACROS, *PANIC_MACROS, *LOG_MACROS, *CONTEXT_METHODS, "unwrap", "expect"))
_LOGGER_ROOTS = frozenset(prefix.split("::")[0] for prefix, _ in LOGGER_INITS)


_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
# what a result's format string may hold besides placeholders: separators of columns and records
_SEPARATORS = re.compile(r"[\s,;:|/=()\[\]-]*")


def _console_role(macro: str, toks: list[Token], i: int) -> str:
    """``result`` for a ``print!``/``println!`` whose format string holds only placeholders and separators
    (``println!("{}", report)``, ``println!("{name}\t{size:>8}")``, ``println!()``): the command's output,
    what the user asked for. ``diagnostic`` for the rest (``eprintln!``, ``dbg!``, ``println!("building
    {}...", tag)``, a command echoed as ``println!("$ {} {}", ...)``): text about the run, for a logger."""
    if macro not in ("print", "println") or i + 3 >= len(toks) or not toks[i + 2].is_punct("("):
        return "diagnostic"
    first = toks[i + 3]
    if first.is_punct(")"):
        return "result"
    if first.kind != STR:
        return "diagnostic"
    return "result" if _SEPARATORS.fullmatch(_PLACEHOLDER.sub("", first.text)) else "diagnostic"


def source_metrics(sc: Scan) -> SourceMetrics:
    """What a non-test source file does outside its ``#[cfg(test)]`` items."""
    toks = sc.tokens
    in_test = sc.test_mask()
    console: list[dict[str, object]] = []
    panics: list[dict[str, object]] = []
    context = 0
    logs = 0
    n = len(toks)
    for i in positions_of(sc.keys, _INTERESTING):  # identifiers only: no punctuation is a word
        if in_test[i] or i + 1 >= n:
            continue
        t = toks[i]
        nxt = toks[i + 1]
        if nxt.kind == PUNCT and nxt.text == "!":
            if t.text in CONSOLE_MACROS:
                console.append({"line": t.line, "macro": t.text, "role": _console_role(t.text, toks, i)})
            elif t.text in PANIC_MACROS:
                panics.append({"line": t.line, "kind": t.text})
            elif t.text in LOG_MACROS:
                logs += 1
            continue
        if i == 0 or not toks[i - 1].is_punct(".") or not nxt.is_punct("("):
            continue
        if t.text == "unwrap" and i + 2 < n and toks[i + 2].is_punct(")"):
            panics.append({"line": t.line, "kind": "unwrap"})
        elif t.text == "expect":
            panics.append({"line": t.line, "kind": "expect"})
        elif t.text in CONTEXT_METHODS:
            context += 1
    inits: list[dict[str, object]] = []
    seen_lines: set[int] = set()
    roots = _LOGGER_ROOTS | {alias for alias, full in sc.uses.items() if full.split("::")[0] in _LOGGER_ROOTS}
    if not roots.isdisjoint(sc.keys):  # a cheap test first (``paths`` checks each path's root)
        for index, path in paths(sc.tokens, sc.uses):
            if in_test[index] or path.split("::")[0] not in _LOGGER_ROOTS:
                continue
            for prefix, library in LOGGER_INITS:
                if path.startswith(prefix) and toks[index].line not in seen_lines:
                    seen_lines.add(toks[index].line)
                    inits.append({"line": toks[index].line, "library": library})
                    break
    tests = [f for f in sc.fns if f.is_test]
    return SourceMetrics(
        console_output=console,
        panics=panics,
        context_count=context,
        log_macro_count=logs,
        logger_inits=inits,
        unit_test_count=len(tests),
        ignored_unit_test_count=sum(f.ignored for f in tests),
        cfg_test_modules=sc.cfg_test_modules + (1 if sc.whole_file_test else 0),
    )
