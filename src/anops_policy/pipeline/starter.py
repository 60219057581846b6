"""``anops-policy init``: a commented starter config from what the ``layout`` discovery finds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from anops_policy.config import RepoConfig
from anops_policy.pipeline.collect import collect_facts

HEADER = """\
# anops-policy.yaml — describes this repository to anops-policy (schema: `anops-policy schema config`).
# Everything is optional: where a list is absent, discovery fills it in. Edit, then run
#   anops-policy eval
apiVersion: anops.dev/config/v1
packs: [builtin:production-readiness]
"""

FOOTER = """\
# Add builtin:deployment-readiness to judge Kubernetes manifests and compose files (probes, limits, non-root,
# pinned images). Structured files as facts (facts.files.<name>): a pack declares its own inputs; add or
# override them here (parsers: yaml json jsonc json5 toml ini xml hcl2 dotenv properties dockerfile):
# inputs:
#   k8s: {files: ["deploy/**/*.yaml"]}            # narrow a pack's input to where the manifests are
#   npm: {files: ["**/package.json"], parser: json, exclude: ["**/node_modules/**"]}
# Code patterns as facts (facts.patterns.<id>), in ast-grep's rule syntax, for any language; a policy in a
# pack of yours judges them (`anops-policy test anops-policy.yaml` runs their examples):
# patterns:
#   - id: go_log_fatal_outside_main
#     language: go
#     rule:
#       pattern: log.Fatal($$$ARGS)
#       not: {inside: {kind: function_declaration, regex: "^func main", stopBy: end}}
#     tests: exclude
#     examples: {match: ['log.Fatal(err)'], no_match: ["func main() {\\n\\tlog.Fatal(err)\\n}"]}
# Per-policy parameter overrides (see `anops-policy explain POLICY`):
# params:
#   no-todos-in-release-files: {max_markers: 0}
# Where test results and coverage files are (globs; they may be untracked build output):
# collect:
#   results: ["reports/**/*.xml"]
# Waivers for soft policies (owner, reason, ticket and an expiry within 90 days are required):
# waivers:
#   - {policy: no-todos-in-release-files, subject: src/main.rs, owner: you@example.com,
#      reason: tracked elsewhere, ticket: ABC-1, expires: 2027-01-31}
"""


def starter_config(path: Path) -> str:
    document = collect_facts(path, RepoConfig(), now=datetime.now(UTC), only=["layout"])
    layout: dict[str, Any] = document.get("layout", {})
    body: dict[str, Any] = {}
    # what the layout fact adds, not config
    layout_only = ("source", "line", "found_at", "discovered_fields", "tests", "test_files", "dockerfile", "manifest")
    components = [{k: v for k, v in c.items() if k not in layout_only} for c in layout.get("components", [])]
    parts = [HEADER]
    if components:
        body["components"] = components
    for key in ("e2e", "release_files"):
        if layout.get(key):
            body[key] = layout[key]
    if layout.get("docs"):
        body["docs"] = layout["docs"]
    if body:
        parts.append("# Found by discovery; check and complete:\n")
        parts.append(yaml.safe_dump(body, sort_keys=False, default_flow_style=False))
    else:
        parts.append(
            "# Nothing discovered yet. Describe the components, for example:\n"
            "# components:\n#   - {name: my-cli, kind: rust-cli, path: cli, commands: [build]}\n"
            "# release_files: [cli/src/main.rs]\n"
        )
    parts.append(FOOTER)
    return "".join(parts)
