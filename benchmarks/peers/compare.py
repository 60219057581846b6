"""What each tool finds, per category, against what the generator planted (``.bench/truth.json``).

Each reader turns one tool's JSON output into ``{category: set of repository-relative paths}``. A category
a tool has no check for is absent (printed as a dash), so "does not look" is never shown as "found nothing".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

# category -> (truth section, truth key, what it means)
CATEGORIES: dict[str, tuple[str, str, str]] = {
    "floating base image": ("dockerfiles", "floating_base", ":latest or no tag on some FROM"),
    "apt lists kept": ("dockerfiles", "apt_lists_kept", "apt-get update without rm -rf /var/lib/apt/lists"),
    "apt recommends": ("dockerfiles", "apt_recommends", "apt-get install without --no-install-recommends"),
    "pip cache kept": ("dockerfiles", "pip_cache_kept", "pip install without --no-cache-dir"),
    "runs as root": ("dockerfiles", "runs_as_root", "no USER, or USER root, at the end"),
    "no HEALTHCHECK": ("dockerfiles", "no_healthcheck", "final image without HEALTHCHECK"),
    "secret in ENV": ("dockerfiles", "secret_in_env", "ENV API_TOKEN=… and the like"),
    "test step masked": ("workflows", "masked_test", "continue-on-error, || true, set +e on a test step"),
    "token not read-only": ("workflows", "token_not_read_only", "top-level permissions write-all or unset"),
    "action not SHA-pinned": ("workflows", "unpinned_action", "uses: …@v4 / @main"),
}
# categories anops-policy's facts carry but no default-pack policy fails on (an opt-in code; no policy)
FACTS_ONLY = {"no HEALTHCHECK", "action not SHA-pinned"}
# anops-policy's dockerfiles problem codes per category
ANOPS_CODES = {
    "floating base image": "base-latest",
    "apt lists kept": "apt-lists-kept",
    "apt recommends": "apt-install-recommends",
    "pip cache kept": "pip-cache-kept",
    "runs as root": "runs-as-root",
    "no HEALTHCHECK": "no-healthcheck",
}
HADOLINT_RULES = {
    "floating base image": {"DL3006", "DL3007"},
    "apt lists kept": {"DL3009"},
    "apt recommends": {"DL3015"},
    "pip cache kept": {"DL3042"},
    "runs as root": {"DL3002"},
}
CHECKOV_RULES = {
    "floating base image": {"CKV_DOCKER_7"},
    "runs as root": {"CKV_DOCKER_3", "CKV_DOCKER_8"},
    "no HEALTHCHECK": {"CKV_DOCKER_2"},
    "token not read-only": {"CKV2_GHA_1"},
}

Found = dict[str, set[str]]


def truth_sets(truth: dict[str, Any]) -> Found:
    return {
        cat: {path for path, planted in truth[section].items() if planted[key]}
        for cat, (section, key, _) in CATEGORIES.items()
    }


def anops_found(facts: dict[str, Any]) -> Found:
    """From the fact document the policies judge (``anops-policy facts --only dockerfiles --only ci``): a
    report's evidence lists are capped, the facts are complete. Which categories the default pack turns
    into failing decisions: all but ``FACTS_ONLY``."""
    out: Found = {cat: set() for cat in [*ANOPS_CODES, "secret in ENV", "test step masked", "action not SHA-pinned"]}
    by_code = {code: cat for cat, code in ANOPS_CODES.items()}
    for path, entry in facts["dockerfiles"]["by_path"].items():
        for problem in entry["problems"]:
            if problem["code"] in by_code:
                out[by_code[problem["code"]]].add(path)
        if any(s["instruction"] == "ENV" for s in entry["secrets"]):
            out["secret in ENV"].add(path)
    out["test step masked"] = {s["path"] for s in facts["ci"]["masked_test_steps"]}
    for job in facts["ci"]["jobs"]:
        uses = [job.get("uses"), *(s.get("uses") for s in job.get("steps", []))]
        if any(u and u.get("pin") in {"tag", "branch", "unpinned"} for u in uses):
            out["action not SHA-pinned"].add(job["path"])
    return out


def hadolint_found(findings: Iterable[dict[str, Any]], root: str) -> Found:
    out: Found = {cat: set() for cat in HADOLINT_RULES}
    for f in findings:
        for cat, rules in HADOLINT_RULES.items():
            if f["code"] in rules:
                out[cat].add(_relative(f["file"], root))
    return out


def checkov_found(reports: Any) -> Found:
    out: Found = {cat: set() for cat in CHECKOV_RULES}
    for report in reports if isinstance(reports, list) else [reports]:
        for f in report.get("results", {}).get("failed_checks", []):
            for cat, rules in CHECKOV_RULES.items():
                if f["check_id"] in rules:
                    out[cat].add(f["file_path"].lstrip("/"))
    return out


def checkov_files(reports: Any) -> set[str]:
    """Files checkov reported anything about (to show which files it did not recognise)."""
    files: set[str] = set()
    for report in reports if isinstance(reports, list) else [reports]:
        results = report.get("results", {})
        for key in ("failed_checks", "passed_checks"):
            files.update(f["file_path"].lstrip("/") for f in results.get(key, []))
    return files


def _relative(path: str, root: str) -> str:
    prefix = root.rstrip("/") + "/"
    return path[len(prefix):] if path.startswith(prefix) else path


def cell(found: Found, truth: Found, cat: str) -> str:
    if cat not in found:
        return "—"
    hits = len(found[cat] & truth[cat])
    extra = len(found[cat] - truth[cat])
    return f"{hits}/{len(truth[cat])}" + (f" (+{extra})" if extra else "")


def table(truth: Found, tools: dict[str, Found]) -> list[str]:
    header = ["category", "planted", *tools]
    rows = [f"| {' | '.join(header)} |", "|" + "---|" * len(header)]
    for cat in CATEGORIES:
        mark = " *" if cat in FACTS_ONLY else ""
        cells = " | ".join(cell(f, truth, cat) for f in tools.values())
        rows.append(f"| {cat}{mark} | {len(truth[cat])} | {cells} |")
    return rows


def load_json(text: str) -> Any:
    return json.loads(text) if text.strip() else []
