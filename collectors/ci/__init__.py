"""``ci``: what the repository's CI runs, and whether a failing test can go unnoticed.

Reads GitHub Actions workflows and local actions (``github``), GitLab CI with its local includes (``gitlab``),
and the minimal shape of Jenkins, CircleCI, Azure Pipelines and ``.ci/*`` scripts (``discovery`` finds them).
Every shell script goes through the same analysis (``analysis``, over the bash grammar of
``anops_policy.syntax.shell`` and ``tool_table``): the test commands it runs (tool, kind, the component it
targets) and the reasons a failure would be masked (``masking``; a script the grammar cannot parse masks its
test commands, never passes as not masking). Scripts, make targets and npm scripts that CI invokes, and
local composite actions a job uses, are followed (bounded, ``expansion``) so their test commands count for
the calling job. A broken file is an ``errors`` entry; the rest is still collected.
"""

from __future__ import annotations

from typing import Any

from anops_policy.collectors.ci.discovery import discover
from anops_policy.collectors.ci.expansion import Expander
from anops_policy.collectors.ci.section import build_section

from anops_policy.collection.collector import CollectContext


class CiCollector:
    name = "ci"
    version = "1"
    depends_on: tuple[str, ...] = ("layout",)

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        files = ctx.files()
        file_set = set(files)
        results = discover(ctx, files, file_set)
        layout = ctx.facts.get("layout") or {}
        expander = Expander(ctx.read_text, file_set, results, layout)
        expander.expand_all()
        section: dict[str, Any] = _plain(build_section(expander, layout))
        return section


def _plain(value: Any) -> Any:
    """The section with plain ``str`` everywhere: the readers' line-carrying ``Src`` strings must not leak
    into the fact document (it is deep-copied and hashed)."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
