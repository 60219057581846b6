"""Run our detectors on the labelled cases and print precision and recall per signal, tuning and held-out
projects apart, with every disagreement (project, file, line).

    python benchmarks/accuracy/run.py [--cache DIR] [--json] [--signal NAME]

Each project is collected once with ``anops-policy facts PROJECT --only python --jobs 1`` (a Rust crate:
``--only rust``; in-process, through the CLI's own entry point), and each case is looked up in the fact
document:
- a test-function signal reads ``python.test_files[path].tests[]`` (the test whose ``line`` is the case's);
  the collector lists only a few tests of a file that is neither a service's nor end-to-end, so the
  listing cap is lifted for this run (it changes what is listed, not what is detected). A labelled test
  the collector does not list is a test it did not recognise: the detector said "no".
- ``swallowed_exceptions`` reads ``python.by_path[path].swallowed_exceptions[].line``.
- ``panics_user_paths`` reads ``rust.files[path].panics[].line`` (what cli-avoids-panics-on-user-paths
  counts): a site listed on the case's line is the detector's "yes, a panic on a user path".
- ``console_output`` reads ``logging.rust.by_crate[…].console_output[]`` (``--only logging``: what
  rust-logs-through-log-or-tracing counts: entries whose ``role`` is ``result`` are not): a counted line is
  the detector's "yes, console printing where a logger belongs".
- README and CI signals collect the project once more with ``--only docs`` / ``--only ci`` (whatever its
  language): ``readme_test_command``/``readme_what_to_expect`` read ``docs.readme.tells_how_to_run_tests``/
  ``tells_what_to_expect`` (the README the collector chose must be the case's, else "no");
  ``ci_masking``/``ci_report_publishing`` read ``masked``/``publishes_report`` of the step of
  ``ci.jobs[].steps[]`` whose ``path`` and ``line`` are the case's.
- ``settings_unchecked``/``log_level_env`` (JavaScript pins) collect ``--only patterns`` with the
  built-in pack's rules: a match of ``js_env_read_unchecked``/``ts_env_read_unchecked`` (what
  services-fail-clearly-on-missing-settings counts) or of ``js_log_level_from_env``/
  ``ts_log_level_from_env`` (what services-read-log-level-from-env looks for) starting on the case's line
  is the detector's "yes"; ``settings_unchecked_go``/``log_level_env_go`` (Go pins) likewise with
  ``go_env_read_unchecked``/``go_log_level_from_env``.
- ``e2e_teardown`` collects the project once more with the labelled files named end-to-end (a config
  whose ``e2e`` lists them, given with ``--config``) and reads ``python.e2e.starts_without_teardown``, what
  e2e-tests-tear-down counts: the case's line listed there is the detector's "yes, it leaks";
  ``e2e_negative_paths`` reads the test's ``negative_path`` (non-empty: "yes"), what
  e2e-tests-cover-negative-paths counts.
- ``external_spawns`` reads ``rust.crates[…].spawns[]`` (what cli-tests-mock-external-commands applies
  to): a spawn listed on the case's line is the detector's "yes"; ``external_commands_faked`` reads the
  crate's ``tests.mocks_external_commands`` (the crate of the case's ``Cargo.toml``), the policy's rule.
- ``built_artifacts`` collects ``--only grpc``: the test (``path::name``, its function name) among the
  tests credited with a check of ``grpc.tests_verifying_generated_code`` or ``tests_verifying_images`` is
  the detector's "yes, it verifies what was built" (what cli-tests-verify-built-artifacts counts per
  folder)."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import anops_policy.collectors.python as python_collector
from corpus import (
    LABELS,
    CorpusError,
    Label,
    LabelFile,
    fail,
    load_labels,
    load_pins,
    require_sources,
    resolve_cache,
)

from anops_policy.cli.main import main as cli_main

MALFORMED_STATUSES = frozenset({400, 422})
MALFORMED_EXCEPTIONS = frozenset({"ValidationError", "RequestValidationError", "ValidationException"})
Facts = dict[str, Any]
E2E = "python-e2e"  # the python collector with the labelled files named end-to-end


def _test_signals(facts: Facts, label: Label) -> dict[str, Any] | None:
    test_file = facts.get("python", {}).get("test_files", {}).get(label.path)
    if test_file is None:
        return None
    for test in test_file.get("tests", []):
        if test.get("line") == label.line:
            signals: dict[str, Any] = test.get("signals", {})
            return signals
    return None


def detect_env(facts: Facts, label: Label) -> tuple[bool, str]:
    signals = _test_signals(facts, label)
    if signals is None:
        return False, "not listed as a test"
    names = [*signals.get("sets_env", []), *signals.get("deletes_env", [])]
    return bool(names), f"sets/deletes {', '.join(names)}" if names else "no environment change seen"


def detect_startup(facts: Facts, label: Label) -> tuple[bool, str]:
    signals = _test_signals(facts, label)
    if signals is None:
        return False, "not listed as a test"
    starts, stops = bool(signals.get("starts_service")), bool(signals.get("stops_service"))
    return starts and stops, f"starts_service={starts} stops_service={stops}"


def detect_malformed(facts: Facts, label: Label) -> tuple[bool, str]:
    signals = _test_signals(facts, label)
    if signals is None:
        return False, "not listed as a test"
    statuses = set(signals.get("http_statuses", []))
    raises = [str(r) for r in signals.get("raises", [])]
    found = bool(statuses & MALFORMED_STATUSES) or any(r.rsplit(".", 1)[-1] in MALFORMED_EXCEPTIONS for r in raises)
    return found, f"statuses={sorted(statuses)} raises={raises}"


def detect_grpc_internal(facts: Facts, label: Label) -> tuple[bool, str]:
    signals = _test_signals(facts, label)
    if signals is None:
        return False, "not listed as a test"
    codes = list(signals.get("grpc_codes", []))
    return "INTERNAL" in codes, f"grpc_codes={codes}"


def detect_swallowed(facts: Facts, label: Label) -> tuple[bool, str]:
    findings = facts.get("python", {}).get("by_path", {}).get(label.path, {})
    for item in findings.get("swallowed_exceptions", []):
        if item.get("line") == label.line:
            return True, f"swallowed ({item.get('kind')})"
    return False, "not reported"


def _rust_file(facts: Facts, label: Label) -> dict[str, Any]:
    found: dict[str, Any] = facts.get("rust", {}).get("files", {}).get(label.path, {})
    return found


def detect_panics(facts: Facts, label: Label) -> tuple[bool, str]:
    kinds = [str(p.get("kind")) for p in _rust_file(facts, label).get("panics", []) if p.get("line") == label.line]
    return bool(kinds), f"panics listed: {', '.join(kinds)}" if kinds else "no panic listed on this line"


def detect_console(facts: Facts, label: Label) -> tuple[bool, str]:
    crates = facts.get("logging", {}).get("rust", {}).get("by_crate", {})
    macros = [
        str(c.get("macro"))
        for crate in crates.values()
        for c in crate.get("console_output", [])
        if c.get("path") == label.path and c.get("line") == label.line and c.get("role") != "result"
    ]
    return bool(macros), f"console output listed: {', '.join(macros)}" if macros else "no console output listed"


def _readme(facts: Facts, label: Label, key: str) -> tuple[bool, str]:
    readme = facts.get("docs", {}).get("readme") or {}
    if readme.get("path") != label.path:
        return False, f"the collector read {readme.get('path') or 'no README'}"
    value = bool(readme.get(key))
    commands = [str(c.get("command")) for c in readme.get("test_commands", [])]
    return value, f"{key}={value} test_commands={commands}"


def detect_readme_command(facts: Facts, label: Label) -> tuple[bool, str]:
    return _readme(facts, label, "tells_how_to_run_tests")


def detect_readme_expect(facts: Facts, label: Label) -> tuple[bool, str]:
    return _readme(facts, label, "tells_what_to_expect")


def _step(facts: Facts, label: Label, key: str) -> tuple[bool, str]:
    for job in facts.get("ci", {}).get("jobs", []):
        for step in job.get("steps", []):
            if step.get("path") == label.path and step.get("line") == label.line:
                value = bool(step.get(key))
                return value, f"{key}={value} test_commands={step.get('test_commands')}"
    return False, "no step of the collector's at this line"


def detect_ci_masking(facts: Facts, label: Label) -> tuple[bool, str]:
    return _step(facts, label, "masked")


def detect_ci_report(facts: Facts, label: Label) -> tuple[bool, str]:
    return _step(facts, label, "publishes_report")


def detect_e2e_teardown(facts: Facts, label: Label) -> tuple[bool, str]:
    python = facts.get("python", {})
    if label.path not in python.get("e2e", {}).get("files", []):
        return False, "not an e2e test file of the collector's"
    leaks = [
        str(s.get("call"))
        for s in python["e2e"].get("starts_without_teardown", [])
        if s.get("path") == label.path and s.get("line") == label.line
    ]
    starts = [str(s.get("call")) for s in python.get("test_files", {}).get(label.path, {}).get("starts", [])
              if s.get("line") == label.line]
    return bool(leaks), f"leaking starts on this line: {leaks or 'none'} (starts: {starts or 'none'})"


def detect_e2e_negative(facts: Facts, label: Label) -> tuple[bool, str]:
    test_file = facts.get("python", {}).get("test_files", {}).get(label.path) or {}
    for test in test_file.get("tests", []):
        if test.get("line") == label.line:
            kinds = list(test.get("negative_path", []))
            return bool(kinds), f"negative_path={kinds}"
    return False, "not listed as a test"


def detect_spawn(facts: Facts, label: Label) -> tuple[bool, str]:
    for crate in facts.get("rust", {}).get("crates", {}).values():
        for spawn in crate.get("spawns", []):
            if spawn.get("path") == label.path and spawn.get("line") == label.line:
                program = spawn.get("program") or (f"${spawn['env_var']}" if spawn.get("env_var") else "?")
                return True, f"spawn of {program} via {spawn.get('via')}"
    return False, "no spawn listed on this line"


def detect_faked(facts: Facts, label: Label) -> tuple[bool, str]:
    crates = facts.get("rust", {}).get("crates", {})
    crate = crates.get(label.path.rpartition("/")[0] or ".") or {}
    tests = crate.get("tests", {})
    kinds = sorted({str(m.get("kind")) for m in tests.get("mocking", [])})
    return bool(tests.get("mocks_external_commands")), f"mocking evidence: {kinds or 'none'}"


def detect_built(facts: Facts, label: Label) -> tuple[bool, str]:
    grpc = facts.get("grpc", {})
    test_id = f"{label.path}::{label.name.rsplit('.', 1)[-1]}"
    kinds = sorted(
        {
            f"{c.get('kind')} ({c.get('evidence')})"
            for key in ("tests_verifying_generated_code", "tests_verifying_images")
            for c in grpc.get(key, [])
            if test_id in c.get("tests", [])
        }
    )
    return bool(kinds), f"checks credited: {', '.join(kinds)}" if kinds else "no check credited to the test"


SETTINGS_RULES = ("js_env_read_unchecked", "ts_env_read_unchecked")
LOG_LEVEL_RULES = ("js_log_level_from_env", "ts_log_level_from_env")


def _pattern_match(facts: Facts, label: Label, rules: tuple[str, ...]) -> tuple[bool, str]:
    patterns = facts.get("patterns", {})
    for rule in rules:
        for match in patterns.get(rule, {}).get("matches", []):
            if match.get("path") == label.path and match.get("line") == label.line:
                return True, f"{rule} matches {str(match.get('text'))[:80]!r}"
    return False, f"no match of {' or '.join(rules)} on this line"


def detect_settings(facts: Facts, label: Label) -> tuple[bool, str]:
    return _pattern_match(facts, label, SETTINGS_RULES)


def detect_log_level(facts: Facts, label: Label) -> tuple[bool, str]:
    return _pattern_match(facts, label, LOG_LEVEL_RULES)


def detect_settings_go(facts: Facts, label: Label) -> tuple[bool, str]:
    return _pattern_match(facts, label, ("go_env_read_unchecked",))


def detect_log_level_go(facts: Facts, label: Label) -> tuple[bool, str]:
    return _pattern_match(facts, label, ("go_log_level_from_env",))


DETECTORS: dict[str, Callable[[Facts, Label], tuple[bool, str]]] = {
    "env_vars": detect_env,
    "startup_shutdown": detect_startup,
    "malformed_requests": detect_malformed,
    "grpc_internal": detect_grpc_internal,
    "swallowed_exceptions": detect_swallowed,
    "panics_user_paths": detect_panics,
    "console_output": detect_console,
    "readme_test_command": detect_readme_command,
    "readme_what_to_expect": detect_readme_expect,
    "ci_masking": detect_ci_masking,
    "ci_report_publishing": detect_ci_report,
    "settings_unchecked": detect_settings,
    "log_level_env": detect_log_level,
    "settings_unchecked_go": detect_settings_go,
    "log_level_env_go": detect_log_level_go,
    "e2e_teardown": detect_e2e_teardown,
    "e2e_negative_paths": detect_e2e_negative,
    "external_spawns": detect_spawn,
    "external_commands_faked": detect_faked,
    "built_artifacts": detect_built,
}
# the collector a signal's facts come from, when it is not the project's language's collector
COLLECTOR = {
    "console_output": "logging",
    "readme_test_command": "docs",
    "readme_what_to_expect": "docs",
    "ci_masking": "ci",
    "ci_report_publishing": "ci",
    "settings_unchecked": "patterns",
    "log_level_env": "patterns",
    "settings_unchecked_go": "patterns",
    "log_level_env_go": "patterns",
    "e2e_teardown": E2E,
    "built_artifacts": "grpc",
}


def _facts_cli(project_dir: Path, collector: str, e2e: list[str] | None = None) -> dict[str, Any]:
    """``anops-policy facts PROJECT --only COLLECTOR``, in this process: the fact document (``e2e``: with a
    config naming these files end-to-end tests)."""
    with tempfile.TemporaryDirectory(prefix="anops-accuracy-") as tmp:
        out = Path(tmp) / "facts.json"
        args = ["facts", str(project_dir), "--only", collector, "--jobs", "1", "-o", str(out)]
        if e2e is not None:
            config = Path(tmp) / "anops-policy.yaml"
            config.write_text(json.dumps({"apiVersion": "anops.dev/config/v1", "e2e": e2e}), encoding="utf-8")
            args += ["--config", str(config)]
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            try:
                cli_main(args)
            except SystemExit as exc:
                if exc.code not in (0, None):
                    raise CorpusError(
                        f"anops-policy {' '.join(args)} exited {exc.code}: {stderr.getvalue()[-500:]}"
                    ) from None
        try:
            document: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CorpusError(f"read facts of {project_dir}: {exc}") from exc
    return document


def collect_section(project_dir: Path, collector: str) -> Facts:
    """One collector's section as the CLI writes it (rust: no listing cap applies to ``files[…].panics``;
    logging: nor to ``rust.by_crate[…].console_output``; docs; ci)."""
    document = _facts_cli(project_dir, collector)
    meta = document.get("meta", {}).get("collectors", {}).get(collector, {})
    if meta.get("status") != "ok" or collector not in document:
        raise CorpusError(
            f"{collector} collector on {project_dir}: {meta.get('status')}: {str(meta.get('error'))[:300]}"
        )
    return {collector: document[collector]}


def collect(project_dir: Path, e2e: list[str] | None = None) -> Facts:
    """The python section as the collector produced it, through the CLI, in this process.

    The listing cap is lifted so that every test is listed; the fact schema bounds those lists, so the
    engine then rejects the section (its status turns ``error``): the section is taken as the collector
    returned it, before that check, and any other collector error is reported."""
    produced: list[dict[str, Any]] = []
    original = python_collector.PythonCollector.collect

    def keep(self: Any, ctx: Any) -> dict[str, Any]:
        section: dict[str, Any] = original(self, ctx)
        produced.append(section)
        return section

    python_collector.LISTED_TESTS_OTHER_FILES = 10**9
    python_collector.LISTED_TESTS = 10**9
    python_collector.PythonCollector.collect = keep  # type: ignore[method-assign]
    try:
        document = _facts_cli(project_dir, "python", e2e)
        try:
            meta = document["meta"]["collectors"]["python"]
        except KeyError as exc:
            raise CorpusError(f"read facts of {project_dir}: no {exc}") from exc
    finally:
        python_collector.PythonCollector.collect = original  # type: ignore[method-assign]
    error = str(meta.get("error") or "")
    if (meta.get("status") != "ok" and "do not match its schema" not in error) or not produced:
        raise CorpusError(f"python collector on {project_dir}: {meta.get('status')}: {error[:300]}")
    return {"python": produced[-1]}


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, expected: bool, got: bool) -> None:
        if expected and got:
            self.tp += 1
        elif got:
            self.fp += 1
        elif expected:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float | None:
        return round(self.tp / (self.tp + self.fp), 2) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return round(self.tp / (self.tp + self.fn), 2) if self.tp + self.fn else None


def measure(label_file: LabelFile, facts_of: Callable[[str, str | None], Facts], held_out: set[str]) -> dict[str, Any]:
    detector = DETECTORS.get(label_file.signal)
    if detector is None:
        raise CorpusError(f"no detector is mapped for signal {label_file.signal!r} (known: {', '.join(DETECTORS)})")
    tuning, held = Tally(), Tally()
    disagreements = []
    for label in label_file.labels:
        got, why = detector(facts_of(label.project, COLLECTOR.get(label_file.signal)), label)
        (held if label.project in held_out else tuning).add(label.expected, got)
        if got != label.expected:
            disagreements.append(
                {
                    "project": label.project,
                    "path": label.path,
                    "line": label.line,
                    "name": label.name,
                    "expected": label.expected,
                    "detector": got,
                    "held_out": label.project in held_out,
                    "label_reason": label.reason,
                    "detector_saw": why,
                }
            )
    projects = sorted({label.project for label in label_file.labels})
    return {
        "signal": label_file.signal,
        "case": label_file.case,
        "cases": len(label_file.labels),
        "positives": sum(label.expected for label in label_file.labels),
        "projects": len(projects),
        "held_out_projects": sorted(set(projects) & held_out),
        "low_evidence": label_file.low_evidence,
        "precision": tuning.precision,
        "recall": tuning.recall,
        "held_out_precision": held.precision,
        "held_out_recall": held.recall,
        "tuning": vars(tuning),
        "held_out": vars(held),
        "disagreements": disagreements,
    }


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def print_text(results: list[dict[str, Any]]) -> None:
    print("| signal | cases (positive) | projects | precision | recall | held-out precision | held-out recall |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        mark = " (low evidence)" if r["low_evidence"] else ""
        print(
            f"| {r['signal']}{mark} | {r['cases']} ({r['positives']}) | {r['projects']} | {_fmt(r['precision'])} "
            f"| {_fmt(r['recall'])} | {_fmt(r['held_out_precision'])} | {_fmt(r['held_out_recall'])} |"
        )
    for r in results:
        print(f"\n{r['signal']}: {len(r['disagreements'])} disagreements")
        for d in r["disagreements"]:
            kind = "missed" if d["expected"] else "wrongly claimed"
            held = " [held-out]" if d["held_out"] else ""
            print(f"  {kind}{held} {d['project']} {d['path']}:{d['line']} {d['name']}")
            print(f"      label: {d['label_reason']} | detector: {d['detector_saw']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", help="cache folder (default ~/.cache/anops-policy-accuracy)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--signal", action="append", help="only this signal (repeatable)")
    args = parser.parse_args(argv)
    try:
        cache = resolve_cache(args.cache)
        projects = load_pins()
        sources = require_sources(cache, projects)
        held_out = {p.name for p in projects if p.held_out}
        languages = {p.name: p.language for p in projects}
        label_files = [load_labels(p) for p in sorted(LABELS.glob("*.yaml"))]
        label_files = [f for f in label_files if not args.signal or f.signal in args.signal]
        if not label_files:
            raise CorpusError(f"no label files in {LABELS}")
        cached: dict[tuple[str, str], Facts] = {}
        e2e_paths: dict[str, list[str]] = {}
        for label in (x for f in label_files if COLLECTOR.get(f.signal) == E2E for x in f.labels):
            e2e_paths.setdefault(label.project, []).append(label.path)

        def facts_of(name: str, collector: str | None) -> Facts:
            if name not in sources:
                raise CorpusError(f"a label names project {name!r}, which pins.toml does not pin")
            which = collector or languages[name]
            if (name, which) not in cached:
                if which in ("python", E2E):
                    cached[name, which] = collect(sources[name], e2e_paths.get(name) if which == E2E else None)
                else:
                    cached[name, which] = collect_section(sources[name], which)
            return cached[name, which]

        results = [measure(f, facts_of, held_out) for f in label_files]
    except CorpusError as exc:
        fail(str(exc))
    if args.json:
        print(json.dumps({"results": results}, indent=2))
    else:
        print_text(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
