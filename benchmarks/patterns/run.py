"""Benchmark 5, code patterns: the patterns collector against the ``ast-grep`` CLI, the same rules over the
same files.

    python benchmarks/patterns/fetch_corpus.py /tmp/pattern-corpus     # once: real code from the registries
    python benchmarks/patterns/run.py /tmp/pattern-corpus [--repeat 3] [--no-single]

Writes twelve rules (Go, Python, TypeScript, JavaScript, Java, Rust; ``RULES`` below) once as the
repository config's ``patterns:`` and once as ast-grep rule YAML documents, in forms the CLI runs unchanged:
the script demands that the collector's compiled rule is exactly the rule given to the CLI (where a snippet
needs a context to parse as the code meant — Go's ``os.Getenv($K)``, a Rust or Java call — both get the
explicit ``{context, selector}`` object). Then, interleaved in each round (the order rotates from round to
round) so that they share the machine's load, REPEAT times:

* ``anops-policy facts CORPUS --only patterns --config CFG -o OUT`` — the whole command: start-up, the
  listing of the corpus (not a git repository: a walk), reading, parsing, matching, the fact document; the
  collector forks one process per usable core (``collection.fanout``) above 4 MB of source;
* ``ast-grep scan --rule RULES --json=stream CORPUS`` (ast-grep-cli, the same ast-grep version as the
  ``ast-grep-py`` binding the collector uses; its default threads: one per core), stdout to a file;
* unless ``--no-single``: the collector on one core (``taskset -c 0``: the collector's fan-out uses the
  usable cores, so it runs in one process — the collector has no switch of its own) and ``ast-grep scan
  -j 1``;
* ``ast-grep scan --rule FILES --report-style short CORPUS``: one rule per language matching the root node
  of every file, one short line per file — the CLI's floor (walk, read, parse, one pass over each tree,
  next to no matching or output), and the list of the files it parsed.

Prints the median wall time, the MB/s of source searched (every file of the rules' languages), the median
CPU time (user+sys of the process and its children, ``wait4``), the ratios to the CLI (the collector on two
cores to the CLI on its default threads; on one core to ``-j 1``), the collector's own duration
(``meta.collectors.patterns.duration_ms``: listing to section, without start-up and writing), peak RSS.

Then checks the answers (a fast wrong answer fails the run, exit 1): per rule, the multiset of (path,
line, column) of the collector's matches must equal the CLI's, the collector's ``count`` the CLI's number
of matches, and per language the files the collector searched the files the CLI parsed (the root-node run;
an empty file has no root node to match).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from anops_policy.syntax.rules import compile_rule

Rule = dict[str, Any]

RULES: list[Rule] = [
    {   # log.Fatal* outside func main (exits without running deferred calls)
        "id": "go_log_fatal_outside_main", "language": "go",
        "rule": {
            "pattern": {"context": "package main\nfunc _() {\nlog.$F($$$ARGS)\n}\n", "selector": "call_expression"},
            "not": {"inside": {"kind": "function_declaration", "has": {"field": "name", "regex": "^main$"},
                               "stopBy": "end"}},
        },
        "constraints": {"F": {"regex": "^Fatal(f|ln)?$"}},
    },
    {   # configuration read from the environment
        "id": "go_os_getenv", "language": "go",
        "rule": {"pattern": {"context": "package main\nfunc _() {\nos.Getenv($K)\n}\n", "selector": "call_expression"}},
    },
    {   # an HTTP call that can hang for ever
        "id": "py_requests_without_timeout", "language": "python",
        "rule": {
            "pattern": "requests.$M($$$ARGS)",
            "not": {"has": {"kind": "argument_list", "has": {
                "kind": "keyword_argument", "has": {"field": "name", "regex": "^timeout$"}}}},
        },
        "constraints": {"M": {"regex": "^(get|post|put|patch|delete|head|options|request)$"}},
    },
    {
        "id": "py_subprocess_shell", "language": "python",
        "rule": {
            "pattern": "subprocess.$F($$$ARGS)",
            "has": {"kind": "argument_list", "has": {"kind": "keyword_argument", "all": [
                {"has": {"field": "name", "regex": "^shell$"}}, {"has": {"field": "value", "regex": "^True$"}}]}},
        },
    },
    {"id": "py_eval", "language": "python", "rule": {"pattern": "eval($X)"}},
    {"id": "ts_as_any", "language": "typescript", "rule": {"pattern": "$X as any"}},
    {"id": "ts_json_parse", "language": "typescript", "rule": {"pattern": "JSON.parse($$$ARGS)"}},
    {"id": "js_console_log", "language": "javascript", "rule": {"pattern": "console.log($$$ARGS)"}},
    {"id": "js_eval", "language": "javascript", "rule": {"pattern": "eval($X)"}},
    {
        "id": "java_print_stack_trace", "language": "java",
        "rule": {"pattern": {"context": "class _C {\nvoid _m() {\n$E.printStackTrace();\n}\n}\n",
                             "selector": "method_invocation"}},
    },
    {
        "id": "java_system_exit", "language": "java",
        "rule": {"pattern": {"context": "class _C {\nvoid _m() {\nSystem.exit($CODE);\n}\n}\n",
                             "selector": "method_invocation"}},
    },
    {
        "id": "rust_unwrap", "language": "rust",
        "rule": {"pattern": {"context": "fn _f() {\n$X.unwrap()\n}\n", "selector": "call_expression"}},
    },
]
MAX_MATCHES = 100_000  # the schema's maximum: every match in the facts, for the check (default: 1,000 per rule)
# The node kind of each language's whole file: a rule matching it lists the files the CLI parsed.
ROOT_KINDS = {"go": "source_file", "python": "module", "typescript": "program", "javascript": "program",
              "java": "program", "rust": "source_file"}
SHORT = re.compile(r"^(?P<path>.*):\d+:\d+: \w+\[(?P<rule>\w+)\]:")
EXTENSIONS = {"go": (".go",), "python": (".py", ".pyi"), "typescript": (".ts", ".mts", ".cts"),
              "javascript": (".js", ".jsx", ".mjs", ".cjs"), "java": (".java",), "rust": (".rs",)}


@dataclass
class Timed:
    name: str
    argv: list[str]
    stdout: Path | None = None  # where stdout goes (else discarded)
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)  # MB, the largest process of the run

    def run(self) -> None:
        wall0 = time.perf_counter()
        with (self.stdout or Path(os.devnull)).open("wb") as out, tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(self.argv, stdout=out, stderr=err)
            # wait4: this run's own rusage — CPU of the process and every child it waited for (the
            # collector's forked workers), and the largest process's peak RSS
            _pid, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - wall0
            code = os.waitstatus_to_exitcode(status)
            err.seek(0)
            stderr = err.read()
        if code != 0:
            sys.exit(f"{self.name}: exit {code}\n{stderr.decode(errors='replace')[-3000:]}")
        self.walls.append(wall)
        self.cpus.append(usage.ru_utime + usage.ru_stime)
        self.peaks.append(usage.ru_maxrss / 1024)


def shown(argv: list[str]) -> str:
    return " ".join(f"'{a}'" if any(c in a for c in " \\|()$\n") else a for a in argv)


def same_rules() -> list[str]:
    """The rules the collector would run differ from what the CLI is given (each problem)."""
    problems = []
    for spec in RULES:
        compiled = compile_rule(spec).config
        given = {k: spec[k] for k in ("rule", "constraints", "utils") if k in spec}
        if compiled != given:
            problems.append(f"{spec['id']}: the collector runs {compiled}, the CLI is given {given}")
    return problems


def searched(corpus: Path) -> tuple[dict[str, tuple[int, int]], Counter[str]]:
    """Files and bytes per language of the rules (what both tools search), and the empty files of each."""
    out: dict[str, tuple[int, int]] = {}
    languages = sorted({r["language"] for r in RULES})
    files: Counter[str] = Counter()
    size: Counter[str] = Counter()
    empty: Counter[str] = Counter()
    for dirpath, dirnames, filenames in os.walk(corpus):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            lang = next((lang for lang in languages if name.endswith(EXTENSIONS[lang])), None)
            if lang is not None and not name.startswith("."):
                n = (Path(dirpath) / name).stat().st_size
                files[lang] += 1
                size[lang] += n
                empty[lang] += n == 0
    for lang in languages:
        out[lang] = (files[lang], size[lang])
    return out, empty


def cli_matches(stream: Path, corpus: Path) -> dict[str, Counter[tuple[str, int, int]]]:
    out: dict[str, Counter[tuple[str, int, int]]] = {r["id"]: Counter() for r in RULES}
    with stream.open() as fh:
        for row in fh:
            m = json.loads(row)
            start = m["range"]["start"]
            path = Path(m["file"]).resolve().relative_to(corpus).as_posix()
            out.setdefault(m["ruleId"], Counter())[(path, start["line"] + 1, start["column"] + 1)] += 1
    return out


def check(
    facts_file: Path, stream: Path, files_stream: Path, corpus: Path, empty: Counter[str]
) -> tuple[list[str], dict[str, Any]]:
    """Problems found comparing the collector's facts with the CLI's matches, and the collector's section."""
    document = json.loads(facts_file.read_text())
    run = document["meta"]["collectors"]["patterns"]
    if run["status"] != "ok":
        return [f"patterns collector: {run['status']}: {run.get('error')}"], {}
    section: dict[str, Any] = document["patterns"]
    cli = cli_matches(stream, corpus)
    problems: list[str] = []
    if sorted(section) != sorted(r["id"] for r in RULES):
        problems.append(f"the collector ran other rules than the benchmark's: {sorted(section)}")
    for rule in RULES:
        rid = rule["id"]
        got = section[rid]
        mine = Counter((m["path"], m["line"], m["column"]) for m in got["matches"])
        theirs = cli[rid]
        if got["truncated"] or got["count"] != sum(theirs.values()) or mine != theirs:
            only_mine, only_theirs = sorted((mine - theirs).elements()), sorted((theirs - mine).elements())
            problems.append(
                f"{rid}: collector count {got['count']} ({len(got['matches'])} listed), CLI {sum(theirs.values())}; "
                f"only the collector: {len(only_mine)} {only_mine[:3]}; only the CLI: {len(only_theirs)} "
                f"{only_theirs[:3]}"
            )
    parsed: dict[str, set[str]] = {}
    for row in files_stream.read_text().splitlines():  # --report-style short: PATH:LINE:COLUMN: help[ID]:
        found = SHORT.match(row)
        if found is None:
            problems.append(f"an ast-grep report line not understood: {row[:200]}")
            continue
        parsed.setdefault(found["rule"].removeprefix("file_"), set()).add(found["path"])
    for lang in sorted({r["language"] for r in RULES}):
        counts = {section[r["id"]]["files"] for r in RULES if r["language"] == lang}
        n = len(parsed.get(lang, ())) + empty[lang]  # an empty file's root node matches no rule
        if counts != {n}:
            problems.append(f"{lang}: the collector searched {counts} files, the CLI {n} ({empty[lang]} of them empty)")
    return problems, section


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path, nargs="?", default=Path("/tmp/pattern-corpus"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-single", action="store_true", help="skip the one-core runs")
    ap.add_argument("--keep", type=Path, help="keep the config, rules and outputs in this folder")
    args = ap.parse_args(argv)
    corpus: Path = args.corpus.resolve()
    cli, sg, taskset = shutil.which("anops-policy"), shutil.which("ast-grep"), shutil.which("taskset")
    if cli is None or sg is None:
        sys.exit("needs anops-policy and ast-grep on PATH (pip install -e '.[bench]': ast-grep-cli)")
    if not corpus.is_dir():
        sys.exit(f"no corpus at {corpus}: python benchmarks/patterns/fetch_corpus.py {corpus}")
    problems = same_rules()
    if problems:
        sys.exit("the CLI would not run the collector's rules:\n  " + "\n  ".join(problems))
    sizes, empty = searched(corpus)
    mb = sum(b for _, b in sizes.values()) / 1e6
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = args.keep.resolve() if args.keep else Path(tmp_name)
        tmp.mkdir(parents=True, exist_ok=True)
        config, rules_file, files_rules = tmp / "anops-policy.yaml", tmp / "rules.yml", tmp / "files.yml"
        config.write_text(yaml.safe_dump({
            "apiVersion": "anops.dev/config/v1",
            "packs": [],  # no pack: the built-in pack declares pattern rules of its own
            "collect": {"max_section_bytes": 1 << 30},
            "patterns": [{**r, "max_matches": MAX_MATCHES} for r in RULES],
        }, sort_keys=False))
        rules_file.write_text(yaml.safe_dump_all(RULES, sort_keys=False))
        files_rules.write_text(yaml.safe_dump_all(
            [{"id": f"file_{lang}", "language": lang, "rule": {"kind": ROOT_KINDS[lang]}} for lang in sizes],
            sort_keys=False,
        ))
        facts, stream, files_stream = tmp / "facts.json", tmp / "ast-grep.jsonl", tmp / "files.jsonl"
        collector = [cli, "facts", str(corpus), "--only", "patterns", "--config", str(config), "-o", str(facts)]
        scan = [sg, "scan", "--rule", str(rules_file), "--json=stream", str(corpus)]
        # the root node of every file, reported one short line each (--json would repeat every file's text):
        # the files the CLI parsed, and its floor — reading, parsing and walking each tree, next to no matching
        floor = [sg, "scan", "--rule", str(files_rules), "--report-style", "short", str(corpus)]
        tools = [Timed("facts --only patterns", collector), Timed("ast-grep scan", scan, stream)]
        if not args.no_single:
            if taskset is None:
                sys.exit("needs taskset (util-linux) for the one-core runs, or --no-single")
            tools += [
                Timed("facts --only patterns, one core (taskset -c 0)", [taskset, "-c", "0", *collector]),
                Timed("ast-grep scan -j 1", [*scan[:2], "-j", "1", *scan[2:]], tmp / "ast-grep-1.jsonl"),
            ]
        tools.append(Timed("ast-grep scan, a rule per language matching the root node", floor, files_stream))
        loads = [os.getloadavg()[0]]
        started = datetime.now(UTC)
        for tool in tools:  # warm the page cache; not timed
            tool.run()
            tool.walls.clear()
            tool.cpus.clear()
            tool.peaks.clear()
        for round_no in range(args.repeat):
            shift = round_no % len(tools)
            for tool in tools[shift:] + tools[:shift]:
                tool.run()
                loads.append(os.getloadavg()[0])
        ended = datetime.now(UTC)
        problems, section = check(facts, stream, files_stream, corpus, empty)
        if not args.no_single:
            single = tmp / "ast-grep-1.jsonl"
            problems += [f"ast-grep -j 1: {p}" for p in check(facts, single, files_stream, corpus, empty)[0]]
        duration = json.loads(facts.read_text())["meta"]["collectors"]["patterns"]["duration_ms"] / 1000
    sg_version = subprocess.run([sg, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    print(f"corpus: {corpus} — {sum(n for n, _ in sizes.values()):,} files, {mb:.1f} MB searched ("
          + ", ".join(f"{lang} {n:,} files {b / 1e6:.1f} MB" for lang, (n, b) in sizes.items()) + ")")
    print(f"machine: {os.cpu_count()} cores ({len(os.sched_getaffinity(0))} usable), Python "
          f"{platform.python_version()}, {sg_version}; {started:%Y-%m-%d %H:%M}–{ended:%H:%M} UTC, "
          f"load average (1 min) {min(loads):.1f}–{max(loads):.1f}")
    print()
    print("| what | runs | median wall s | MB/s | median CPU s | × CLI wall | × CLI CPU | "
          "peak RSS MB, largest process |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for i, tool in enumerate(tools):
        base = tools[3] if i in (2, 3) and not args.no_single else tools[1]
        wall, cpu = statistics.median(tool.walls), statistics.median(tool.cpus)
        bw, bc = statistics.median(base.walls), statistics.median(base.cpus)
        print(f"| `{tool.name}` | {len(tool.walls)} | {wall:.2f} | {mb / wall:.1f} | {cpu:.2f} | {wall / bw:.2f} | "
              f"{cpu / bc:.2f} | {max(tool.peaks):,.0f} |")
    print()
    print("walls per round: " + "; ".join(f"{t.name}: " + ", ".join(f"{w:.1f}" for w in t.walls) for t in tools))
    print(f"the collector's own duration (last run, meta.collectors.patterns.duration_ms): {duration:.2f} s")
    print()
    if section:
        print("| rule | language | files | matches | files with a parse error |\n|---|---|---:|---:|---:|")
        for rule in RULES:
            got = section[rule["id"]]
            print(f"| `{rule['id']}` | {rule['language']} | {got['files']:,} | {got['count']:,} | "
                  f"{len({e['path'] for e in got['errors']}):,}{'+' if len(got['errors']) >= 200 else ''} |")
        print()
    for tool in tools:
        print(f"    {shown(tool.argv)}")
    print()
    if problems:
        print("WRONG ANSWERS:\n  " + "\n  ".join(problems))
        return 1
    total = sum(section[r["id"]]["count"] for r in RULES)
    print(f"checked: all {total:,} matches of the {len(RULES)} rules — the same (path, line, column) from the "
          f"collector and the CLI{'' if args.no_single else ' (default threads and -j 1)'}, and per language the "
          "same number of files searched")
    return 0


if __name__ == "__main__":
    sys.exit(main())
