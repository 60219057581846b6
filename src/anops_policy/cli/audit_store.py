"""``audit streams``, ``audit migrate`` and ``audit store init``: the commands that exist for a central
PostgreSQL store (registered on the ``audit`` group by ``cli.audit``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from anops_policy.cli.targets import LOG_TARGET
from anops_policy.errors import EXIT_BLOCKING, EXIT_OK, ConfigError
from anops_policy.store.url import is_store_url

format_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)


def _store_url(url: str, what: str) -> str:
    if not is_store_url(url):
        raise click.BadParameter(f"'{url}' is not a store URL (postgresql://USER@HOST:PORT/DATABASE)", param_hint=what)
    return url


@click.command("streams")
@click.argument("url")
@click.option("--no-verify", is_flag=True, help="List only (skip verifying every stream's chain).")
@format_option
def streams_cmd(url: str, no_verify: bool, fmt: str) -> None:
    """The auditor's view of a store URL: every stream (repository) with its record count, head, last
    evaluation and its summary, and whether its chain verifies. Exit 1 when any stream fails.

    \b
    Example:
      anops-policy audit streams postgresql://auditor@db.internal/anops
    """
    from anops_policy.audit.pg_log import PgLog  # noqa: PLC0415
    from anops_policy.audit.verify import VerifyOptions  # noqa: PLC0415
    from anops_policy.store.postgres import PgStore  # noqa: PLC0415

    rows: list[dict[str, Any]] = []
    for summary in PgStore(_store_url(url, "URL")).streams():
        row: dict[str, Any] = {"stream": summary.stream, "records": summary.records, "head_seq": summary.head_seq,
                               "head_hash": summary.head_hash, "last_time": summary.last_time}
        if not no_verify:
            result = PgLog(url, summary.stream).verify(VerifyOptions(check_objects=False))
            evals = [e for e in result.events if e.get("kind") == "eval"]
            row["ok"] = result.ok
            row["problem"] = result.problems[0].describe() if result.problems else None
            row["last_eval"] = {"decision_id": evals[-1].get("decision_id"), "time": evals[-1].get("time"),
                                "commit": (evals[-1].get("repo") or {}).get("commit"),
                                "summary": (evals[-1].get("summary") or {}).get("line")} if evals else None
        rows.append(row)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        for row in rows:
            state = "" if no_verify else ("ok      " if row["ok"] else "FAILED  ")
            last = row.get("last_eval") or {}
            click.echo(f"{state}{row['stream']:<40} {row['records']:>6} records  head seq {row['head_seq']}  "
                       f"{str(row['last_time'] or '-')[:19]}  {last.get('summary') or ''}")
            if row.get("problem"):
                click.echo(f"        {row['problem']}")
        bad = sum(1 for r in rows if r.get("ok") is False)
        click.echo(f"{len(rows)} streams" + ("" if no_verify else f", {bad} failing verification" if bad else
                                             ", all verify"))
    sys.exit(EXIT_BLOCKING if any(r.get("ok") is False for r in rows) else EXIT_OK)


@click.command("migrate")
@click.argument("source", type=LOG_TARGET)
@click.argument("destination", type=LOG_TARGET)
@click.option("--stream", "stream", metavar="NAME",
              help="The stream on the store's side (required when either side is a store).")
@format_option
def migrate_cmd(source: Path | str, destination: Path | str, stream: str | None, fmt: str) -> None:
    """Copy the decision log SOURCE to DESTINATION (a file and a store's stream, either way), every
    record, hash, signature, head and stored input preserved; both sides are verified afterwards and
    must hold the same hashes (exit 1 otherwise). The source must verify; the destination must be empty.

    \b
    Examples:
      anops-policy audit migrate repo/.anops-policy/decisions.jsonl postgresql://ci@db/anops \\
          --stream github.com/acme/payments
      anops-policy audit migrate postgresql://auditor@db/anops copy/decisions.jsonl --stream github.com/acme/payments
    """
    from anops_policy.audit.migrate import migrate  # noqa: PLC0415
    from anops_policy.audit.sinks import open_log  # noqa: PLC0415
    from anops_policy.audit.streams import check_stream  # noqa: PLC0415

    if (is_store_url(source) or is_store_url(destination)) and not stream:
        raise click.UsageError("--stream NAME is required when a side is a store (for example github.com/acme/pay)")
    if source == destination:
        raise click.UsageError("SOURCE and DESTINATION are the same log")
    name = check_stream(stream) if stream else None
    result = migrate(open_log(source, stream=name), open_log(destination, stream=name))
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        click.echo(f"copied {len(result.destination.events)} records and {result.objects} stored inputs: "
                   f"{result.source.name} → {result.destination.name}")
        for label, side in (("source:     ", result.source), ("destination:", result.destination)):
            state = "ok" if side.ok else "FAILED: " + side.problems[0].describe()
            click.echo(f"  {label} {state}, {len(side.events)} records, head {(side.last or {}).get('hash')}")
        click.echo("  identical hashes on both sides" if result.identical else "  the two sides DIFFER")
        for note in result.notes:
            click.echo(f"  note: {note}")
    sys.exit(EXIT_OK if result.identical else EXIT_BLOCKING)


@click.group("store")
def store_group() -> None:
    """Set up a PostgreSQL decision store (schema and the writers' role)."""


@store_group.command("init")
@click.argument("url")
@click.option("--writer-role", metavar="ROLE",
              help="An existing role that eval and serve connect as: granted SELECT and INSERT on the records and "
                   "objects (no UPDATE, DELETE or TRUNCATE) and the head updates appends need.")
def store_init_cmd(url: str, writer_role: str | None) -> None:
    """Create or migrate the store's schema at URL (as a role that may create tables), and optionally
    grant a writer role only what appending needs. Safe to run again: it applies what is missing.

    \b
    Example (the documented deployment):
      psql -c "CREATE ROLE anops_writer LOGIN"       # its password in the writers' ~/.pgpass
      anops-policy audit store init postgresql://owner@db.internal/anops --writer-role anops_writer
    """
    from anops_policy.store.postgres import PgStore  # noqa: PLC0415

    store = PgStore(_store_url(url, "URL"))
    if writer_role is not None and not writer_role.replace("_", "").isalnum():
        raise ConfigError(f"--writer-role {writer_role!r}: a role name of letters, digits and underscores")
    for line in store.init(writer_role):
        click.echo(f"{store.where}: {line}")


def register(group: click.Group) -> None:
    group.add_command(streams_cmd)
    group.add_command(migrate_cmd)
    group.add_command(store_group)
