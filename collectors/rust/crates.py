"""The rust collector's work once the repository has a ``Cargo.toml``: manifests, workspaces, each crate's
targets, dependencies, sources and tests (``collect_crates``). Imported by the collector only then, so a
repository without Rust never loads the analysis modules."""

from __future__ import annotations

import posixpath
from collections import Counter
from typing import Any

from anops_policy.collectors.rust.integration import cached_integration_tests
from anops_policy.collectors.rust.manifest import (
    Manifest,
    ManifestError,
    Target,
    Workspace,
    dependencies,
    inherited_field,
    parse_manifest,
    resolve_workspaces,
    targets,
)
from anops_policy.collectors.rust.manifest_facts import dep_fact, dep_map, str_or_none, targets_fact
from anops_policy.collectors.rust.modules import Scans, mod_candidates, module_closure, owners
from anops_policy.collectors.rust.spawns import combine_spawns

from anops_policy.collection.collector import CollectContext, Collector

LOGGING_CRATES = (
    "log",
    "tracing",
    "slog",
    "env_logger",
    "tracing-subscriber",
    "pretty_env_logger",
    "simple_logger",
    "simplelog",
    "fern",
    "log4rs",
    "flexi_logger",
    "stderrlog",
    "tracing-log",
)
ERROR_CRATES = ("anyhow", "thiserror", "eyre", "color-eyre", "snafu", "miette")
# spawns listed per crate (``spawn_count`` counts them all): a decision cites at most 50 locations
LISTED_SPAWNS = 50
CONSOLE_KEYS = {
    "println": "println_count",
    "print": "println_count",
    "eprintln": "eprintln_count",
    "eprint": "eprintln_count",
    "dbg": "dbg_count",
}


def collect_crates(
    ctx: CollectContext, collector: Collector, files: list[str], manifest_paths: list[str]
) -> dict[str, Any]:
    """The ``rust`` section from the repository's ``files`` and its ``Cargo.toml`` files (``collector``: the
    collector whose summary cache the scans use)."""
    problems: list[dict[str, Any]] = []
    manifests: dict[str, Manifest] = {}
    for path in manifest_paths:
        text = ctx.read_text(path)
        if text is None:
            continue
        parsed = parse_manifest(path, text)
        if isinstance(parsed, ManifestError):
            problems.append({"path": path, "line": parsed.line, "message": parsed.message})
        else:
            manifests[parsed.dir] = parsed
    workspaces = resolve_workspaces(manifests)
    member_of = {m: root for root, ws in workspaces.items() for m in ws.members}
    crate_dirs = sorted(d for d, m in manifests.items() if m.package is not None)
    file_set = set(files)
    owner = owners(files, crate_dirs)
    scans = Scans(ctx, problems, ctx.summaries(collector))
    crates: dict[str, Any] = {}
    file_facts: dict[str, Any] = {}
    for directory in crate_dirs:
        man = manifests[directory]
        ws = workspaces.get(member_of.get(directory, ""))
        crate_files = {f for f in files if owner.get(f) == directory}
        crates[directory] = _crate(man, ws, crate_files & file_set, scans, file_facts)
        scans.clear()  # crates' files are disjoint: keep one crate's token streams at a time
    totals = Counter[str]()
    for crate in crates.values():
        totals["crates"] += 1
        totals["unit_test_count"] += crate["tests"]["unit_test_count"]
        totals["integration_test_count"] += crate["tests"]["integration_test_count"]
        totals["context_count"] += crate["errors"]["context_count"]
        for key in ("println_count", "eprintln_count", "dbg_count", "console_output_count"):
            totals[key] += crate["output"][key]
        for key in ("unwrap_count", "expect_count", "panic_count"):
            totals[key] += crate["panics"][key]
    keys = (
        "crates",
        "unit_test_count",
        "integration_test_count",
        "println_count",
        "eprintln_count",
        "dbg_count",
        "console_output_count",
        "unwrap_count",
        "expect_count",
        "panic_count",
        "context_count",
    )
    return {
        "crates": crates,
        "by_name": {c["name"]: d for d, c in sorted(crates.items())},
        "workspaces": {
            root: {
                "manifest": ws.manifest.path,
                "line": ws.manifest.lines.get(("workspace",)),
                "members": ws.members,
            }
            for root, ws in sorted(workspaces.items())
        },
        "files": dict(sorted(file_facts.items())),
        "totals": {k: totals[k] for k in keys},
        "problems": sorted(problems, key=lambda p: (p["path"], p.get("line") or 0, p["message"])),
    }




def _crate(
    man: Manifest, ws: Workspace | None, crate_files: set[str], scans: Scans, file_facts: dict[str, Any]
) -> dict[str, Any]:
    pkg = man.package or {}
    name = str(pkg.get("name", posixpath.basename(man.dir)))
    tgts = targets(man, name, crate_files)
    deps = dependencies(man, ws)
    bins = [t for t in tgts if t.kind == "bin"]
    test_targets = [t for t in tgts if t.kind == "test"]
    roots = [t.path for t in tgts]

    # source files: src/ plus lib/bin roots elsewhere, minus test-only modules
    src_prefix = (man.dir + "/src/") if man.dir != "." else "src/"
    # src/bin/ holds only bin targets: a file there that no bin target reaches is never built
    built = module_closure([t.path for t in tgts if t.kind in ("lib", "bin")], crate_files, scans)
    source = {
        f for f in crate_files if f.startswith(src_prefix) and (not f.startswith(src_prefix + "bin/") or f in built)
    }
    # build scripts are left out: println! is how they talk to cargo and panicking is how they fail
    source.update(t.path for t in tgts if t.kind in ("lib", "bin") and t.path in crate_files)
    test_only: set[str] = set()
    for f in sorted(source):
        summary = scans.summary(f)
        if summary is None:
            continue
        if summary.whole_file_test:
            test_only.add(f)
        for mod in summary.external_test_mods:
            for cand in mod_candidates(f, mod, f in roots):
                if cand in crate_files:
                    test_only |= module_closure([cand], crate_files, scans)
                    break
    non_test_sources = sorted(f for f in source if f not in test_only and scans.summary(f) is not None)

    output: dict[str, Any] = {
        "println_count": 0,
        "eprintln_count": 0,
        "dbg_count": 0,
        "console_output_count": 0,
        "by_path": {},
    }
    panics: dict[str, Any] = {"unwrap_count": 0, "expect_count": 0, "panic_count": 0, "by_path": {}}
    inits: list[dict[str, Any]] = []
    context_count = log_macros = 0
    unit_by_path: dict[str, int] = {}
    unit_total = unit_ignored = cfg_test_modules = 0
    for f in sorted(source):
        summary = scans.summary(f)
        if summary is None:
            continue
        m = summary.metrics
        if m.unit_test_count:
            unit_by_path[f] = m.unit_test_count
        unit_total += m.unit_test_count
        unit_ignored += m.ignored_unit_test_count
        cfg_test_modules += m.cfg_test_modules
        if f in test_only:
            continue
        counts = Counter(CONSOLE_KEYS[str(c["macro"])] for c in m.console_output)
        kinds = Counter(
            "panic_count" if p["kind"] in ("panic", "todo", "unimplemented") else f"{p['kind']}_count" for p in m.panics
        )
        for key in ("println_count", "eprintln_count", "dbg_count"):
            output[key] += counts[key]
        output["console_output_count"] += len(m.console_output)
        for key in ("unwrap_count", "expect_count", "panic_count"):
            panics[key] += kinds[key]
        if m.console_output:
            output["by_path"][f] = [{"path": f, **c} for c in m.console_output]
        if m.panics:
            panics["by_path"][f] = [{"path": f, **p} for p in m.panics]
        inits.extend({"path": f, **i} for i in m.logger_inits)
        context_count += m.context_count
        log_macros += m.log_macro_count
        file_facts[f] = {
            "crate": man.dir,
            "console_output": [{"path": f, **c} for c in m.console_output],
            "panics": [{"path": f, **p} for p in m.panics],
            "println_count": counts["println_count"],
            "eprintln_count": counts["eprintln_count"],
            "dbg_count": counts["dbg_count"],
            "console_output_count": len(m.console_output),
            "unwrap_count": kinds["unwrap_count"],
            "expect_count": kinds["expect_count"],
            "panic_count": kinds["panic_count"],
            "context_count": m.context_count,
            "log_macro_count": m.log_macro_count,
            "logger_initialised": bool(m.logger_inits),
            "unit_test_count": m.unit_test_count,
        }

    declared: list[dict[str, Any]] = []
    for f in non_test_sources:
        summary = scans.summary(f)
        if summary is not None:
            declared.extend(
                {"name": d.name, "aliases": d.aliases, "path": f, "line": d.line} for d in summary.declared
            )
    declared_names = {a: d["name"] for d in declared for a in d["aliases"]}
    declared_names.update({d["name"]: d["name"] for d in declared})

    spawns = combine_spawns(
        {f: summary.spawns for f in non_test_sources if (summary := scans.summary(f)) is not None}, scans.get
    )
    tests = cached_integration_tests(
        man,
        test_targets,
        crate_files,
        scans,
        bins={t.name for t in bins},
        declared=declared_names,
        program_envs=frozenset(s.env_var for s in spawns if s.env_var),
        programs=frozenset(s.program for s in spawns if s.program),
    )
    tests.update(
        {
            "unit_test_count": unit_total,
            "ignored_unit_test_count": unit_ignored,
            "cfg_test_modules": cfg_test_modules,
            "unit_tests_by_path": unit_by_path,
        }
    )
    normal = {d.name for d in deps if d.kind == "normal"}
    logging_crates = sorted(c for c in LOGGING_CRATES if c in normal or c.replace("-", "_") in normal)
    logs_via = "tracing" if "tracing" in normal else "log" if "log" in normal else "slog" if "slog" in normal else None
    mains = _mains(bins, scans)
    return {
        "name": name,
        "path": man.dir,
        "manifest": man.path,
        "line": man.lines.get(("package",)),
        "version": str_or_none(inherited_field(man, ws, "version")),
        "edition": str_or_none(inherited_field(man, ws, "edition")) or "2015",
        "workspace": ws.root if ws is not None else None,
        "targets": targets_fact(man, tgts),
        "bin_names": sorted(t.name for t in bins),
        "has_bin": bool(bins),
        "has_lib": any(t.kind == "lib" for t in tgts),
        "dependencies": dep_map(deps, "normal"),
        "dev_dependencies": dep_map(deps, "dev"),
        "build_dependencies": dep_map(deps, "build"),
        "dependency_details": [
            dep_fact(man, d) for d in sorted(deps, key=lambda d: (d.kind, d.target or "", d.name, d.key))
        ],
        "declared_subcommands": sorted(declared, key=lambda d: (d["path"], d["line"], d["name"])),
        "source_files": non_test_sources,
        "runs_external_programs": bool(spawns),
        "external_programs": sorted({f"${s.env_var}" if s.env_var else s.program or "" for s in spawns} - {""}),
        "spawn_count": len(spawns),
        "spawns": [s.fact() for s in spawns[:LISTED_SPAWNS]],
        "tests": tests,
        "output": output,
        "panics": panics,
        "logging": {
            "logs_via": logs_via,
            "crates": logging_crates,
            "logger_initialised": bool(inits),
            "inits": inits,
            "log_macro_count": log_macros,
        },
        "errors": {
            "libraries": sorted(c for c in ERROR_CRATES if c in normal),
            "uses_anyhow": "anyhow" in normal,
            "uses_thiserror": "thiserror" in normal,
            "context_count": context_count,
            "mains": mains,
            "main_returns_result": all(m["returns_result"] for m in mains) if mains else None,
        },
    }


def _mains(bins: list[Target], scans: Scans) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for t in sorted(bins, key=lambda t: t.name):
        summary = scans.summary(t.path) if t.path else None
        main = summary.main if summary is not None else None
        if main is None:
            continue
        out.append(
            {
                "bin": t.name,
                "path": t.path,
                "line": main.line,
                "return_type": main.return_type or None,
                "returns_result": main.returns_result,
            }
        )
    return out
