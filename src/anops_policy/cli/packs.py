"""``anops-policy pack …``: build, inspect, sign, verify, push, pull, lock and diff policy packs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from anops_policy.cli.options import pack_key_option, text_or_json_option
from anops_policy.errors import EXIT_BLOCKING, ConfigError


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (a reader never sees half an archive), creating its folder."""
    import os  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        Path(tmp).replace(path)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None


signing_key_option = click.option(
    "--signing-key", "signing_key", required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Ed25519 private key (PEM), as `anops-policy audit keygen --out KEY` writes it.",
)


@click.group("pack")
def pack_group() -> None:
    """Policy packs as versioned, signed artifacts.

    \b
    A platform team builds a pack folder into an archive, signs it and publishes it; repositories
    name it in anops-policy.yaml (packs:) and pin it by digest in anops-policy.lock.
    \b
    Sources: builtin:NAME, a folder, an archive file, oci://HOST/REPO:TAG[@sha256:…],
    git+URL#REF:PATH (PATH: a pack folder or archive in the repository), https://…/pack.tar.gz
    \b
    Examples:
      anops-policy pack build policies/my-pack -o my-pack-1.2.0.tar.gz
      anops-policy pack sign my-pack-1.2.0.tar.gz --signing-key platform.pem
      anops-policy pack push my-pack-1.2.0.tar.gz oci://registry.example/platform/my-pack:1.2.0
      anops-policy pack lock                     pin every pack of ./anops-policy.yaml
      anops-policy eval --locked                 evaluate with exactly the pinned packs
      anops-policy pack diff builtin:production-readiness ./my-fork
    """


@pack_group.command("build")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("-o", "--output", "output", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Archive to write (.tar.gz).")
def build_cmd(folder: Path, output: Path) -> None:
    """Build the pack in FOLDER into a reproducible archive: the same files give the same bytes.

    Refused (exit 2) when the pack fails `anops-policy check` or `anops-policy test`, or its
    pack.yaml lacks a semantic version. The manifest lists the pack id, version, the engine range
    (pack.yaml `engine:`), every file's sha256, the policies and their enforcement, pattern rules,
    inputs and the changelog (pack.yaml `changelog:`).
    """
    from anops_policy.packs.build import folder_archive  # noqa: PLC0415
    from anops_policy.packs.manifest import sha256_of  # noqa: PLC0415

    pack, archive = folder_archive(folder, str(folder), run_tests=True)
    write_bytes(output, archive.raw)
    click.echo(f"built {output}: pack {pack.id} {pack.version}, {len(pack.policies)} policies, "
               f"{len(archive.files)} files")
    click.echo(f"  pack digest     {archive.digest}")
    click.echo(f"  archive sha256  {sha256_of(archive.raw)}")


def _fetch(ref: str) -> Any:
    """The archive a reference names now (a file, or fetched), integrity-checked against its manifest."""
    from anops_policy.packs.manifest import check_files, check_shape  # noqa: PLC0415
    from anops_policy.packs.opening import fetch_current  # noqa: PLC0415
    from anops_policy.packs.sources import FOLDER, parse_source  # noqa: PLC0415

    source = parse_source(ref)
    if source.kind == FOLDER:
        raise ConfigError(f"{ref}: a folder; build it first (anops-policy pack build {ref} -o FILE)")
    fetched = fetch_current(source)
    check_shape(fetched.archive)
    check_files(fetched.archive)
    return source, fetched


@pack_group.command("inspect")
@click.argument("ref", metavar="ARCHIVE|REF")
@text_or_json_option
def inspect_cmd(ref: str, fmt: str) -> None:
    """Print a built pack's manifest: id, version, engine range, digest, files, policies and their
    enforcement, pattern rules, inputs, changelog and who signed it (unverified: use `pack verify`).

    \b
    Examples:
      anops-policy pack inspect my-pack-1.2.0.tar.gz
      anops-policy pack inspect oci://registry.example/platform/my-pack:1.2.0 --format json
    """
    from anops_policy.packs.signature import signers  # noqa: PLC0415

    _source, fetched = _fetch(ref)
    manifest, signature = fetched.archive.manifest, fetched.archive.signature
    if fmt == "json":
        click.echo(json.dumps({"manifest": manifest, "signed_by": signers(signature), "pinned": fetched.pinned},
                              indent=2, sort_keys=True))
        return
    lines = [f"pack {manifest['id']} {manifest['version']} — {manifest.get('title', '')}",
             f"  digest   {manifest['digest']}", f"  engine   {manifest.get('engine') or 'any'}"]
    if fetched.pinned:
        lines.append(f"  pinned   {fetched.pinned}")
    claimed = ", ".join(signers(signature))
    lines.append(f"  signed   {claimed + ' (not verified here: pack verify)' if claimed else 'no (unsigned)'}")
    lines.append(f"  files    {len(manifest['files'])}")
    lines += [f"    {digest[7:19]}  {name}" for name, digest in sorted(manifest["files"].items())]
    lines.append(f"  policies {len(manifest.get('policies', []))}")
    for p in manifest.get("policies", []):
        enforcement = p.get("enforcement")
        if isinstance(enforcement, list):
            enforcement = " → ".join(f"{e.get('level')}{' until ' + e['until'] if e.get('until') else ''}"
                                     for e in enforcement)
        lines.append(f"    {p.get('id')}  ({enforcement}, {p.get('severity')}, item {p.get('checklist')})")
    lines.append(f"  patterns {', '.join(manifest.get('patterns', [])) or '-'}")
    inputs = manifest.get("inputs", {})
    lines.append(f"  inputs   {', '.join(f'{k} ({v})' for k, v in inputs.items()) or '-'}")
    for entry in manifest.get("changelog", [])[:20]:
        date = f" ({entry['date']})" if entry.get("date") else ""
        lines.append(f"  changelog {entry.get('version')}{date}: " + "; ".join(entry.get("changes", [])))
    click.echo("\n".join(lines))


@pack_group.command("sign")
@click.argument("archive", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@signing_key_option
def sign_cmd(archive: Path, signing_key: Path) -> None:
    """Sign a built ARCHIVE in place (Ed25519 over the pack digest; the signature becomes a member of
    the archive and travels with it, also through `pack push`). Signing again with another key adds
    a signature; the pack digest does not change.

    \b
    Example:
      anops-policy audit keygen --out platform.pem     (once: platform.pem and platform.pem.pub)
      anops-policy pack sign my-pack-1.2.0.tar.gz --signing-key platform.pem
    """
    from anops_policy.keys import signer_from  # noqa: PLC0415
    from anops_policy.packs.archive import write_archive  # noqa: PLC0415
    from anops_policy.packs.opening import materialize  # noqa: PLC0415
    from anops_policy.packs.signature import sign  # noqa: PLC0415

    source, fetched = _fetch(str(archive))
    materialize(fetched.archive, source, (), pinned=True, require_signature=False, engine=False)  # it loads
    signer = signer_from(signing_key)
    assert signer is not None
    signature = sign(fetched.archive.manifest, signer, fetched.archive.signature)
    write_bytes(archive, write_archive(fetched.archive.manifest, fetched.archive.files, signature))
    click.echo(f"signed {archive} ({fetched.archive.manifest['id']} {fetched.archive.manifest['version']}, "
               f"{fetched.archive.digest}) with {signer.key_id}")


@pack_group.command("verify")
@click.argument("ref", metavar="ARCHIVE|REF")
@click.option("--public-key", "public_keys", multiple=True, required=True,
              type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Ed25519 public key (PEM) a valid signature must come from. Repeatable.")
def verify_cmd(ref: str, public_keys: tuple[Path, ...]) -> None:
    """Verify a pack: every file matches the manifest, the manifest matches the files, and a
    signature by one of the keys covers its digest. Exit 0 when it verifies, 1 when it does not
    (naming what differs), 2 for unusable input, 3 when the source cannot be reached.

    \b
    Examples:
      anops-policy pack verify my-pack-1.2.0.tar.gz --public-key platform.pem.pub
      anops-policy pack verify oci://registry.example/platform/my-pack:1.2.0 --public-key platform.pem.pub
    """
    from anops_policy.packs.archive import ArchiveError  # noqa: PLC0415
    from anops_policy.packs.opening import SignatureError, materialize  # noqa: PLC0415
    from anops_policy.packs.resolve import read_key  # noqa: PLC0415

    keys = tuple(read_key(p, "--public-key") for p in public_keys)
    try:
        source, fetched = _fetch(ref)
        opened = materialize(fetched.archive, source, keys, pinned=True, require_signature=True, engine=False)
    except (ArchiveError, SignatureError) as exc:
        click.echo(f"FAILED: {exc}", err=True)
        sys.exit(EXIT_BLOCKING)
    m = opened.archive.manifest
    click.echo(f"OK: {ref}: pack {m['id']} {m['version']} ({m['digest']}), {len(m['files'])} files intact, "
               f"signed by {', '.join(opened.signed_by)}")


@pack_group.command("push")
@click.argument("archive", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.argument("target", metavar="oci://HOST/REPO:TAG")
def push_cmd(archive: Path, target: str) -> None:
    """Publish a built (and usually signed) ARCHIVE to an OCI registry as an anops pack artifact.
    The archive is checked first: a damaged or inconsistent pack is never published. Plain http is
    used for loopback registries and for hosts in $ANOPS_POLICY_INSECURE_REGISTRIES.

    \b
    Example:
      anops-policy pack push my-pack-1.2.0.tar.gz oci://registry.example/platform/my-pack:1.2.0
    """
    from anops_policy.packs import oci  # noqa: PLC0415
    from anops_policy.packs.opening import materialize  # noqa: PLC0415
    from anops_policy.packs.sources import OCI, parse_source  # noqa: PLC0415

    destination = parse_source(target, where="pack push")
    if destination.kind != OCI:
        raise ConfigError(f"pack push {target}: the target must be oci://HOST/REPO:TAG (publish to git or https "
                          "by committing or uploading the archive file)")
    source, fetched = _fetch(str(archive))
    materialize(fetched.archive, source, (), pinned=True, require_signature=False, engine=False)
    digest = oci.push(fetched.archive, destination)
    signed = "signed" if fetched.archive.signature is not None else "unsigned"
    click.echo(f"pushed {archive} ({signed}) to {target}")
    click.echo(f"  manifest  {destination.with_digest(digest)}")
    click.echo(f"  pack      {fetched.archive.digest}")


@pack_group.command("pull")
@click.argument("ref", metavar="REF")
@pack_key_option
@text_or_json_option
def pull_cmd(ref: str, pack_keys: tuple[Path, ...], fmt: str) -> None:
    """Fetch REF into the pack cache (so later runs work offline), checked against its manifest;
    with --pack-key its signature must verify with one of the keys (exit 2 otherwise). An
    unreachable source exits 3.

    \b
    Examples:
      anops-policy pack pull oci://registry.example/platform/my-pack:1.2.0 --pack-key platform.pem.pub
      anops-policy pack pull git+https://git.example/platform/packs.git#v1.2.0:my-pack --format json
    """
    from anops_policy.packs.cache import archive_path  # noqa: PLC0415
    from anops_policy.packs.opening import fetch_current, materialize  # noqa: PLC0415
    from anops_policy.packs.resolve import read_key  # noqa: PLC0415
    from anops_policy.packs.signature import signers  # noqa: PLC0415
    from anops_policy.packs.sources import parse_source  # noqa: PLC0415

    keys = tuple(read_key(p, "--pack-key") for p in pack_keys)
    source = parse_source(ref)
    fetched = fetch_current(source)
    opened = materialize(fetched.archive, source, keys, pinned=True)
    m, claimed = opened.archive.manifest, signers(opened.archive.signature)
    if fmt == "json":
        click.echo(json.dumps({
            "source": ref, "id": m["id"], "version": m["version"], "digest": m["digest"], "pinned": fetched.pinned,
            "cached": str(archive_path(m["digest"])), "signatures": claimed, "verified_by": list(opened.signed_by),
        }, indent=2, sort_keys=True))
        return
    if opened.signed_by:
        signed = f"signed by {', '.join(opened.signed_by)} (verified)"
    elif claimed:
        signed = f"signed by {', '.join(claimed)} (NOT verified: give --pack-key to check it)"
    else:
        signed = "UNSIGNED"
    click.echo(f"pulled {ref}: pack {m['id']} {m['version']}, {signed}")
    click.echo(f"  pack digest  {m['digest']}")
    if fetched.pinned:
        click.echo(f"  pinned       {fetched.pinned}")
    click.echo(f"  cached       {archive_path(m['digest'])}")


from anops_policy.cli.packs_lock import diff_cmd, lock_cmd  # noqa: E402 - the lock and diff commands

pack_group.add_command(lock_cmd)
pack_group.add_command(diff_cmd)
