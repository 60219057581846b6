"""The click side of decision-log targets: a path or a ``postgresql://`` URL (never folded into a path),
and ``--stream``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from anops_policy.errors import ConfigError
from anops_policy.store.url import is_store_url

LOG_HELP = ("a file path or a PostgreSQL URL (postgresql://USER@HOST:PORT/DB; the password from PGPASSWORD or "
            "~/.pgpass rather than the URL)")


class LogTarget(click.ParamType):  # type: ignore[type-arg]
    """A decision log: ``postgresql://…`` stays a string, anything else becomes a ``Path``."""

    name = "LOG|URL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str | Path:
        if isinstance(value, Path):
            return value
        text = str(value)
        if is_store_url(text):
            return text
        if text.lower().startswith(("postgres:", "postgresql:", "postgres+", "pg:", "psql:", "pgsql:")):
            self.fail(f"'{text}' looks like a store URL but is not one; write postgresql://USER@HOST:PORT/DATABASE",
                      param, ctx)
        path = Path(text)
        if path.is_dir():
            self.fail(f"{text} is a folder; give the log file (e.g. {text}/decisions.jsonl)", param, ctx)
        return path


LOG_TARGET = LogTarget()

stream_option = click.option(
    "--stream", "stream", metavar="NAME", default=None,
    help="The repository's stream in a PostgreSQL store (default: $GITHUB_REPOSITORY or $CI_PROJECT_PATH with "
         "its host, else the git remote origin as host/owner/name, else the folder name). Ignored for a file log.")


def default_log(root: Path = Path()) -> Path | str:
    """The log ``eval ROOT`` writes: the config's ``decision_log`` or ``ROOT/.anops-policy/decisions.jsonl``."""
    from anops_policy.audit.sinks import resolve_target  # noqa: PLC0415
    from anops_policy.config import find_config, load_config  # noqa: PLC0415

    found = find_config(root)
    configured = load_config(found).decision_log if found else None
    return resolve_target(root, configured, None)


def open_target(log: Path | str | None, stream: str | None, root: Path = Path()) -> Any:
    """The file log, or the store's stream (``stream`` given or detected from ``root``)."""
    from anops_policy.audit.sinks import open_log  # noqa: PLC0415

    return open_log(log if log is not None else default_log(root), root, stream)


def store_streams(log: Path | str | None, stream: str | None) -> list[Any] | None:
    """Every stream of a store when LOG is a URL and no --stream picks one; else None (one log)."""
    from anops_policy.audit.pg_log import PgLog, streams_of  # noqa: PLC0415

    target = log if log is not None else default_log()
    if not is_store_url(target) or stream:
        return None
    return [PgLog(str(target), name) for name in streams_of(str(target))]


def decision_log_of(log: Path | str | None, stream: str | None, ident: str) -> Any:
    """The log holding ``ident``: the file, the given stream, or the store's stream whose records carry it."""
    from anops_policy.audit.pg_log import PgLog  # noqa: PLC0415

    target = log if log is not None else default_log()
    if not is_store_url(target) or stream:
        return open_target(log, stream)
    if ident == "latest" or ident.isdigit():
        raise click.UsageError(f"'{ident}' names a record of one repository: add --stream NAME "
                               "(`anops-policy audit streams URL` lists them)")
    found = {s for s, _d in PgLog(str(target), "-").store.find(ident)}
    if len(found) != 1:
        raise ConfigError(f"no record with decision id '{ident}' in the store" if not found else
                          f"decision '{ident}' is in several streams ({', '.join(sorted(found))}): add --stream")
    return PgLog(str(target), found.pop())
