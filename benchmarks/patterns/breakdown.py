"""Where the patterns collector's CPU time goes: ``anops-policy facts CORPUS --only patterns --config CFG``
run in this process on one core (so the collector does not fork and every phase is seen here), with a
CPU-time clock (``time.process_time``) around the collector's steps — a few wrappers, no profiler (cProfile
with a CPU clock nearly doubled the run and charged its own cost to the Python-heavy phases).

    python benchmarks/patterns/run.py /tmp/pattern-corpus --keep /tmp/pattern-bench    # writes the config
    python benchmarks/patterns/breakdown.py /tmp/pattern-corpus /tmp/pattern-bench/anops-policy.yaml

The wrappers change no result; the same command's CPU time without them (``taskset`` to the same core) is
printed beside the total for calibration.

Then it estimates what a literal pre-filter would save (``--no-estimate`` skips it): a match of a pattern
contains the pattern's literal identifiers verbatim (``requests.$M(...)`` cannot match a file without
``requests``), so a file that lacks the literals of every rule of its language need not be parsed, and a rule
whose literals a file lacks need not run on it. ``LITERALS`` lists them for ``run.py``'s rules (by hand;
the collector could take them from the compiled patterns' leaves). Printed: the files, MB and rule runs
that would be left.

``--prefilter`` also measures it: the in-process run gets, besides the clocks, two more wrappers — a
file lacking the literals of every rule of its language gets an empty tree instead of a parse
(``SourceTrees.tree``), a rule whose literals the file lacks returns no match without running
(``CompiledRule.find``) — and every rule's matches and counts are compared with the plain run's (they must
be identical; only the ``errors`` of files that were not parsed go missing).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Per rule of run.py: literal identifiers every match contains (a file lacking one cannot match the rule)
LITERALS: dict[str, tuple[str, ...]] = {
    "go_log_fatal_outside_main": ("log", "Fatal"),
    "go_os_getenv": ("os", "Getenv"),
    "py_requests_without_timeout": ("requests",),
    "py_subprocess_shell": ("subprocess", "shell", "True"),
    "py_eval": ("eval",),
    "ts_as_any": ("as", "any"),
    "ts_json_parse": ("JSON", "parse"),
    "js_console_log": ("console", "log"),
    "js_eval": ("eval",),
    "java_print_stack_trace": ("printStackTrace",),
    "java_system_exit": ("System", "exit"),
    "rust_unwrap": ("unwrap",),
}
SPENT: defaultdict[str, float] = defaultdict(float)
CALLS: Counter[str] = Counter()


def timed(phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            SPENT[phase] += time.process_time() - start
            CALLS[phase] += 1

    return wrapper


def instrument() -> None:
    """Wrap the collector's steps (those that exist in this version of the code: it is being worked on)."""
    from anops_policy.collectors import patterns  # noqa: PLC0415
    from anops_policy.collectors.patterns import search, selection  # noqa: PLC0415

    from anops_policy.collection import collector, repo  # noqa: PLC0415
    from anops_policy.syntax import rules, trees  # noqa: PLC0415

    targets: list[tuple[str, Any, str]] = [
        ("listing", repo.Repo, "files"),
        ("select", selection, "select_files"),
        ("select", patterns, "select_files"),
        ("sizes", repo.Repo, "size"),
        ("reading", collector.CollectContext, "read_text"),
        ("parsing", trees, "SgRoot"),
        ("first_error", trees, "first_error"),
        ("parse_source", trees, "parse_source"),
        ("tree", trees.SourceTrees, "tree"),
        ("find", rules.CompiledRule, "find"),
        ("match", rules.CompiledRule, "_match"),
        ("captures", rules.CompiledRule, "_captures"),
        ("search", search, "_search_files"),
        ("assemble", search, "assemble"),
        ("compile", patterns, "_compile"),
        ("collect", patterns.PatternsCollector, "collect"),
    ]
    for phase, owner, name in targets:
        if hasattr(owner, name):
            setattr(owner, name, timed(phase, getattr(owner, name)))


def prefilter() -> None:
    """The literal pre-filter as two wrappers (see the module doc)."""
    from ast_grep_py import SgRoot  # noqa: PLC0415
    from run import RULES  # noqa: PLC0415  # beside this script

    from anops_policy.syntax import rules, trees  # noqa: PLC0415

    by_grammar: dict[str, list[tuple[str, ...]]] = {}
    for rule in RULES:
        grammar = rules.compile_rule(rule).language.grammar
        by_grammar.setdefault(grammar, []).append(LITERALS[rule["id"]])
    empty: dict[str, Any] = {}
    tree, find = trees.SourceTrees.tree, rules.CompiledRule.find

    def filtered_tree(self: Any, path: str, text: str, lang: Any) -> Any:
        if any(all(w in text for w in words) for words in by_grammar.get(lang.grammar, [()])):
            return tree(self, path, text, lang)
        if lang.grammar not in empty:
            empty[lang.grammar] = trees.Tree(SgRoot("", lang.grammar).root(), None)
        return empty[lang.grammar]

    def filtered_find(self: Any, root: Any, source: str, *args: Any, **kwargs: Any) -> Any:
        if all(w in source for w in LITERALS.get(self.id, ())):
            return find(self, root, source, *args, **kwargs)
        return [], 0

    trees.SourceTrees.tree = filtered_tree  # type: ignore[method-assign]
    rules.CompiledRule.find = filtered_find  # type: ignore[method-assign]


def same_matches(plain: Path, filtered: Path) -> list[str]:
    a, b = (json.loads(p.read_text())["patterns"] for p in (plain, filtered))
    return [
        rid for rid in a
        if (a[rid]["count"], a[rid]["matches"]) != (b[rid]["count"], b[rid]["matches"])
    ]


def estimate(corpus: Path) -> None:
    """Files, MB and rule runs a literal pre-filter would leave (see the module doc)."""
    from run import EXTENSIONS, RULES  # noqa: PLC0415  # beside this script

    by_lang: dict[str, list[tuple[str, ...]]] = {}
    for rule in RULES:
        by_lang.setdefault(rule["language"], []).append(LITERALS[rule["id"]])
    rows: dict[str, list[int]] = {lang: [0, 0, 0, 0, 0, 0] for lang in by_lang}
    cpu0 = time.process_time()
    for dirpath, _dirs, filenames in os.walk(corpus):
        for name in filenames:
            lang = next((lang for lang in by_lang if name.endswith(EXTENSIONS[lang])), None)
            if lang is None or name.startswith("."):
                continue
            text = (Path(dirpath) / name).read_text(encoding="utf-8")
            size = len(text.encode())
            passing = sum(all(word in text for word in words) for words in by_lang[lang])
            row = rows[lang]
            row[0] += 1
            row[1] += size
            row[2] += len(by_lang[lang])
            if passing:
                row[3] += 1
                row[4] += size
            row[5] += passing
    spent = time.process_time() - cpu0
    print(f"\nA literal pre-filter ({spent:.1f} s CPU here, reading included): what would be left\n")
    print("| language | files | MB | rule runs | files left | MB left | rule runs left |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    total = [0] * 6
    for lang, row in sorted(rows.items()):
        print(f"| {lang} | {row[0]:,} | {row[1] / 1e6:.1f} | {row[2]:,} | {row[3]:,} | {row[4] / 1e6:.1f} | "
              f"{row[5]:,} |")
        total = [a + b for a, b in zip(total, row, strict=True)]
    print(f"| **all** | {total[0]:,} | {total[1] / 1e6:.1f} | {total[2]:,} | {total[3]:,} | {total[4] / 1e6:.1f} | "
          f"{total[5]:,} |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("config", type=Path)
    ap.add_argument("--no-estimate", action="store_true", help="skip the literal pre-filter estimate")
    ap.add_argument("--prefilter", action="store_true", help="measure the literal pre-filter (see above)")
    args = ap.parse_args(argv)
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})  # one usable core: the collector does not fork
    with tempfile.TemporaryDirectory() as tmp:
        out, out_plain = Path(tmp) / "facts.json", Path(tmp) / "facts-plain.json"
        command = ["facts", str(args.corpus), "--only", "patterns", "--config", str(args.config), "-o"]
        subprocess.run(["taskset", "-c", str(core), "anops-policy", *command, str(out_plain)], check=True)
        command.append(str(out))
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        plain = usage.ru_utime + usage.ru_stime
        cpu0 = time.process_time()
        from anops_policy.cli.main import cli  # noqa: PLC0415  # start-up: the command's imports

        imports = time.process_time() - cpu0
        instrument()
        if args.prefilter:
            prefilter()
        cpu1 = time.process_time()
        cli.main(command, prog_name="anops-policy", standalone_mode=False)
        total = imports + time.process_time() - cpu1
        differ = same_matches(out_plain, out) if args.prefilter else []
    s = SPENT
    parse_other = s["parse_source"] - s["parsing"] - s["first_error"]  # SgRoot(...).root() and the Tree
    search_own = s["search"] - s["reading"] - s["tree"] - s["find"]
    rows = [
        ("start-up: importing the command", imports),
        ("outside the collector: config and the rules' check, section size check, JSON output",
         total - imports - s["collect"]),
        ("compiling the rules", s["compile"]),
        ("listing the corpus (`Repo.files`)", s["listing"]),
        ("choosing each rule's files (`select_files` less the listing)", s["select"] - s["listing"]),
        ("file sizes for the chunks (`Repo.size`, a stat per file)", s["sizes"]),
        ("reading (`read_text`: resolve, stat, read, NUL check, UTF-8 decode)", s["reading"]),
        ("parsing (`SgRoot(text, grammar)`)", s["parsing"]),
        ("`.root()`, the Tree", parse_other),
        ("the first syntax error (`first_error`: `root.find(kind='ERROR')`, the innermost)", s["first_error"]),
        ("tree cache (`SourceTrees.tree` less parsing: lookup, freeing evicted trees)",
         s["tree"] - s["parse_source"]),
        ("matching (`CompiledRule.find` less the Match objects: `find_all` per rule per file)",
         s["find"] - s["match"]),
        ("Match objects (`_match`: range, text, captures)", s["match"]),
        ("the match dicts and the loop (`_search` less the above)", search_own),
        ("assembling the section (`_assemble`)", s["assemble"]),
    ]
    named = sum(t for _, t in rows)
    if args.prefilter:
        print("WITH THE LITERAL PRE-FILTER: "
              + (f"matches DIFFER in {differ}" if differ else "every rule's matches and count as without it"))
    print(f"CPU: {total:.2f} s instrumented in this process, {plain:.2f} s for the same command without the "
          f"wrappers (one core); {CALLS['reading']:,} files read, {CALLS['parse_source']:,} parses, "
          f"{CALLS['find']:,} rule runs\n")
    print("| phase | CPU s | share |\n|---|---:|---:|")
    for name, t in rows:
        print(f"| {name} | {t:.2f} | {t / total:.0%} |")
    print(f"| the rest of the collector (chunks, fan-out bookkeeping) | {total - named:.2f} | "
          f"{(total - named) / total:.0%} |")
    print(f"| **all** | {total:.2f} | 100% |")
    if not args.no_estimate:
        estimate(args.corpus)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
