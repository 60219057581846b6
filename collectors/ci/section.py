"""The ``ci`` section assembled: test commands sorted and counted per job, step, file, system and component,
masked steps, reports, action pins and errors."""

from __future__ import annotations

from typing import Any

from anops_policy.collectors.ci.expansion import Expander
from anops_policy.collectors.ci.tool_table import KIND_ORDER


def build_section(run: Expander, layout: dict[str, Any]) -> dict[str, Any]:
    """The section from what ``run`` found and expanded; ``layout`` is the layout fact (its ``e2e`` paths)."""
    layout_e2e = layout.get("e2e", [])
    e2e = set(run.e2e) | {str(p) for p in layout_e2e}
    tests = sorted(run.tests, key=lambda t: (t["step_path"], t["step_line"], t["path"], t["line"],
                                             t["command"]))
    jobs = sorted((j for r in run.results.values() for j in r.jobs), key=lambda j: (j["path"], j["line"], j["id"]))
    actions = sorted((a for r in run.results.values() for a in r.actions), key=lambda a: a["path"])
    job_by_key = {j["key"]: j for j in jobs}
    by_path = {path: res.entry for path, res in sorted(run.results.items())}
    for test in tests:
        job = job_by_key.get(test["job_key"] or "")
        if job is not None:
            job["counts"]["test_commands"] += 1
            job["counts"]["masked"] += int(test["masked"])
            if test["step_index"] is not None and test["step_index"] < len(job["steps"]):
                step = next((s for s in job["steps"] if s["index"] == test["step_index"]), None)
                if step is not None:
                    step["test_commands"] += 1
                    step["masked"] = step["masked"] or test["masked"]
            owner = by_path.get(job["path"])
            if owner is not None:
                owner["counts"]["test_commands"] += 1
                owner["counts"]["masked"] += int(test["masked"])
        elif test["step_path"] in by_path:
            by_path[test["step_path"]]["counts"]["test_commands"] += 1
            by_path[test["step_path"]]["counts"]["masked"] += int(test["masked"])
    masked_steps: dict[tuple[str, int, str], dict[str, Any]] = {}
    for test in tests:
        if not test["masked"]:
            continue
        key = (test["step_path"], test["step_line"], test["job_key"] or "")
        entry = masked_steps.setdefault(key, {
            "path": test["step_path"], "line": test["step_line"], "system": test["system"], "job": test["job"],
            "job_key": test["job_key"], "step": test["step"], "commands": [], "kinds": [], "reasons": [],
        })
        entry["commands"].append(test["command"])
        entry["kinds"] = [k for k in KIND_ORDER if k in set(entry["kinds"]) | set(test["kinds"])]
        for reason in test["masking"]:
            if reason not in entry["reasons"]:
                entry["reasons"].append(reason)
    reports = sorted(run.reports, key=lambda r: (r["path"], r["line"], r["kind"]))
    errors = sorted(run.errors, key=lambda e: (e["path"], e["line"] or 0, e["message"]))
    systems = sorted({e["system"] for e in by_path.values()})
    steps_all = [s for j in jobs for s in j["steps"]] + [s for a in actions for s in a["steps"]]
    pins: dict[str, int] = {}
    for use in [s["uses"] for s in steps_all if s["uses"]] + [j["uses"] for j in jobs if j["uses"]]:
        pins[use["pin"]] = pins.get(use["pin"], 0) + 1
    by_system: dict[str, dict[str, int]] = {}
    for entry in by_path.values():
        agg = by_system.setdefault(entry["system"], {"files": 0, "jobs": 0, "steps": 0, "run_steps": 0,
                                                     "test_commands": 0, "masked": 0})
        agg["files"] += 1
        for k in ("jobs", "steps", "run_steps", "test_commands", "masked"):
            agg[k] += entry["counts"][k]
    components = {}
    for name, cpath in sorted(dict(reversed(run.components)).items()):  # a name's own folder, not its test folder
        mine = [t for t in tests if name in t["components"]]
        clean = [t for t in mine if not t["masked"]]
        components[name] = {
            "path": cpath, "test_commands": len(mine), "unmasked": len(clean),
            "kinds": [k for k in KIND_ORDER if any(k in t["kinds"] for t in mine)],
            "unmasked_kinds": [k for k in KIND_ORDER if any(k in t["kinds"] for t in clean)],
        }
    masked_count = sum(1 for t in tests if t["masked"])
    return {
        "present": bool(by_path),
        "systems": systems,
        "files": sorted(by_path),
        "events": sorted({e for entry in by_path.values() for e in entry["events"]}),
        "counts": {
            "files": len(by_path),
            "workflows": sum(1 for e in by_path.values() if e["kind"] == "workflow"),
            "jobs": len(jobs), "steps": len(steps_all),
            "run_steps": sum(1 for s in steps_all if s["run"] is not None),
            "composite_actions": sum(1 for e in by_path.values() if e["kind"] == "composite-action"),
            "test_commands": len(tests), "masked": masked_count, "masked_steps": len(masked_steps),
            "reports": len(reports), "errors": len(errors), "dropped_test_commands": run.dropped,
        },
        "counts_by_system": by_system,
        "kinds_run": sorted({k for t in tests for k in t["kinds"]}),
        "kinds_run_unmasked": sorted({k for t in tests if not t["masked"] for k in t["kinds"]}),
        "tools_run": sorted({t["tool"] for t in tests}),
        "test_commands": tests,
        # the few commands that may run the e2e suite: a policy scans these, not every test command
        "e2e_test_commands": [t for t in tests if "e2e" in t["kinds"] or any(x in e2e for x in t["targets"])],
        "masked_test_steps": sorted(masked_steps.values(), key=lambda m: (m["path"], m["line"])),
        "components": components,
        "reports_published": bool(reports),
        "reports_on_failure": any(r["on_failure"] for r in reports),
        "reports": reports,
        "report_files": sorted({t["report_path"] for t in tests if t["report_path"]}),
        "actions_by_pin": dict(sorted(pins.items())),
        "by_path": by_path,
        "jobs": jobs,
        "actions": actions,
        "errors": errors,
    }
