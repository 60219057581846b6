"""The images collector's archive path with no engine at all: image archives written here in the two
formats engines produce — Docker's classic ``docker save`` layout (``<id>/layer.tar``, ``<config>.json``,
``manifest.json``) and an OCI layout with gzip layers, a multi-platform index and an attestation
manifest — are read for the same facts; broken, truncated, missing and escaping archives become
``exists: false`` with the reason, never a crash."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from anops_policy.config import config_from_data
from anops_policy.pipeline.collect import collect_facts

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
REF = "registry.example.invalid/team/app:1.4"
KEY = (
    b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA (not a real key)\n"
    b"-----END OPENSSH PRIVATE KEY-----\n"
)

# layer 0: a base system with things that must not ship and things that are fine
LAYER0: dict[str, bytes | None] = {
    "bin/": None,
    "bin/sh": b"\x7fELF" + b"\0" * 96,
    "usr/bin/x86_64-linux-gnu-gcc-12": b"\x7fELF" + b"\0" * 60,
    "usr/lib/gcc/x86_64-linux-gnu/12/cc1": b"\x7fELF" + b"\0" * 200,
    "usr/local/go/bin/go": b"\x7fELF" + b"\0" * 40,
    "usr/lib/python3/dist-packages/lib/tests/test_lib.py": b"def test(): pass\n",  # packaged: fine
    "etc/ssl/certs/ca.pem": b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",  # a cert: fine
    "var/lib/apt/lists/lock": b"",  # the lock alone is not a leftover
    "var/cache/apk/APKINDEX.abc.tar.gz": b"\x1f\x8b" + b"\0" * 30,
}
# layer 1: the application, with leftovers
LAYER1: dict[str, bytes | None] = {
    "app/": None,
    "app/server.py": b"print('hi')\n",
    "app/.env.production": b"SECRET=x\n",
    "app/.env.example": b"SECRET=\n",  # a template: fine
    "app/test/test_server.py": b"def test_x(): pass\n",
    "app/.git/HEAD": b"ref: refs/heads/main\n",
    "app/.git/objects/ab/cdef": b"\0" * 100,
    "home/app/.ssh/id_ed25519": KEY,
    "home/app/.ssh/id_ed25519.pub": b"ssh-ed25519 AAAA app\n",  # public: fine
    "home/app/deploy.txt": KEY,  # a private key by its header, whatever the name
    "root/.npm/_cacache/index-v5/aa": b"{}" * 50,
    "home/app/.cache/pip/http/x": b"\0" * 10,
}
# layer 2: deletes the apk cache (opaque folder) and the tests (whiteout): their bytes still ship below
LAYER2: dict[str, bytes | None] = {
    "var/cache/apk/.wh..wh..opq": b"",
    "app/.wh.test": b"",
}


def layer_tar(files: dict[str, bytes | None]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name.rstrip("/"))
            info.mtime = 0
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def image_config(layers: list[bytes], secret_env: bool = False) -> dict[str, Any]:
    env = ["PATH=/usr/bin:/bin", "APP_PORT=8000"] + (["DB_PASSWORD=hunter2"] if secret_env else [])
    return {
        "architecture": "amd64",
        "os": "linux",
        "created": "2026-11-20T10:00:00Z",
        "config": {
            "User": "10001:10001",
            "Env": env,
            "ExposedPorts": {"8000/tcp": {}},
            "Healthcheck": {"Test": ["CMD", "/app/healthcheck"], "Interval": 30000000000},
            "Entrypoint": ["python"],
            "Cmd": ["/app/server.py"],
            "WorkingDir": "/app",
            "Labels": {"org.opencontainers.image.source": "https://example.invalid/app", "ci_token": "abc"},
        },
        "rootfs": {"type": "layers", "diff_ids": [sha256(layer) for layer in layers]},
        "history": [
            {"created": "2026-11-20T09:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file:base in /"},
            {"created": "2026-11-20T09:30:00Z", "created_by": "COPY . /app # buildkit",
             "comment": "buildkit.dockerfile.v0"},
            {"created": "2026-11-20T09:31:00Z", "created_by": "ENV APP_PORT=8000", "empty_layer": True},
            {"created": "2026-11-20T09:32:00Z",
             "created_by": "|1 NPM_TOKEN=abc123 /bin/sh -c rm -rf /var/cache/apk/* /app/test"},
            {"created": "2026-11-20T09:33:00Z", "created_by": 'CMD ["/app/server.py"]', "empty_layer": True},
        ],
    }  # fmt: skip


def docker_archive(path: Path, tags: list[str], extra_image: bool = False) -> dict[str, Any]:
    """Docker's classic save layout: <layer id>/layer.tar, <config digest>.json, manifest.json."""
    layers = [layer_tar(LAYER0), layer_tar(LAYER1), layer_tar(LAYER2)]
    config = image_config(layers)
    config_bytes = json.dumps(config).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    members: dict[str, bytes] = {}
    names = []
    for index, layer in enumerate(layers):
        name = f"{hashlib.sha256(str(index).encode()).hexdigest()}/layer.tar"
        members[name] = layer
        names.append(name)
    members[config_name] = config_bytes
    manifest = [{"Config": config_name, "RepoTags": tags, "Layers": names}]
    if extra_image:
        other = [layer_tar({"etc/other": b"other\n"})]
        other_config = json.dumps(image_config(other)).encode()
        other_name = hashlib.sha256(other_config).hexdigest() + ".json"
        members[other_name] = other_config
        members["other/layer.tar"] = other[0]
        manifest.insert(0, {"Config": other_name, "RepoTags": ["other/image:1"], "Layers": ["other/layer.tar"]})
    members["manifest.json"] = json.dumps(manifest).encode()
    write_tar(path, members)
    return config


def oci_archive(path: Path, ref_name: str) -> None:
    """An OCI layout: gzip layers, a platform index under index.json, and an attestation manifest."""
    plain = [layer_tar(LAYER0), layer_tar(LAYER1), layer_tar(LAYER2)]
    compressed = [gzip.compress(layer, mtime=0) for layer in plain]
    blobs: dict[str, bytes] = {}

    def blob(data: bytes) -> dict[str, Any]:
        digest = sha256(data)
        blobs["blobs/sha256/" + digest.split(":")[1]] = data
        return {"digest": digest, "size": len(data)}

    config = blob(json.dumps(image_config(plain)).encode())
    manifest = blob(json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **blob(c)} for c in compressed],
    }).encode())  # fmt: skip
    attestation = blob(json.dumps({"schemaVersion": 2, "layers": [], "config": config}).encode())
    platform_index = blob(json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", **manifest,
             "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", **attestation,
             "platform": {"architecture": "unknown", "os": "unknown"}},
        ],
    }).encode())  # fmt: skip
    index = {
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.index.v1+json", **platform_index,
            "annotations": {"io.containerd.image.name": ref_name, "org.opencontainers.image.ref.name": "1.4"},
        }],
    }  # fmt: skip
    layout = b'{"imageLayoutVersion": "1.0.0"}'
    write_tar(path, {"oci-layout": layout, **blobs, "index.json": json.dumps(index).encode()})


def write_tar(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))


def collect(repo: Path, archives: list[dict[str, str]], **options: Any) -> dict[str, Any]:
    data = {
        "apiVersion": "anops.dev/config/v1",
        "components": [{"name": "app", "kind": "python-service", "image": REF}],
        "collect": {"options": {"images": {"archives": archives, **options}}},
    }
    document = collect_facts(repo, config_from_data(data, None, "test"), now=NOW, only=["images"], use_git=False)
    meta = document["meta"]["collectors"]["images"]
    assert meta["status"] == "ok", meta
    section: dict[str, Any] = document["images"]
    return section


EXPECTED_FINDINGS = {
    # (category, path): (layer, files, bytes, removed_later)
    ("apk-cache", "/var/cache/apk"): (0, 1, 32, True),
    ("compiler", "/usr/bin/x86_64-linux-gnu-gcc-12"): (0, 1, 64, False),
    ("compiler", "/usr/lib/gcc/x86_64-linux-gnu/12/cc1"): (0, 1, 204, False),
    ("compiler", "/usr/local/go/bin/go"): (0, 1, 44, False),
    ("env-file", "/app/.env.production"): (1, 1, 9, False),
    ("git", "/app/.git"): (1, 2, 121, False),
    ("npm-cache", "/root/.npm"): (1, 1, 100, False),
    ("pip-cache", "/home/app/.cache/pip"): (1, 1, 10, False),
    ("private-key", "/home/app/.ssh/id_ed25519"): (1, 1, len(KEY), False),
    ("private-key", "/home/app/deploy.txt"): (1, 1, len(KEY), False),
    ("tests", "/app/test"): (1, 1, 19, True),
}


def findings(image: dict[str, Any]) -> dict[tuple[str, str], tuple[int, int, int, bool]]:
    return {
        (f["category"], f["path"]): (f["layer"], f["files"], f["bytes"], f["removed_later"]) for f in image["findings"]
    }


def test_docker_save_layout(tmp_path: Path) -> None:
    docker_archive(tmp_path / "app.tar", ["team/app:1.4", REF])
    section = collect(tmp_path, [{"image": REF, "path": "app.tar"}])
    assert section["engine"] is None and section["missing"] == []
    image = section["by_ref"][REF]
    assert image["exists"] and image["scan"]["complete"] and image["scan"]["error"] is None
    assert findings(image) == EXPECTED_FINDINGS
    assert image["layer_count"] == 3
    assert [layer["empty"] for layer in image["layers"]] == [False, False, True, False, True]
    assert [layer["index"] for layer in image["layers"]] == [0, 1, 2, 3, 4]
    # history index 1 is the second layer: the finding's layer points into `layers`
    assert image["layers"][1]["created_by"] == "COPY . /app # buildkit"
    assert image["layers"][1]["finding_bytes"] == sum(v[2] for v in EXPECTED_FINDINGS.values() if v[0] == 1)
    assert image["layers"][3]["created_by"] == "|1 NPM_TOKEN=<redacted> /bin/sh -c rm -rf /var/cache/apk/* /app/test"
    assert image["layers"][3]["secret_in_created_by"] and image["layers"][3]["files"] == 0
    assert image["size_bytes"] == sum(len(d or b"") for d in (*LAYER0.values(), *LAYER1.values(), *LAYER2.values()))
    assert image["user"] == "10001:10001" and not image["user_is_root"]
    assert image["has_healthcheck"] and image["healthcheck"] == {"test": ["CMD", "/app/healthcheck"], "disabled": False}
    assert image["entrypoint"] == ["python"] and image["cmd"] == ["/app/server.py"]
    assert image["labels"]["ci_token"] == "<redacted>"
    assert image["env"] == {"APP_PORT": "8000", "PATH": "/usr/bin:/bin"}
    assert image["repo_tags"] == sorted(["team/app:1.4", REF])
    assert image["categories"] == sorted({c for c, _ in EXPECTED_FINDINGS})
    assert image["findings_by_category"]["compiler"]["files"] == 3
    assert image["problem_codes"] == sorted({*image["categories"], "secret-in-history"})
    assert "abc123" not in json.dumps(section) and "hunter2" not in json.dumps(section)


def test_oci_layout_with_gzip_layers_gives_the_same_facts(tmp_path: Path) -> None:
    docker_archive(tmp_path / "app.tar", [REF])
    oci_archive(tmp_path / "app-oci.tar", REF)
    docker = collect(tmp_path, [{"image": REF, "path": "app.tar"}])["by_ref"][REF]
    oci = collect(tmp_path, [{"image": REF, "path": "app-oci.tar"}])["by_ref"][REF]
    assert oci["exists"] and oci["scan"]["complete"]
    skip = {"archive", "scan", "repo_tags"}
    assert {k: v for k, v in oci.items() if k not in skip} == {k: v for k, v in docker.items() if k not in skip}
    assert oci["repo_tags"] == ["1.4", REF]


def test_picks_the_tagged_image_and_normalises_references(tmp_path: Path) -> None:
    docker_archive(tmp_path / "two.tar", ["team/app:1.4"], extra_image=True)
    data = {
        "apiVersion": "anops.dev/config/v1",
        "components": [{"name": "app", "kind": "python-service", "image": "docker.io/team/app:1.4"}],
        "collect": {"options": {"images": {"archives": [{"image": "docker.io/team/app:1.4", "path": "two.tar"}]}}},
    }
    document = collect_facts(tmp_path, config_from_data(data, None, "t"), now=NOW, only=["images"], use_git=False)
    image = document["images"]["by_ref"]["docker.io/team/app:1.4"]
    assert image["exists"] and image["repo_tags"] == ["team/app:1.4"] and image["layer_count"] == 3


def test_archives_that_cannot_be_read_are_missing_images(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "garbage.tar").write_bytes(b"\x00\xffnot a tar at all" * 100)
    docker_archive(repo / "big.tar", [REF])
    docker_archive(repo / "other.tar", ["someone/else:2"], extra_image=True)
    (tmp_path / "outside.tar").write_bytes(b"")
    cases = {
        "missing.tar": "archive missing.tar not found",
        "garbage.tar": "not a readable image archive",
        "../outside.tar": "outside the evaluated directory",
        "other.tar": "none is tagged",
    }
    for path, reason in cases.items():
        image = collect(repo, [{"image": REF, "path": path}])["by_ref"][REF]
        assert image["exists"] is False, path
        assert reason in image["error"], (path, image["error"])
        assert image["problem_codes"] == ["image-missing"]
    limited = collect(repo, [{"image": REF, "path": "big.tar"}], max_bytes=4096)["by_ref"][REF]
    assert limited["exists"] is False and "max_bytes" in limited["error"]
