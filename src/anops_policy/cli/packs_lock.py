"""``pack lock`` (pin every pack source of a repository by digest; ``--check`` re-resolves the tags) and
``pack diff`` (what changes between two pack versions)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from anops_policy.cli.options import config_option, pack_key_option, pack_option, text_or_json_option
from anops_policy.errors import EXIT_BLOCKING


def _sources(path: Path, config_file: Path | None, pack_refs: tuple[str, ...]) -> tuple[Any, list[Any]]:
    from anops_policy.packs.sources import parse_source  # noqa: PLC0415
    from anops_policy.pipeline.run import resolve_config  # noqa: PLC0415

    config = resolve_config(path, config_file)
    base = Path(config.file).parent if config.file else path
    refs = [(r, None) for r in pack_refs] if pack_refs else [(r, base) for r in config.packs]
    where = "--pack" if pack_refs else f"config {config.where('packs')}"
    return config, [parse_source(ref, b, where) for ref, b in refs]


@click.command("lock")
@click.argument("path", required=False, default=".", type=click.Path(path_type=Path, file_okay=False))
@config_option
@pack_option
@pack_key_option
@click.option("--check", is_flag=True,
              help="Write nothing: re-resolve every source and exit 1 naming each one whose tag or ref now "
              "points to other content than the lock pins (a re-pushed tag), or that has no entry.")
def lock_cmd(path: Path, config_file: Path | None, pack_refs: tuple[str, ...], pack_keys: tuple[Path, ...],
             check: bool) -> None:
    """Pin the packs of PATH's anops-policy.yaml (or --pack REFs) in PATH/anops-policy.lock: each
    archive or remote source → its pack digest, version, and the OCI manifest digest or git commit
    it resolved to. `eval` then fetches exactly that content (from the cache when present, so it
    works offline) and `eval --locked` refuses anything else. Signatures are checked against the
    config's trust.pack_keys and --pack-key; without keys an unsigned pack is pinned as is (review it).

    \b
    Examples:
      anops-policy pack lock                      write ./anops-policy.lock
      anops-policy pack lock --check              exit 1 when a tag moved since it was locked
      anops-policy pack lock --pack oci://registry.example/platform/my-pack:1.2.0
    """
    from anops_policy.packs.lock import LockEntry, read_lock, write_lock  # noqa: PLC0415
    from anops_policy.packs.opening import fetch_current, materialize  # noqa: PLC0415
    from anops_policy.packs.resolve import PackOptions, lock_path, trust_for  # noqa: PLC0415

    config, sources = _sources(path, config_file, pack_refs)
    trust = trust_for(config, path, PackOptions(pack_keys))
    lockable = [s for s in sources if s.lockable]
    target = lock_path(config, path)
    if check:
        _check(lockable, read_lock(target), target)
        return
    entries = {}
    for source in lockable:
        fetched = fetch_current(source)
        opened = materialize(fetched.archive, source, trust.keys, pinned=True, where_pinned=fetched.pinned)
        m = opened.archive.manifest
        entries[source.text] = LockEntry(source.text, m["id"], m["version"], m["digest"], fetched.pinned,
                                         opened.signed_by)
        signed = f"signed by {', '.join(opened.signed_by)}" if opened.signed_by else (
            "UNSIGNED" if opened.archive.signature is None else "signature not checked (no trust keys)")
        click.echo(f"locked {source.text} → {m['id']} {m['version']} {m['digest']}"
                   + (f" (pinned {fetched.pinned})" if fetched.pinned else "") + f"; {signed}")
    write_lock(target, entries)
    skipped = len(sources) - len(lockable)
    click.echo(f"wrote {target}: {len(entries)} pack(s) pinned"
               + (f"; {skipped} builtin or folder pack(s) need no pin" if skipped else ""))


def _check(sources: list[Any], locked: dict[str, Any], target: Path) -> None:
    from anops_policy.packs import oci  # noqa: PLC0415
    from anops_policy.packs.opening import fetch_current  # noqa: PLC0415
    from anops_policy.packs.sources import OCI  # noqa: PLC0415

    problems = []
    for source in sources:
        entry = locked.get(source.text)
        if entry is None:
            problems.append(f"{source.text}: no entry in {target} (run `anops-policy pack lock`)")
            continue
        if source.kind == OCI and oci.resolve(source) == entry.pinned:
            click.echo(f"ok {source.text} → {entry.version} {entry.digest}")
            continue
        fetched = fetch_current(source)
        m = fetched.archive.manifest
        if fetched.archive.digest != entry.digest:
            problems.append(f"{source.text}: now resolves to {m.get('id')} {m.get('version')} {m.get('digest')}"
                            + (f" (at {fetched.pinned})" if fetched.pinned else "")
                            + f", but {target.name} pins {entry.version} {entry.digest}: the tag was re-pushed "
                              "or moved; review the change (`anops-policy pack diff`) and re-lock")
        else:
            click.echo(f"ok {source.text} → {entry.version} {entry.digest} (republished with the same content)")
    for problem in problems:
        click.echo(f"CHANGED {problem}", err=True)
    if problems:
        sys.exit(EXIT_BLOCKING)
    click.echo(f"{target} is current: {len(sources)} source(s) resolve to their locked digests")


@click.command("diff")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@text_or_json_option
def diff_cmd(old: str, new: str, fmt: str) -> None:
    """List what changes from pack OLD to pack NEW (any two sources): policies added and removed,
    and for each changed policy its rule, parameters, enforcement and phases, and what else decides
    an outcome — so an upgrade is reviewed like code. Signatures are not required here.

    \b
    Examples:
      anops-policy pack diff builtin:production-readiness ./policies/production-readiness
      anops-policy pack diff oci://reg.example/p/my-pack:1.2.0 oci://reg.example/p/my-pack:1.3.0
    """
    from anops_policy.packs.diff import diff_packs, render_text  # noqa: PLC0415

    result = diff_packs(_open_for_review(old), _open_for_review(new))
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2, sort_keys=True))
    else:
        click.echo(render_text(result), nl=False)


def _open_for_review(ref: str) -> Any:
    from anops_policy.packs.opening import (  # noqa: PLC0415
        Trust,
        fetch_current,
        materialize,
    )
    from anops_policy.packs.resolve import open_one  # noqa: PLC0415
    from anops_policy.packs.sources import parse_source  # noqa: PLC0415

    source = parse_source(ref)
    if not source.lockable:
        return open_one(source, Trust())
    fetched = fetch_current(source)
    return materialize(fetched.archive, source, (), pinned=True, require_signature=False, engine=False).pack
