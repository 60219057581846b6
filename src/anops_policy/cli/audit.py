"""``anops-policy audit …`` and ``anops-policy signoff``: the auditors' commands (thin: parse, call one
function of decision_log / log_verify / signoff / replay / audit_report, print, exit)."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import click

from anops_policy.cli.targets import (
    LOG_HELP,
    LOG_TARGET,
    decision_log_of,
    default_log,
    open_target,
    store_streams,
    stream_option,
)
from anops_policy.errors import EXIT_BLOCKING, EXIT_OK, ConfigError
from anops_policy.policy.model import Outcome

OUTCOMES = [o.value for o in Outcome]


def _public_keys(paths: tuple[Path, ...]) -> tuple[Any, ...]:
    from anops_policy.keys import load_public_key  # noqa: PLC0415

    keys = []
    for path in paths:
        try:
            keys.append(load_public_key(path.read_bytes(), str(path)))
        except OSError as exc:
            raise ConfigError(f"--public-key {path}: cannot read: {exc.strerror or exc}") from None
    return tuple(keys)


def _signer(path: Path | None) -> Any:
    from anops_policy.keys import signer_from  # noqa: PLC0415

    return signer_from(path)


def logged_line(report: Any) -> str:
    """What ``eval`` prints on stderr after recording: the new head, so CI logs keep it."""
    logged: Mapping[str, Any] = report.logged
    event = logged["event"]
    lines = [f"decision log: {logged['log']} · seq {event['seq']} · decision {event['decision_id']} · "
             f"head {event['hash']}" + (" (signed)" if event.get("signature") else "")]
    pending = set(event.get("signoff_policies") or [])
    decisions = event.get("decisions", [])
    blocking = any(d.get("blocking") and d.get("policy") not in pending for d in decisions)
    # the hint only when a sign-off would be accepted (signoff refuses blocking failures)
    if not blocking and any(d.get("policy") in pending and d.get("outcome") == "fail" for d in decisions):
        where = "" if logged.get("default_path") else f" --decision-log {logged['log']}"
        lines.append(f"sign off with: anops-policy signoff {logged['root']}{where} --decision {event['decision_id']} "
                     "--as <your name>")
    return "\n".join(lines)


log_option = click.option("--log", "log", type=LOG_TARGET, default=None,
                          help="The decision log: " + LOG_HELP + " (default: ./.anops-policy/decisions.jsonl, or "
                               "the config's decision_log).")
format_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)


@click.group("audit")
def audit() -> None:
    """Read and verify the decision log: verify, list, show, replay, report, repair.

    \b
    Examples:
      anops-policy audit verify                            the chain, the head file and stored inputs
      anops-policy audit verify --expect-head sha256:…     against a head recorded in CI output
      anops-policy audit verify --require-signoff $(git rev-parse HEAD) --require-signed --public-key ci.pub
      anops-policy audit list --policy no-todos-in-release-files --outcome fail --since 2026-11-01
      anops-policy audit show latest
      anops-policy audit replay d-5d2c1a9e0b7f4e33 --pack builtin:production-readiness
      anops-policy audit report --html audit.html

    \b
    A PostgreSQL store (every verb takes its URL where it takes a log):
      anops-policy audit store init postgresql://owner@db/anops --writer-role anops_writer
      anops-policy audit streams postgresql://auditor@db/anops       every repository, its head and status
      anops-policy audit verify postgresql://auditor@db/anops        every stream (--stream NAME for one)
      anops-policy audit list --log postgresql://auditor@db/anops --outcome fail --since 2026-11-01
      anops-policy audit migrate .anops-policy/decisions.jsonl postgresql://ci@db/anops --stream github.com/acme/pay
    """


@audit.command("verify")
@click.argument("log", required=False, type=LOG_TARGET)
@stream_option
@click.option("--expect-head", metavar="HASH",
              help="A head hash recorded elsewhere (CI output): it must be in the chain.")
@click.option("--public-key", "public_keys", multiple=True,
              type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Ed25519 public key (PEM): check every signature. Repeatable (CI's key, each engineer's key).")
@click.option("--require-signed", is_flag=True,
              help="Every record (and the head) must be signed (needs --public-key).")
@click.option("--require-signoff", metavar="COMMIT",
              help="Fail unless a valid sign-off for COMMIT exists (the release gate).")
@click.option("--no-objects", is_flag=True,
              help="Do not check the stored inputs (facts, packs, config) beside the log.")
@format_option
def verify_cmd(log: Path | str | None, stream: str | None, expect_head: str | None, public_keys: tuple[Path, ...],
               require_signed: bool, require_signoff: str | None, no_objects: bool, fmt: str) -> None:
    """Verify the decision log LOG: exit 0 when intact; 1 naming the first broken record and why
    (hash mismatch, missing seq, reordered, bad signature, torn line, truncated).

    The chain and the head file catch edited, deleted, reordered and removed records. Someone who
    rewrites the whole log and its head without the signing key is caught only with --public-key or
    with --expect-head (a head recorded elsewhere: CI output, a git note); without either the log is
    tamper-evident against edits, not against a full rewrite.

    LOG may be a PostgreSQL URL: without --stream every stream (repository) of the store is verified
    and a broken one is named by its row id; the exit code is 1 when any stream fails."""
    from anops_policy.audit import sinks  # noqa: PLC0415
    from anops_policy.audit.verify import VerifyOptions  # noqa: PLC0415

    if require_signed and not public_keys:
        raise click.UsageError("--require-signed needs --public-key")
    options = VerifyOptions(public_keys=_public_keys(public_keys), require_signed=require_signed,
                            expect_head=expect_head, check_objects=not no_objects, require_signoff=require_signoff)
    every = store_streams(log, stream)
    if every is not None and (expect_head or require_signoff):
        raise click.UsageError("--expect-head and --require-signoff name one repository's chain: add --stream")
    results = [sinks.verify(one, options) for one in every] if every is not None else \
        [sinks.verify(open_target(log, stream), options)]
    if every is not None and not results:
        raise ConfigError("the decision store has no streams yet: nothing has been recorded in it")
    if fmt == "json":
        data: Any = results[0].to_json() if every is None else [r.to_json() for r in results]
        click.echo(json.dumps(data, indent=2))
    else:
        for result in results:
            _print_verify(result, bool(public_keys))
        if every is not None:
            bad = sum(1 for r in results if not r.ok)
            click.echo(f"{len(results)} streams, {sum(len(r.events) for r in results)} records: "
                       + (f"{bad} FAILED" if bad else "all intact"))
    sys.exit(EXIT_OK if all(r.ok for r in results) else EXIT_BLOCKING)


def _print_verify(result: Any, keys_given: bool) -> None:
    last = result.last
    if result.ok:
        signed = f", {result.signed} signed" + (" (signatures checked)" if keys_given else
                                                " (pass --public-key to check signatures)") if result.signed else ""
        click.echo(f"ok: {result.name}: {len(result.events)} records{signed}; head seq {last['seq'] if last else 0} "
                   f"{last['hash'] if last else '(empty)'}")
    else:
        click.echo(f"FAILED: {result.name}: {result.problems[0].describe()}")
        for problem in result.problems[1:10]:
            click.echo(f"  also: {problem.describe()}")
        if len(result.problems) > 10:
            click.echo(f"  … and {len(result.problems) - 10} more")
    for note in result.notes:
        click.echo(f"note: {note}")


def _decision_filter(policy: str | None, outcome: str | None, subject: str | None) -> Any:
    def keep(d: Mapping[str, Any]) -> bool:
        return ((policy is None or d.get("policy") == policy) and (outcome is None or d.get("outcome") == outcome)
                and (subject is None or subject in str(d.get("subject") or "")))
    return keep


def _in_range(event: Mapping[str, Any], since: str | None, until: str | None) -> bool:
    day = str(event.get("time", ""))[:10]
    return (since is None or day >= since) and (until is None or day <= until)


def _check_date(value: str | None, name: str) -> str | None:
    if value is not None:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise click.BadParameter(f"'{value}': expected YYYY-MM-DD", param_hint=name) from None
    return value


def _summary(event: Mapping[str, Any]) -> str:
    kind = event.get("kind")
    if kind == "eval":
        return str((event.get("summary") or {}).get("line", ""))
    if kind == "signoff":
        override = " (override)" if event.get("override") else ""
        return f"signed off {event.get('decision_id')} by {event.get('by')}{override}"
    return "; ".join(str(a) for a in event.get("actions", [])) or str(kind)


@audit.command("list")
@log_option
@click.option("--policy", help="Only evaluations with a decision of this policy.")
@click.option("--outcome", type=click.Choice(OUTCOMES), help="Only evaluations with a decision of this outcome.")
@click.option("--subject", help="Only evaluations with a decision whose subject contains this text.")
@click.option("--commit", help="Only records of this commit (a prefix of at least 7 characters).")
@click.option("--since", help="Only records on or after this date (YYYY-MM-DD, UTC).")
@click.option("--until", help="Only records on or before this date (YYYY-MM-DD, UTC).")
@click.option("--actor", help="Only records whose actor (or sign-off name) contains this text.")
@click.option("--kind", type=click.Choice(["eval", "signoff", "repair"]), help="Only records of this kind.")
@stream_option
@format_option
def list_cmd(log: Path | str | None, policy: str | None, outcome: str | None, subject: str | None, commit: str | None,
             since: str | None, until: str | None, actor: str | None, kind: str | None, stream: str | None,
             fmt: str) -> None:
    """List the log's records (newest last), filtered. With a store's URL and no --stream, the records
    of every stream (repository), each row starting with its stream."""
    from anops_policy.audit import sinks  # noqa: PLC0415
    from anops_policy.audit.decision_log import short  # noqa: PLC0415
    from anops_policy.audit.verify import commit_matches  # noqa: PLC0415

    since, until = _check_date(since, "--since"), _check_date(until, "--until")
    every = store_streams(log, stream)
    logs = every if every is not None else [sinks.require(open_target(log, stream))]
    keep = _decision_filter(policy, outcome, subject)
    filtering = policy is not None or outcome is not None or subject is not None
    rows: list[dict[str, Any]] = []
    for event, stream_name in ((e, getattr(one, "stream", None)) for one in logs for e in sinks.events_of(one)):
        repo = event.get("repo") or {}
        event_commit = event.get("commit") if event.get("kind") == "signoff" else repo.get("commit")
        who = f"{(event.get('actor') or {}).get('name', '')} {event.get('by', '')}"
        if (kind and event.get("kind") != kind) or not _in_range(event, since, until) \
                or (commit and not commit_matches(event_commit, commit)) or (actor and actor not in who):
            continue
        matching = [d for d in event.get("decisions", []) if keep(d)]
        if filtering and not matching:
            continue
        origin = {"stream": stream_name} if every is not None else {}
        rows.append({**origin, "seq": event.get("seq"), "time": event.get("time"), "kind": event.get("kind"),
                     "id": event.get("decision_id") if event.get("kind") == "eval" else event.get("signoff_id"),
                     "actor": (event.get("actor") or {}).get("name"), "commit": event_commit,
                     "summary": _summary(event), "hash": event.get("hash"),
                     **({"decisions": matching} if filtering else {})})
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        where = f"{row['stream']}  " if "stream" in row else ""
        click.echo(f"{where}{row['seq']:>5}  {str(row['time'])[:19]}  {row['kind']:<7}  {row['id'] or '-':<18}  "
                   f"{str(row['actor'] or '-')[:24]:<24}  {short(row['commit'], 10) if row['commit'] else '-':<10}  "
                   f"{row['summary']}")
        for d in row.get("decisions", [])[:20]:
            subject = f" [{d['subject']}]" if d.get("subject") else ""
            click.echo(f"         {d.get('outcome'):<14} {d.get('policy')}{subject}")
    click.echo(f"{len(rows)} record{'s' if len(rows) != 1 else ''}")


def _find_record(events: list[dict[str, Any]], ident: str) -> dict[str, Any]:
    from anops_policy.audit.signoff import find_eval  # noqa: PLC0415

    if ident.isdigit():
        for event in events:
            if event.get("seq") == int(ident):
                return event
        raise ConfigError(f"no record with seq {ident}")
    for event in events:
        if ident in (event.get("signoff_id"),):
            return event
    return find_eval(events, ident)


@audit.command("show")
@click.argument("ident", metavar="ID")
@log_option
@click.option("--policy", help="Only decisions of this policy.")
@click.option("--outcome", type=click.Choice(OUTCOMES), help="Only decisions with this outcome.")
@click.option("--subject", help="Only decisions whose subject contains this text.")
@stream_option
@format_option
def show_cmd(ident: str, log: Path | str | None, policy: str | None, outcome: str | None, subject: str | None,
             stream: str | None, fmt: str) -> None:
    """Show one record: ID is a decision id (or a unique prefix, or `latest`), a sign-off id, or a seq.
    In a store, a decision id finds its stream; `latest` and a seq need --stream."""
    from anops_policy.audit import sinks  # noqa: PLC0415
    from anops_policy.audit.decision_log import short  # noqa: PLC0415

    event = dict(_find_record(sinks.events_of(sinks.require(decision_log_of(log, stream, ident))), ident))
    keep = _decision_filter(policy, outcome, subject)
    if "decisions" in event:
        event["decisions"] = [d for d in event["decisions"] if keep(d)]
    if fmt == "json":
        click.echo(json.dumps(event, indent=2, ensure_ascii=False))
        return
    click.echo(f"seq {event.get('seq')} · {event.get('kind')} · {event.get('time')} · "
               f"{(event.get('actor') or {}).get('name')} ({(event.get('actor') or {}).get('source')})")
    click.echo(f"hash {event.get('hash')}  prev {event.get('prev_hash')}"
               + ("  signed " + str(event["signature"].get("key_id")) if event.get("signature") else ""))
    if event.get("kind") == "eval":
        repo = event.get("repo") or {}
        click.echo(f"decision {event.get('decision_id')} · commit {repo.get('commit')} · now {event.get('now')} · "
                   f"facts {event.get('facts_digest')}")
        click.echo("packs: " + ", ".join(f"{p['id']} {p['version']} ({short(p['digest'])})"
                                         for p in event.get("packs", [])))
        config = event.get("config") or {}
        click.echo(f"config: {config.get('file')} ({short(config.get('digest'))}, "
                   f"{config.get('source', 'working-tree')}"
                   + (f" {config.get('ref')}" if config.get("ref") else "") + ")")
        for change in config.get("changes") or []:
            click.echo(f"  working tree: {change.get('text')}")
        click.echo(str((event.get("summary") or {}).get("line", "")))
        for d in event.get("decisions", []):
            subject = f" [{d['subject']}]" if d.get("subject") else ""
            click.echo(f"  {d.get('outcome'):<14} {d.get('policy')}{subject} ({d.get('enforcement')}"
                       f"{', blocking' if d.get('blocking') else ''})")
            if d.get("outcome") not in ("pass", "not_applicable"):
                click.echo(f"      {d.get('message')}")
                if d.get("explanation"):
                    click.echo(f"      why: {d['explanation']}")
                if d.get("waiver"):
                    click.echo(f"      waiver {d['waiver'].get('status')}: {d['waiver'].get('note')}")
        for w in event.get("waivers", []):
            click.echo(f"waiver {w.get('status')}: {w.get('policy')} [{w.get('subject') or w.get('fingerprint')}] "
                       f"owner {w.get('owner')} ticket {w.get('ticket')} expires {w.get('expires')}")
    elif event.get("kind") == "signoff":
        click.echo(f"signed off decision {event.get('decision_id')} (seq {event.get('decision_seq')}, hash "
                   f"{event.get('decision_hash')}) by {event.get('by')} for commit {event.get('commit')}")
        if event.get("override"):
            click.echo(f"override: {event['override'].get('reason')} "
                       f"({len(event['override'].get('blocking', []))} blocking failures accepted)")
    else:
        click.echo(_summary(event))


@audit.command("replay")
@click.argument("decision")
@log_option
@click.option("--pack", "packs", multiple=True, metavar="REF",
              help="Evaluate with this pack (a folder or builtin:NAME) instead of the stored one. Repeatable.")
@stream_option
@format_option
def replay_cmd(decision: str, log: Path | str | None, packs: tuple[str, ...], stream: str | None, fmt: str) -> None:
    """Re-evaluate a logged decision from its stored facts, pack, config and `now`, and show what
    changed. With the stored pack any difference exits 1 (the replay must be exact); with --pack the
    differences are what today's pack decides differently (exit 0)."""
    from anops_policy.audit.replay import replay  # noqa: PLC0415

    result = replay(decision_log_of(log, stream, decision), decision, packs)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False, default=str))
    else:
        which = ", ".join(f"{p['id']} {p['version']}" for p in result.packs)
        origin = "the stored pack" if result.stored_pack else "the given pack"
        click.echo(f"replayed decision {result.event.get('decision_id')} (seq {result.event.get('seq')}, now "
                   f"{result.event.get('now')}) with {origin}: {which}")
        click.echo(f"  logged:   {(result.event.get('summary') or {}).get('line')}")
        click.echo(f"  replayed: {result.report.summary_line()}")
        for problem in result.problems:
            click.echo(f"  ! {problem}")
        for c in result.changes:
            subject = f" [{c['subject']}]" if c.get("subject") else ""
            click.echo(f"  ~ {c['policy']}{subject}: {c['change']}: {_brief(c['before'])} → {_brief(c['after'])}")
        if result.exact:
            click.echo(f"  no change: {len(result.report.decisions)} decisions reproduced exactly")
    sys.exit(EXIT_BLOCKING if result.stored_pack and not result.exact else EXIT_OK)


def _brief(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 100 else text[:99] + "…"


@audit.command("repair")
@click.argument("log", required=False, type=LOG_TARGET)
@click.option("--signing-key", "signing_key", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Sign the rewritten head and the repair record.")
def repair_cmd(log: Path | str | None, signing_key: Path | None) -> None:
    """Repair what a crash leaves: move a torn last line aside (kept as LOG.torn-TIME, never dropped)
    and rewrite a missing or lagging head; the repair itself is recorded. Refuses any other damage."""
    from anops_policy.audit.verify import repair_log  # noqa: PLC0415

    path = log or default_log()
    if isinstance(path, str):
        raise ConfigError("a PostgreSQL store needs no repair: a record and its head commit in one transaction, so "
                          "a crash leaves neither torn records nor a lagging head; any damage `audit verify` reports "
                          "is evidence to keep")
    if not path.is_file():
        raise ConfigError(f"decision log {path}: no such file")
    for line in repair_log(path, _signer(signing_key)):
        click.echo(line)


@audit.command("keygen")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Private key file to write (PEM); the public key goes to OUT.pub.")
def keygen_cmd(out: Path) -> None:
    """Create an Ed25519 key pair for signing the log (--signing-key) and verifying it (--public-key)."""
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: PLC0415

    if out.exists():
        raise ConfigError(f"{out} exists; refusing to overwrite a key")
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.touch(mode=0o600)
    out.write_bytes(private)
    out.with_name(out.name + ".pub").write_bytes(public)
    click.echo(f"wrote {out} (private, keep it secret) and {out}.pub (public)")


@click.command("signoff")
@click.argument("path", required=False, default=".", type=click.Path(path_type=Path, file_okay=False))
@click.option("--decision", "decision", required=True, metavar="ID",
              help="The eval record to sign off: its decision id (printed by eval), a unique prefix, or `latest`.")
@click.option("--as", "by", required=True, metavar="NAME", help="Who signs off (name or e-mail).")
@click.option("--decision-log", "decision_log", type=LOG_TARGET, default=None,
              help="The decision log: " + LOG_HELP + " (default: PATH/.anops-policy/decisions.jsonl or the config's "
                   "decision_log).")
@stream_option
@click.option("--signing-key", "signing_key", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              default=None, help="Ed25519 private key (PEM) to sign the sign-off (default: $ANOPS_POLICY_SIGNING_KEY).")
@click.option("--override", is_flag=True, help="Sign off despite blocking failures (needs --reason; recorded).")
@click.option("--reason", help="Why the blocking failures are accepted (with --override).")
def signoff_cmd(path: Path, decision: str, by: str, decision_log: Path | str | None, stream: str | None,
                signing_key: Path | None, override: bool, reason: str | None) -> None:
    """Sign off a logged evaluation of PATH (default .): appends a sign-off bound to that evaluation's
    hash (its commit, facts and pack). Refused (exit 1) when it had blocking failures, unless --override.

    \b
    Examples:
      anops-policy signoff --decision latest --as jane@example.com
      anops-policy signoff examples/anops --decision d-5d2c1a9e0b7f4e33 --as jane --signing-key jane.pem
      anops-policy signoff --decision latest --as jane --override --reason "hotfix, ANOPS-150 follows"
    """
    from anops_policy.audit.signoff import sign_off  # noqa: PLC0415

    event = sign_off(open_target(decision_log, stream, path), decision, by, signer=_signer(signing_key),
                     override=override, reason=reason)
    click.echo(f"signed off decision {event['decision_id']} (commit {event.get('commit') or 'none'}) as {event['by']}"
               f"{' with an override' if override else ''}: seq {event['seq']} · head {event['hash']}"
               + (" (signed)" if event.get("signature") else ""))


def _register_store_commands() -> None:
    from anops_policy.cli.audit_org import register as register_org  # noqa: PLC0415
    from anops_policy.cli.audit_store import register  # noqa: PLC0415

    register(audit)
    register_org(audit)


_register_store_commands()
