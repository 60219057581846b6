"""The ``plugins`` command: the collector plugins installed through the ``anops_policy.collectors`` entry
point, with their distributions, versions and sections, and (``--check``) whether each one loads."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from anops_policy.cli.options import text_or_json_option
from anops_policy.errors import EXIT_BLOCKING, EXIT_OK

COLUMNS = (
    ("SECTION", "section"),
    ("DISTRIBUTION", "distribution"),
    ("VERSION", "version"),
    ("ENTRY POINT", "entry_point"),
)


def _text(rows: list[dict[str, Any]], check: bool) -> str:
    if not rows:
        return (
            "no collector plugins installed (entry point group anops_policy.collectors); "
            "`anops-policy plugins --help` shows how to write one\n"
        )
    widths = [max(len(title), *(len(str(r[key])) for r in rows)) for title, key in COLUMNS]
    lines = ["  ".join(t.ljust(w) for (t, _), w in zip(COLUMNS, widths, strict=True)) + "  STATUS"]
    for row in rows:
        cells = "  ".join(str(row[key]).ljust(w) for (_, key), w in zip(COLUMNS, widths, strict=True))
        status = row["status"] if row["error"] is None else f"{row['status']}: {row['error']}"
        lines.append(f"{cells}  {status}")
    if not check:
        lines.append("(nothing imported: `anops-policy plugins --check` loads each one and checks it)")
    return "\n".join(lines) + "\n"


@click.command("plugins")
@click.option(
    "--check", is_flag=True, help="Import each plugin and check its collector and SCHEMA (exit 1 if one is unusable)."
)
@text_or_json_option
def plugins_cmd(check: bool, fmt: str) -> None:
    """List the collector plugins installed in this environment: the fact section each adds, its
    distribution and version, and its entry point. Listing imports nothing; `--check` imports each plugin
    and says whether its collector and SCHEMA are usable (exit 1 when one is not: broken, or ignored).

    A plugin is a Python distribution that registers a collector under the `anops_policy.collectors`
    entry point. The entry point's name is the fact section (a snake_case CEL identifier that is not a
    built-in section), its value a collector object or class (instantiated with no arguments):

    \b
      # pyproject.toml of the plugin
      [project.entry-points."anops_policy.collectors"]
      codeowners = "anops_sample_plugin:CodeownersCollector"

    \b
      # anops_sample_plugin/__init__.py
      class CodeownersCollector:
          name = "codeowners"            # the entry point name
          version = "1"                  # of its facts' shape
          depends_on = ()                # built-in sections it reads from ctx.facts
          SCHEMA = {"type": "object", "properties": {...}}   # JSON Schema 2020-12 of facts.codeowners
          def collect(self, ctx):        # ctx.files(), ctx.read_text(path), ctx.options("codeowners")
              return {...}               # raise anops_policy.errors.NotConfigured when there is nothing to read

    A plugin is imported only when a policy `requires:` its section (or `facts --only NAME` asks for it);
    `check` then verifies `facts.NAME...` paths against its SCHEMA. A plugin that fails to import, has no
    valid SCHEMA, raises in collect or returns facts its SCHEMA rejects makes that collector `error` (the
    message names the plugin's distribution and version) and the policies that require it decide `error`.

    \b
    Examples:
      anops-policy plugins
      anops-policy plugins --check --format json
      anops-policy facts . --only codeowners
    """
    from anops_policy.pipeline.plugins import describe_plugins  # noqa: PLC0415

    rows = describe_plugins(check=check)
    if fmt == "json":
        click.echo(json.dumps({"plugins": rows}, indent=2, ensure_ascii=False))
    else:
        click.echo(_text(rows, check), nl=False)
    unusable = any(row["status"] in ("error", "ignored") for row in rows)
    sys.exit(EXIT_BLOCKING if check and unusable else EXIT_OK)
