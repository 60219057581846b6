"""A crate's integration tests: the test functions of each test target, the CLI subcommands they invoke,
the CLI-testing crates they use and whether they mock external commands."""

from __future__ import annotations

import json
from typing import Any

from anops_policy.collectors.rust.cli import analyze_invocations
from anops_policy.collectors.rust.manifest import Manifest, Target
from anops_policy.collectors.rust.mocking import mocking_evidence
from anops_policy.collectors.rust.modules import Scans, module_closure

CLI_TEST_CRATES = (
    "assert_cmd",
    "assert_fs",
    "predicates",
    "trycmd",
    "snapbox",
    "escargot",
    "rexpect",
    "insta",
)
# Integration tests listed per crate, in target order (each target's ``test_count`` counts them all): a
# decision cites at most 50 locations and the pack's policies cite the first target's tests. Listing all
# of a monorepo's tests (160,000 on the 20,000-file benchmark tree) made the section ~22 MB.
LISTED_TESTS = 50


def cached_integration_tests(
    man: Manifest,
    test_targets: list[Target],
    crate_files: set[str],
    scans: Scans,
    *,
    bins: set[str],
    declared: dict[str, str],
    program_envs: frozenset[str] = frozenset(),
    programs: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """``integration_tests`` through the per-file summary cache, as one entry per crate: it reads several
    files at once (tests with their helpers), so its key covers every file it can read (by content),
    the crate's file list, its test targets and what the rest of the crate declares."""
    store = scans.store
    if store is None or not store.enabled:
        return integration_tests(
            man, test_targets, crate_files, scans,
            bins=bins, declared=declared, program_envs=program_envs, programs=programs,
        )
    tests_prefix = (man.dir + "/tests/") if man.dir != "." else "tests/"
    read = {f for f in crate_files if f.startswith(tests_prefix)}
    for t in test_targets:
        read |= module_closure([t.path], crate_files, scans)
    # every file it reads, summarised here as integration_tests would: the same problems and memo entries
    contents = [f"{f}\0{scans.keys.get(f, '') if scans.summary(f) is not None else '-'}" for f in sorted(read)]
    inputs = {
        "dir": man.dir,
        "targets": [[t.kind, t.name, t.path, t.declared, t.line, t.harness] for t in test_targets],
        "crate_files": sorted(crate_files),
        "contents": contents,
        "bins": sorted(bins),
        "declared": sorted(declared.items()),
        "program_envs": sorted(program_envs),
        "programs": sorted(programs),
    }
    key = store.key(f"{man.path}#integration", json.dumps(inputs, separators=(",", ":")))
    found: dict[str, Any] | None = store.get(key, dict[str, Any])
    if found is None:
        found = integration_tests(
            man, test_targets, crate_files, scans,
            bins=bins, declared=declared, program_envs=program_envs, programs=programs,
        )
        store.put(key, found, dict[str, Any])
    return found


def integration_tests(
    man: Manifest,
    test_targets: list[Target],
    crate_files: set[str],
    scans: Scans,
    *,
    bins: set[str],
    declared: dict[str, str],
    program_envs: frozenset[str] = frozenset(),
    programs: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """``program_envs``/``programs``: the environment variables that choose a program the crate runs and
    the programs it names, so a test that sets such a variable counts as faking that program."""
    tests_prefix = (man.dir + "/tests/") if man.dir != "." else "tests/"
    helper_files = {f for f in crate_files if f.startswith(tests_prefix)}
    target_files: dict[str, set[str]] = {}
    for t in test_targets:
        target_files[t.name] = module_closure([t.path], crate_files, scans)
    all_test_files = set().union(*target_files.values()) if target_files else set()
    scanned = {f: sc for f in sorted(helper_files | all_test_files) if (sc := scans.get(f)) is not None}
    cli = analyze_invocations(scanned, all_test_files, bins, declared)
    integration: list[dict[str, Any]] = []
    by_command: dict[str, list[dict[str, Any]]] = {}
    test_count = 0
    room = LISTED_TESTS  # listed tests left for the crate's later targets
    for t in sorted(test_targets, key=lambda t: t.name):
        fns: list[dict[str, Any]] = []
        for f in sorted(target_files[t.name]):
            sc = scanned.get(f)
            if sc is None:
                continue
            for fn in sc.fns:
                if not fn.is_test:
                    continue
                invocations = cli.by_test.get((f, fn.line), [])
                commands = sorted({i.subcommand for i in invocations if i.subcommand is not None})
                for cmd in commands:
                    by_command.setdefault(cmd, []).append(
                        {"path": f, "line": fn.line, "test": fn.name, "target": t.name}
                    )
                fns.append(
                    {
                        "name": fn.name,
                        "path": f,
                        "line": fn.line,
                        "ignored": fn.ignored,
                        "invoked_commands": commands,
                        "invocations": [
                            {
                                "path": i.path,
                                "line": i.line,
                                "target": i.target,
                                "program": i.program,
                                "args": i.args,
                                "subcommand": i.subcommand,
                                "via": i.via,
                            }
                            for i in invocations
                        ],
                    }
                )
        test_count += len(fns)
        listed = fns[:room]
        room -= len(listed)
        integration.append(
            {
                "name": t.name,
                "path": t.path,
                "declared": t.declared,
                "manifest_line": t.line,
                "harness": t.harness,
                "files": sorted(target_files[t.name]),
                "test_count": len(fns),
                "tests": listed,
            }
        )
    idents: set[str] = set()
    mocking: list[dict[str, Any]] = []
    for f, sc in scanned.items():
        idents.update(tok.text for tok in sc.tokens if tok.kind == "ident")
        mocking.extend(
            {"path": f, "line": line, "kind": kind} for line, kind in mocking_evidence(sc, program_envs, programs)
        )
    return {
        "integration": integration,
        "integration_test_count": test_count,
        "invoked_commands": sorted(by_command),
        "by_command": dict(sorted(by_command.items())),
        "uses_assert_cmd": "assert_cmd" in idents or "cargo_bin_cmd" in idents,
        "uses_assert_fs": "assert_fs" in idents,
        "uses_predicates": "predicates" in idents or "predicate" in idents,
        "libraries": sorted(c for c in CLI_TEST_CRATES if c in idents),
        "mocks_external_commands": bool(mocking),
        "mocking": sorted(mocking, key=lambda m: (m["path"], m["line"], m["kind"])),
    }
