"""Every way a pack artifact can be wrong, from cases/refusals.yaml: each case is made from one signed build of
the built-in pack, reaches the commands as a local archive and/or through a real registry, and must be refused
by `pack verify` (exit 1) and `eval` (exit 2) with a message naming what differs — never a traceback, never a
run on an unverified pack."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from click.testing import CliRunner, Result

from anops_policy.cli.main import cli
from anops_policy.keys import signer_from
from anops_policy.packs import oci
from anops_policy.packs.archive import Archive, read_archive, write_archive
from anops_policy.packs.signature import sign
from anops_policy.packs.sources import parse_source

from .pack_run import built as build_in_own_process

ROOT = Path(__file__).resolve().parents[2]
BUILTIN = ROOT / "policies" / "production-readiness"
CASES = yaml.safe_load((Path(__file__).parent / "cases" / "refusals.yaml").read_text())
ALTERED = "no-todos-in-release-files.yaml"


def run(*args: str) -> Result:
    if args[:2] == ("pack", "build"):  # the pack's examples run under a CPU deadline: in a process of their own
        return build_in_own_process(*args)  # type: ignore[return-value]
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@dataclass(frozen=True)
class Built:
    signed: Path  # the built-in pack, built and signed with key.pem
    engine: Path  # the same pack declaring engine ">=99.0", signed with key.pem
    key: Path
    other: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    tmp = tmp_path_factory.mktemp("built")
    for name in ("key", "other"):
        assert run("audit", "keygen", "--out", str(tmp / f"{name}.pem")).exit_code == 0
    signed = tmp / "signed.tar.gz"
    assert run("pack", "build", str(BUILTIN), "-o", str(signed)).exit_code == 0
    assert run("pack", "sign", str(signed), "--signing-key", str(tmp / "key.pem")).exit_code == 0
    folder = tmp / "engine-pack"
    shutil.copytree(BUILTIN, folder, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    (folder / "pack.yaml").write_text('engine: ">=99.0"\n' + (folder / "pack.yaml").read_text())
    engine = tmp / "engine.tar.gz"
    assert run("pack", "build", str(folder), "-o", str(engine)).exit_code == 0
    assert run("pack", "sign", str(engine), "--signing-key", str(tmp / "key.pem")).exit_code == 0
    return Built(signed, engine, tmp / "key.pem", tmp / "other.pem")


def _with(archive: Archive, **changes: Any) -> Archive:
    fields = {"manifest": archive.manifest, "files": archive.files, "signature": archive.signature, **changes}
    return Archive(fields["manifest"], fields["files"], fields["signature"], archive.where,
                   write_archive(fields["manifest"], fields["files"], fields["signature"]))


def _tar(members: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return out.getvalue()


def _member(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE,
            link: str = "") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname = kind, len(data), link
    return info, data


def _signed_members(built: Built) -> list[tuple[tarfile.TarInfo, bytes]]:
    archive = read_archive(built.signed.read_bytes(), "signed")
    members = [_member("manifest.json", json.dumps(archive.manifest).encode())]
    return members + [_member(f"pack/{name}", data) for name, data in sorted(archive.files.items())]


def _edited_manifest(archive: Archive) -> Archive:
    manifest = json.loads(json.dumps(archive.manifest))
    manifest["policies"][0]["severity"] = "low" if manifest["policies"][0]["severity"] != "low" else "high"
    return _with(archive, manifest=manifest)


def _other_digest(archive: Archive) -> Archive:
    assert archive.signature is not None
    return _with(archive, signature={**archive.signature, "digest": "sha256:" + "0" * 64})


def _flipped(data: bytes) -> bytes:
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0x01
    return bytes(flipped)


# tamper kind → the artifact: an Archive (pushed as it is) or raw bytes (a local file only)
TAMPER: dict[str, Callable[[Built, Archive], Archive | bytes]] = {
    "alter-file": lambda b, a: _with(a, files={**a.files, ALTERED: a.files[ALTERED].replace(b"severity: high",
                                                                                             b"severity: low")}),
    "add-file": lambda b, a: _with(a, files={**a.files, "extra-policy.yaml": b"id: extra-policy\n"}),
    "remove-file": lambda b, a: _with(a, files={k: v for k, v in a.files.items() if k != ALTERED}),
    "edit-manifest": lambda b, a: _edited_manifest(a),
    "flip-byte": lambda b, a: _flipped(a.raw),
    "flip-byte-at-rest": lambda b, a: a,  # pushed intact; the registry's stored blob is altered afterwards
    "wrong-key": lambda b, a: _with(a, signature=sign(a.manifest, signer_from(b.other), None)),  # type: ignore[arg-type]
    "unsign": lambda b, a: _with(a, signature=None),
    "resign-other-digest": lambda b, a: _other_digest(a),
    "engine-range": lambda b, a: read_archive(b.engine.read_bytes(), "engine"),
    "link-member": lambda b, a: _tar([*_signed_members(b), _member("pack/evil.yaml", kind=tarfile.SYMTYPE,
                                                                     link="/etc/passwd")]),
    "traversal-member": lambda b, a: _tar([*_signed_members(b), _member("pack/../../evil.yaml", b"id: x\n")]),
    "not-an-archive": lambda b, a: b"id: not-a-pack\n",
}


def _flip_stored_pack_layer(registry: str, storage: Path, repository: str, tag: str) -> None:
    manifest = requests.get(f"http://{registry}/v2/{repository}/manifests/{tag}", timeout=10,
                            headers={"Accept": oci.MANIFEST_TYPE}).json()
    layer = next(x for x in manifest["layers"] if x["mediaType"] == oci.PACK_LAYER_TYPE)
    hexdigest = layer["digest"].removeprefix("sha256:")
    data = storage / "docker" / "registry" / "v2" / "blobs" / "sha256" / hexdigest[:2] / hexdigest / "data"
    data.write_bytes(_flipped(data.read_bytes()))


def _ids() -> list[Any]:
    return [pytest.param(case, carrier, id=f"{case['tamper']}-{carrier}")
            for case in CASES for carrier in case["carriers"]]


@pytest.mark.parametrize(("case", "carrier"), _ids())
def test_a_wrong_artifact_is_refused(case: dict[str, Any], carrier: str, built: Built, tmp_path: Path,
                                     request: pytest.FixtureRequest) -> None:
    made = TAMPER[case["tamper"]](built, read_archive(built.signed.read_bytes(), "signed"))
    if carrier == "file":
        target = tmp_path / "pack.tar.gz"
        target.write_bytes(made.raw if isinstance(made, Archive) else made)
        ref = str(target)
    else:
        assert isinstance(made, Archive), "only well-formed archives can be pushed"
        registry = request.getfixturevalue("registry")
        ref = f"oci://{registry}/platform/prod:{case['tamper']}"
        oci.push(made, parse_source(ref))  # the API, as a registry would hold it: `pack push` refuses to publish it
        if case["tamper"] == "flip-byte-at-rest":
            _flip_stored_pack_layer(registry, tmp_path / "registry", "platform/prod", case["tamper"])
    verify = run("pack", "verify", ref, "--public-key", f"{built.key}.pub")
    empty = tmp_path / "repo"
    empty.mkdir()
    evaluate = run("eval", str(empty), "--pack", ref, "--pack-key", f"{built.key}.pub", "--no-decision-log",
                   "--now", "2026-11-26T10:00:00Z")
    for result, expected in ((verify, case["verify"]), (evaluate, case["eval"])):
        assert result.exit_code == expected["exit"], result.output
        assert "Traceback" not in result.output
        for fragment in expected["says"]:
            assert fragment.format(file=ALTERED) in result.output, (fragment, result.output)
    if case["eval"]["exit"] == 2:
        assert '"decisions"' not in evaluate.output and "blocking" not in evaluate.output  # nothing was judged
