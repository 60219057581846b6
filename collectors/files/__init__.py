"""``files``: structured files as facts. Each declared input (a pack's or the config's ``inputs:``, or
``--input``) is a set of files and a parser; every document of every file becomes an entry of
``facts.files.<input>.documents`` with its path, index, parsed data and a JSON-pointer → line map, so a
failing value is cited as ``path:line``. A file that does not parse is an error entry naming
``file:line:column``, a Helm template a skipped one; neither stops the rest.

May import collection, syntax and the shared leaves (and the docker family's secret rules)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from anops_policy.collection.collector import CollectContext
from anops_policy.errors import NotConfigured


class FilesCollector:
    name = "files"
    version = "1"
    depends_on: tuple[str, ...] = ()

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        inputs: Mapping[str, Mapping[str, Any]] = ctx.config.raw.get("inputs") or {}
        if not inputs:
            raise NotConfigured(
                "no input is declared",
                "declare `inputs:` in anops-policy.yaml, use a pack that declares some "
                "(--pack builtin:deployment-readiness), or pass --input NAME=GLOB:PARSER",
            )
        # the parsers (XML, HCL, TOML, YAML with positions) and jsonschema load only for a run with inputs
        from anops_policy.collectors.files.inputs import Input  # noqa: PLC0415 - start-up

        return {name: Input(ctx, name, spec).collect() for name, spec in sorted(inputs.items())}
