"""``audit export`` and ``audit report``: the organisation-wide commands, which read every stream of a
store (or several file logs) at once, for analysis and for the auditor's page (registered on the ``audit``
group by ``cli.audit``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from anops_policy.cli.output import write_output
from anops_policy.cli.targets import LOG_HELP, LOG_TARGET, default_log, open_target, stream_option
from anops_policy.errors import EXIT_BLOCKING, EXIT_OK, ConfigError
from anops_policy.store.url import is_store_url


@dataclass(frozen=True)
class Source:
    stream: str
    log: Any  # sinks.Log


def sources(targets: Sequence[Path | str], stream: str | None) -> list[Source]:
    """The streams to read: every stream of a store URL (or the one --stream names), and each file log
    as one stream (named by --stream when it is the only log, else by its repository; --stream beside
    several logs is refused when one is a file log, which it could not apply to)."""
    from anops_policy.audit.decision_log import DecisionLog  # noqa: PLC0415
    from anops_policy.audit.pg_log import PgLog, streams_of  # noqa: PLC0415
    from anops_policy.audit.streams import check_stream, file_log_stream  # noqa: PLC0415

    if stream is not None:
        check_stream(stream)
        files = [str(t) for t in targets if not is_store_url(t)]
        if files and len(targets) > 1:  # it names a single file log's stream: with several it would be ignored
            raise ConfigError(f"--stream {stream} with several logs: it selects one stream of a store, or names a "
                              f"single file log's rows, so it cannot apply to {', '.join(files[:3])}"
                              f"{' …' if len(files) > 3 else ''}; give those logs without --stream (each is named "
                              "by its repository), or one at a time")
    out: list[Source] = []
    for target in targets or [default_log()]:
        if is_store_url(target):
            names = [stream] if stream else streams_of(str(target))
            out += [Source(name, PgLog(str(target), name)) for name in names]
        else:
            path = Path(target)
            if not path.is_file():
                raise ConfigError(f"decision log {path}: no such file")
            name = stream or file_log_stream(path)
            out.append(Source(name, DecisionLog(path)))
    seen: dict[str, int] = {}
    for index, source in enumerate(out):  # two logs of same-named folders stay two streams
        if source.stream in seen:
            out[index] = Source(f"{source.stream}#{index + 1}", source.log)
        seen[source.stream] = index
    if not out:
        raise ConfigError("the decision store has no streams yet: nothing has been recorded in it")
    return out


def _verified(source: Source, verify: bool, public_keys: tuple[Any, ...] = ()) -> Any:
    from anops_policy.audit import sinks  # noqa: PLC0415
    from anops_policy.audit.verify import VerifyOptions, VerifyResult  # noqa: PLC0415

    if verify:
        result = sinks.verify(source.log, VerifyOptions(public_keys=public_keys, check_objects=False))
        if not result.ok:  # the walk may stop at the damage: every record that parses is still shown
            result.events = sinks.events_of(source.log)
        return result
    return VerifyResult(name=sinks.log_name(source.log), events=sinks.events_of(sinks.require(source.log)))


@click.command("export")
@click.argument("logs", nargs=-1, type=LOG_TARGET, metavar="[LOG|URL]...")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "parquet"]), default="jsonl", show_default=True,
              help="JSON Lines (one row per line) or Parquet (typed, compressed; for DuckDB, pandas, a warehouse). "
                   "Both have the same columns.")
@click.option("-o", "--output", "output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write here (replaced whole, never half-written). Default for jsonl: standard output; parquet "
                   "needs a file.")
@click.option("--stream", "stream", metavar="NAME", default=None,
              help="Only this stream (repository) of a store (default: every stream). For a single file log, the "
                   "name its rows carry (default: its git remote as host/owner/name, else its folder's name); refused "
                   "with several logs when one is a file log.")
@click.option("--since", help="Only records on or after this date (YYYY-MM-DD, UTC).")
@click.option("--until", help="Only records on or before this date (YYYY-MM-DD, UTC).")
@click.option("--no-verify", is_flag=True,
              help="Skip verifying each stream's chain (faster; the chain_ok column is then empty).")
@click.option("--public-key", "public_keys", multiple=True,
              type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Check each record's signature: the signature_ok column is true only for a record signed by "
                   "one of these keys (empty without a key). Repeatable.")
def export_cmd(logs: tuple[Path | str, ...], fmt: str, output: Path | None, stream: str | None, since: str | None,
               until: str | None, no_verify: bool, public_keys: tuple[Path, ...]) -> None:
    """Export decision records as rows for analysis: one row per record of each LOG (a file log, or a
    store URL: every stream, or the one --stream names), with the stream, kind, time, commit,
    summary counts, sign-off binding, the decisions and waivers as nested lists, and the whole record.
    Each stream's chain is verified first: its rows say so in chain_ok, and the exit code is 1 when a
    stream fails (the file is still written, so the damage can be studied). With --public-key, each
    row's signature_ok says whether the record is signed by one of the keys (a record appended without
    the signing key chains correctly all the same).

    \b
    Examples:
      anops-policy audit export postgresql://auditor@db/anops --format parquet -o decisions.parquet
      anops-policy audit export postgresql://auditor@db/anops --stream github.com/acme/pay --since 2026-11-01
      anops-policy audit export ci-logs/*/decisions.jsonl --format parquet -o org.parquet
      anops-policy audit export postgresql://auditor@db/anops --public-key ci.pub --format parquet -o d.parquet
      duckdb -c "SELECT stream, count(*) FROM 'decisions.parquet' WHERE kind = 'eval' GROUP BY ALL"

    docs/store.md has the query for "commits evaluated without a blocking failure but never signed off"."""
    from anops_policy.audit.export import ExportFilter, rows_of, write_jsonl  # noqa: PLC0415
    from anops_policy.cli.audit import _check_date, _public_keys  # noqa: PLC0415

    keys = _public_keys(public_keys)
    keep = ExportFilter(_check_date(since, "--since"), _check_date(until, "--until"))
    if fmt == "parquet" and output is None:
        raise click.UsageError("--format parquet writes a binary file: give it with -o FILE")
    chosen = sources(logs, stream)
    broken: list[Any] = []

    def rows() -> Iterator[dict[str, Any]]:
        # one stream at a time: a store of many repositories is never held in memory whole
        for source in chosen:
            result = _verified(source, not no_verify)
            if not result.ok:
                broken.append(result)
            yield from rows_of(result.events, source.stream, None if no_verify else result.ok, keep, keys)

    if fmt == "parquet":
        from anops_policy.audit.export_parquet import write_parquet  # noqa: PLC0415

        assert output is not None
        count = write_parquet(rows(), output)
    elif output is None:
        count = write_jsonl(rows(), sys.stdout)
    else:
        count = _write_jsonl_file(rows(), output)
    for result in broken:
        click.echo(f"FAILED: {result.name}: {result.problems[0].describe()}", err=True)
    click.echo(f"exported {count} record{'s' if count != 1 else ''} of {len(chosen)} stream"
               f"{'s' if len(chosen) != 1 else ''}" + (f" to {output} ({fmt})" if output else "")
               + ("" if no_verify else f"; {len(broken)} stream(s) FAILED verification" if broken else
                  "; every chain verified"), err=True)
    sys.exit(EXIT_BLOCKING if broken else EXIT_OK)


def _write_jsonl_file(rows: Any, output: Path) -> int:
    from anops_policy.audit.export import write_jsonl  # noqa: PLC0415

    partial = output.with_name(f".{output.name}.partial")
    try:
        with partial.open("w", encoding="utf-8") as fh:
            count = write_jsonl(rows, fh)
        partial.replace(output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ConfigError(f"audit export: cannot write {output}: {exc.strerror or exc}") from None
    return count


@click.command("report")
@click.option("--log", "logs", multiple=True, type=LOG_TARGET,
              help="The decision log: " + LOG_HELP + " (default: ./.anops-policy/decisions.jsonl, or the config's "
                   "decision_log). Repeat it to put several logs on one page.")
@click.option("--html", "html_path", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Write the self-contained HTML page here.")
@click.option("--public-key", "public_keys", multiple=True,
              type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Check signatures too when verifying the chain. Repeatable.")
@click.option("--org", is_flag=True,
              help="The organisation's page even for one file log or one stream (it is chosen anyway for a store "
                   "URL without --stream, or several --log).")
@stream_option
def report_cmd(logs: tuple[Path | str, ...], html_path: Path, public_keys: tuple[Path, ...], org: bool,
               stream: str | None) -> None:
    """Write one static HTML page for auditors (no script, no network, no external assets).

    For one repository (a file log, or a store with --stream): chain status, pass-rate trend, the
    latest evaluation by checklist section, waivers, sign-offs and the evaluations.

    For a whole store (a URL without --stream) or several logs: every repository on one page — each
    chain, its latest evaluation with the applicable items satisfied and a trend line, a matrix of
    checklist items by repository, waivers expired or expiring within 30 days, whether each latest
    commit is signed off, and the latest sign-offs. A broken chain is shown on the page and named in
    the closing line (exit 0: the page is the evidence; `audit verify` is the gate).

    \b
    Examples:
      anops-policy audit report --html audit.html
      anops-policy audit report --log postgresql://auditor@db/anops --html org.html
      anops-policy audit report --log a/.anops-policy/decisions.jsonl --log b/.anops-policy/decisions.jsonl \\
          --html org.html
    """
    from anops_policy.audit import sinks  # noqa: PLC0415
    from anops_policy.audit.verify import VerifyOptions  # noqa: PLC0415
    from anops_policy.cli.audit import _public_keys  # noqa: PLC0415
    from anops_policy.outputs.audit_report import render_html  # noqa: PLC0415

    keys = _public_keys(public_keys)
    whole_store = any(is_store_url(t) for t in logs or [default_log()]) and not stream
    if org or whole_store or len(logs) > 1:
        _org_report(logs, stream, keys, html_path)
        return
    result = sinks.verify(open_target(logs[0] if logs else None, stream), VerifyOptions(public_keys=keys))
    write_output(html_path, render_html(result.events, result.to_json(), log_name=result.name))
    state = "intact" if result.ok else f"BROKEN ({result.problems[0].describe()})"
    click.echo(f"wrote {html_path}: {len(result.events)} records, chain {state}")


def _org_report(logs: tuple[Path | str, ...], stream: str | None, keys: tuple[Any, ...], html_path: Path) -> None:
    from anops_policy.outputs.org_report import StreamAudit, render_org_html  # noqa: PLC0415
    from anops_policy.store.url import redacted  # noqa: PLC0415

    chosen = sources(logs, stream)
    audits = []
    for source in chosen:
        result = _verified(source, True, keys)
        audits.append(StreamAudit(source.stream, result.events, result.to_json()))
    names = sorted({redacted(str(t)) if is_store_url(t) else str(t) for t in logs or [default_log()]})
    write_output(html_path, render_org_html(audits, store_name=", ".join(names)))
    broken = [a for a in audits if not a.verification.get("ok")]
    click.echo(f"wrote {html_path}: {len(audits)} streams, {sum(len(a.events) for a in audits)} records, "
               + (f"{len(broken)} chain(s) BROKEN ({', '.join(a.stream for a in broken[:5])})" if broken
                  else "every chain intact"))


def register(group: click.Group) -> None:
    group.add_command(export_cmd)
    group.add_command(report_cmd)
