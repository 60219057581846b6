"""How each signal's detector answers a labelled case: each reads the fact document the collector wrote
(run.py's docstring says which collector and which facts per signal) and says yes or no, with what it saw."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from corpus import Label

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
