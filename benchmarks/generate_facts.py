"""Deterministic generator of large, schema-valid fact documents for the evaluation benchmark.

The base is the fact document of ``examples/anops`` (collected with a pinned ``--now``); its lists are
scaled to N TODO markers, with test results, Dockerfiles and CI workflows growing alongside:

| section | at N TODOs |
|---|---|
| todos | N markers in N/5 files (every third names an owner, every seventh a ticket) |
| tests | N/2 test cases in N/50 suites (one in 500 fails) |
| dockerfiles | N/100 copies of the example's Dockerfiles |
| ci | N/100 copies of the example's workflow (jobs, test commands, masked steps) |

Every aggregate (counts, ``by_path``, ``by_name``, totals) is recomputed from the scaled lists, the
document is validated against the fact-document schema and its digest is recomputed, so
``anops-policy eval --facts FILE`` accepts it. Same N at the same commit → byte-identical file.

    python benchmarks/generate_facts.py OUT_DIR --sizes 1000,10000,100000
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from anops_policy.facts import digest_of, document_errors

NOW = "2026-11-26T10:00:00Z"
GENERATED_AT = "2026-11-26T10:00:00Z"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "anops"
TAGS = ("TODO", "FIXME", "XXX", "HACK")
UNTRACKED_SAMPLE = 50  # as the todos collector
LANGUAGES = (("rs", "rust"), ("py", "python"), ("go", "go"), ("ts", "typescript"))


def base_document() -> dict[str, Any]:
    """The example repository's facts, collected with a pinned time (the starting point of every size)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "facts.json"
        subprocess.run(
            [sys.executable, "-m", "anops_policy", "facts", str(EXAMPLE), "--now", NOW, "-o", str(out)],
            check=True,
        )
        doc: dict[str, Any] = json.loads(out.read_text())
    return doc


def scale_todos(todos: dict[str, Any], n: int) -> None:
    items: list[dict[str, Any]] = list(todos["items"])
    files = max(1, n // 5)
    per_language: dict[str, int] = {}
    for f in range(files):
        ext, language = LANGUAGES[f % len(LANGUAGES)]
        path = f"gen/pkg{f // 100:04d}/file{f:06d}.{ext}"
        per_language[language] = per_language.get(language, 0) + 1
        for k in range(5):
            i = f * 5 + k
            if len(items) >= n:
                break
            item: dict[str, Any] = {
                "path": path,
                "line": 10 + 7 * k,
                "tag": TAGS[i % 4],
                "text": f"generated marker {i}: revisit the retry policy",
                "language": language,
                "age_days": i % 400,
            }
            if i % 3 == 0:
                item["owner"] = f"dev{i % 17}"
            if i % 7 == 0:
                item["ticket"] = f"ANOPS-{i}"
            items.append(item)
    items.sort(key=lambda t: (t["path"], t["line"]))
    by_path: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_path.setdefault(item["path"], []).append(item)
    by_tag = dict.fromkeys(TAGS, 0)
    by_language: dict[str, int] = {}
    for item in items:
        by_tag[item["tag"]] += 1
        by_language[item["language"]] = by_language.get(item["language"], 0) + 1
    todos["items"] = items
    todos["by_path"] = by_path
    todos["untracked"] = [t for t in items if "owner" not in t and "ticket" not in t][:UNTRACKED_SAMPLE]
    todos["counts"] = {
        "total": len(items),
        "by_tag": by_tag,
        "by_language": dict(sorted(by_language.items())),
        "without_owner_or_ticket": sum(1 for t in items if "owner" not in t and "ticket" not in t),
        "files_with_markers": len(by_path),
    }
    scanned = dict(todos["files_by_language"])
    for language, count in per_language.items():
        scanned[language] = scanned.get(language, 0) + count
    todos["files_by_language"] = dict(sorted(scanned.items()))
    todos["files_scanned"] = sum(scanned.values())


MAX_FAILING = 100  # tests.failing's maxItems
COUNTERS = ("tests", "passed", "failed", "errors", "skipped", "collection_errors", "flaky")


def scale_tests(tests: dict[str, Any], cases: int) -> None:
    suites_n = max(1, cases // 50)
    for s in range(suites_n):
        report = f"reports/gen/junit-{s:05d}.xml"
        file = f"gen/tests/test_mod{s:05d}.py"
        suite_id = f"{report}::pytest"
        counts = dict.fromkeys(COUNTERS, 0)
        for c in range(50):
            i = s * 50 + c
            name = f"test_generated_{i:07d}"
            failed = i % 500 == 499
            status = "failed" if failed else "passed"
            counts["tests"] += 1
            counts["failed" if failed else "passed"] += 1
            entry = {"status": status, "path": report, "file": file, "count": 1}
            tests["by_name"][name] = {**entry, "suite": suite_id, "classname": f"test_mod{s:05d}"}
            tests["by_qualified_name"][f"test_mod{s:05d}.{name}"] = dict(entry)
            tests["by_base_name"][name] = dict(entry)
            if failed:
                tests["failing"].append(
                    {
                        "name": name,
                        "classname": f"test_mod{s:05d}",
                        "status": "failed",
                        "path": report,
                        "suite": suite_id,
                        "message": "AssertionError: expected 200, got 503",
                        "collection_error": False,
                        "file": file,
                    }
                )
        suite = {"id": suite_id, "name": "pytest", "path": report, **counts, "file": file, "time": 1.5}
        tests["suites"].append(suite)
        tests["reports"][report] = {"format": "junit", "producer": "pytest", "suites": 1, **counts}
        tests["by_path"][file] = dict(counts)
    totals = dict.fromkeys(COUNTERS, 0)
    for suite in tests["suites"]:
        for key in COUNTERS:
            totals[key] += suite[key]
    tests["totals"] = {**totals, "suites": len(tests["suites"])}
    # the collector lists at most MAX_FAILING cases and counts the rest
    tests["failing_more"] += max(0, len(tests["failing"]) - MAX_FAILING)
    tests["failing"] = tests["failing"][:MAX_FAILING]
    tests["files"] = len(tests["reports"])
    tests["all_passed"] = totals["failed"] == 0 and totals["errors"] == 0


def _rename(value: Any, old: str, new: str) -> Any:
    """A deep copy of ``value`` with every string equal to / starting with path ``old`` moved to ``new``."""
    if isinstance(value, str):
        if value == old or value.startswith(old + "#") or value.startswith(old + "/"):
            return new + value[len(old) :]
        return value
    if isinstance(value, list):
        return [_rename(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _rename(v, old, new) for k, v in value.items()}
    return value


def scale_dockerfiles(docker: dict[str, Any], copies: int) -> None:
    originals = [(p, docker["by_path"][p]) for p in docker["paths"]]
    for c in range(copies):
        for path, entry in originals:
            service = path.rsplit("/", 1)[0]
            new_dir = f"gen/{service}-{c:04d}"
            new_path = f"{new_dir}/Dockerfile"
            docker["by_path"][new_path] = _rename(copy.deepcopy(entry), service, new_dir)
            docker["by_dir"][new_dir] = [new_path]
    docker["paths"] = sorted(docker["by_path"])
    docker["by_path"] = {p: docker["by_path"][p] for p in docker["paths"]}
    docker["by_dir"] = dict(sorted(docker["by_dir"].items()))
    docker["count"] = len(docker["paths"])
    problem_counts: dict[str, int] = {}
    by_code: dict[str, dict[str, list[Any]]] = {}
    for path, entry in docker["by_path"].items():
        seen: set[str] = set()
        for problem in entry["problems"]:
            problem_counts[problem["code"]] = problem_counts.get(problem["code"], 0) + 1
            if problem["code"] not in seen:
                seen.add(problem["code"])
                slot = by_code.setdefault(problem["code"], {"paths": [], "problems": []})
                slot["paths"].append(path)
                slot["problems"].append({"path": path, **problem})
    docker["by_problem_code"] = dict(sorted(by_code.items()))
    docker["unparsed"] = [p for p, e in docker["by_path"].items() if not e["parsed"]]
    docker["problem_counts"] = dict(sorted(problem_counts.items()))
    docker["problem_count"] = sum(problem_counts.values())
    docker["error_count"] = sum(1 for e in docker["by_path"].values() if not e["parsed"])


def scale_ci(ci: dict[str, Any], copies: int) -> None:
    original = ci["files"][0]
    for c in range(copies):
        new = f".github/workflows/gen-{c:04d}.yml"
        ci["files"].append(new)
        ci["by_path"][new] = _rename(copy.deepcopy(ci["by_path"][original]), original, new)
        for key in ("jobs", "test_commands", "e2e_test_commands", "masked_test_steps"):
            ci[key].extend(_rename(copy.deepcopy([x for x in ci[key] if x["path"] == original]), original, new))
    for key in ("jobs", "test_commands", "e2e_test_commands", "masked_test_steps"):
        ci[key].sort(key=lambda x: (x["path"], x["line"]))
    factor = copies + 1
    for key in ("files", "workflows", "jobs", "steps", "run_steps", "test_commands", "masked", "masked_steps"):
        ci["counts"][key] *= factor
    for system in ci["counts_by_system"].values():
        for key in system:
            system[key] *= factor
    for component in ci["components"].values():
        component["test_commands"] *= factor
        component["unmasked"] *= factor
    ci["actions_by_pin"] = {k: v * factor for k, v in ci["actions_by_pin"].items()}


def generate(base: dict[str, Any], n: int) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    doc["meta"]["generated_at"] = GENERATED_AT
    for info in doc["meta"]["collectors"].values():
        info["duration_ms"] = 0
    scale_todos(doc["todos"], n)
    scale_tests(doc["tests"], n // 2)
    scale_dockerfiles(doc["dockerfiles"], n // 100)
    scale_ci(doc["ci"], n // 100)
    problems = document_errors(doc)
    if problems:
        raise SystemExit(f"generated document for {n} TODOs is invalid:\n" + "\n".join(problems[:20]))
    doc["meta"]["digest"] = digest_of(doc)
    return doc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write facts-<N>.json into")
    parser.add_argument("--sizes", default="1000,10000,100000", help="TODO counts, comma-separated")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    base = base_document()
    for n in (int(s) for s in args.sizes.split(",")):
        target = args.out / f"facts-{n}.json"
        target.write_text(json.dumps(generate(base, n), indent=None, sort_keys=False) + "\n")
        print(f"{target}: {target.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
