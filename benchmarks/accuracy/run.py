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
    LabelFile,
    fail,
    load_labels,
    load_pins,
    require_sources,
    resolve_cache,
)
from detectors import COLLECTOR, DETECTORS, E2E, Facts

from anops_policy.cli.main import main as cli_main


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
