"""The images collector against a real Docker Engine API (podman, see conftest.py): an image built here
with a leftover apt list, a ``.git`` folder, a pip cache, tests deleted in a later layer, a fake compiler,
a ``.env`` file and a PEM private key is reported with those files, their layers and byte counts; the same
image saved with ``podman save`` (docker-archive, and OCI) gives the same facts through the archive path;
a missing image is ``exists: false``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import config_from_data
from anops_policy.pipeline.collect import collect_facts

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
REF = "localhost/anops-test/leftovers:1"
APT_LIST = "Package: foo\nVersion: 1.0\n"  # 25 bytes, written by a RUN
GIT_HEAD = "ref: refs/heads/main\n"  # 21 bytes
GIT_CONFIG = "[core]\n\trepositoryformatversion = 0\n"  # 35 bytes
TEST_FILE = "echo ok\n"  # 8 bytes
ENV_FILE = "DATABASE_URL=postgres://app:not-a-real-password@db/app\n"
KEY_FILE = "-----BEGIN PRIVATE KEY-----\nnot a real key, only its header matters\n-----END PRIVATE KEY-----\n"
PIP_CACHE = "cached wheel"  # 12 bytes
DOCKERFILE = """FROM {base}
RUN mkdir -p /var/lib/apt/lists/partial && printf 'Package: foo\\nVersion: 1.0\\n' > /var/lib/apt/lists/foo_Packages \\
 && touch /var/lib/apt/lists/lock
COPY app/ /srv/app/
RUN mkdir -p /root/.cache/pip/http /usr/bin && printf 'cached wheel' > /root/.cache/pip/http/0a1b \\
 && printf '#!/bin/sh\\nexit 1\\n' > /usr/bin/gcc && chmod +x /usr/bin/gcc
RUN rm -rf /srv/app/tests
ENV API_TOKEN=not-a-real-token PORT=8080
EXPOSE 8080
WORKDIR /srv/app
CMD ["sh", "main.sh"]
"""


@pytest.fixture(scope="module")
def built(podman: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The image, built once; returns a repository folder holding its docker-archive and OCI archive."""
    context = tmp_path_factory.mktemp("context")
    (context / "Dockerfile").write_text(DOCKERFILE.format(base=podman.base_image))
    files = {
        "app/main.sh": "echo serving\n",
        "app/.git/HEAD": GIT_HEAD,
        "app/.git/config": GIT_CONFIG,
        "app/tests/test_main.sh": TEST_FILE,
        "app/.env": ENV_FILE,
        "app/certs/server.pem": KEY_FILE,
    }
    for rel, text in files.items():
        (context / rel).parent.mkdir(parents=True, exist_ok=True)
        (context / rel).write_text(text)
    podman.build(context, REF)
    repo = tmp_path_factory.mktemp("repo")
    podman.save(REF, repo / "leftovers.tar")
    podman.run("save", "--format", "oci-archive", "--output", str(repo / "leftovers-oci.tar"), REF)
    return repo


def collect(repo: Path, data: dict[str, Any]) -> dict[str, Any]:
    config = config_from_data({"apiVersion": "anops.dev/config/v1", **data}, None, "test")
    document = collect_facts(repo, config, now=NOW, only=["images"], use_git=False)
    assert document["meta"]["collectors"]["images"]["status"] == "ok", document["meta"]["collectors"]["images"]
    section: dict[str, Any] = document["images"]
    return section


def component(ref: str = REF) -> dict[str, Any]:
    return {"components": [{"name": "app", "kind": "python-service", "image": ref}]}


def layer_of(image: dict[str, Any], text: str) -> int:
    return next(layer["index"] for layer in image["layers"] if text in (layer["created_by"] or ""))


def test_leftovers_are_reported_with_layers_and_bytes(podman: Any, built: Path) -> None:
    section = collect(built, {**component(), "engine": {"docker_host": podman.url}})
    assert section["engine"]["host"] == podman.url
    image = section["by_ref"][REF]
    assert image["exists"] and image["source"] == "engine" and image["scan"]["complete"]
    assert image["id"].startswith("sha256:")
    assert section["by_component"] == {"app": REF}

    apt_layer = layer_of(image, "apt/lists")
    copy_layer = layer_of(image, "COPY")
    pip_layer = layer_of(image, "pip")
    findings = {(f["category"], f["path"]): f for f in image["findings"]}
    assert findings[("apt-lists", "/var/lib/apt/lists")] == {
        "category": "apt-lists", "path": "/var/lib/apt/lists", "layer": apt_layer,
        "files": 1, "bytes": len(APT_LIST), "removed_later": False,
    }  # fmt: skip
    assert findings[("git", "/srv/app/.git")] == {
        "category": "git", "path": "/srv/app/.git", "layer": copy_layer,
        "files": 2, "bytes": len(GIT_HEAD) + len(GIT_CONFIG), "removed_later": False,
    }  # fmt: skip
    tests = findings[("tests", "/srv/app/tests")]
    assert (tests["layer"], tests["bytes"], tests["removed_later"]) == (copy_layer, len(TEST_FILE), True)
    assert findings[("pip-cache", "/root/.cache/pip")]["bytes"] == len(PIP_CACHE)
    assert findings[("compiler", "/usr/bin/gcc")]["layer"] == pip_layer
    assert findings[("env-file", "/srv/app/.env")]["bytes"] == len(ENV_FILE)
    assert findings[("private-key", "/srv/app/certs/server.pem")]["files"] == 1

    by_layer = {layer["index"]: layer for layer in image["layers"]}
    assert by_layer[apt_layer]["finding_bytes"] == len(APT_LIST)
    assert by_layer[apt_layer]["size_bytes"] == len(APT_LIST)
    assert image["findings_by_category"]["git"] == {
        "files": 2, "bytes": len(GIT_HEAD) + len(GIT_CONFIG), "layers": [copy_layer], "paths": ["/srv/app/.git"],
    }  # fmt: skip
    assert image["size_bytes"] == sum(layer["size_bytes"] for layer in image["layers"])
    # FROM, RUN, COPY, RUN, RUN make layers; ENV, EXPOSE, WORKDIR, CMD are metadata-only steps
    assert image["layer_count"] == 5 and sum(layer["empty"] for layer in image["layers"]) == 4

    # config, with the secret kept out
    assert image["env"]["API_TOKEN"] == "<redacted>" and image["env"]["PORT"] == "8080"
    assert image["exposed_ports"] == ["8080/tcp"]
    assert image["cmd"] == ["sh", "main.sh"] and image["working_dir"] == "/srv/app"
    assert image["user"] is None and image["user_is_root"] and not image["has_healthcheck"]
    assert set(image["problem_codes"]) == {
        "apt-lists", "git", "tests", "pip-cache", "compiler", "env-file", "private-key",
        "runs-as-root", "no-healthcheck", "secret-in-env", "secret-in-history",
    }  # fmt: skip
    text = json.dumps(section)
    for secret in ("not-a-real-token", "not-a-real-password", "not a real key"):
        assert secret not in text


@pytest.mark.parametrize("archive", ["leftovers.tar", "leftovers-oci.tar"])
def test_archive_gives_the_same_facts(podman: Any, built: Path, archive: str) -> None:
    via_engine = collect(built, {**component(), "engine": {"docker_host": podman.url}})["by_ref"][REF]
    options = {"collect": {"options": {"images": {"archives": [{"image": REF, "path": archive}]}}}}
    section = collect(built, {**component(), **options})
    assert section["engine"] is None  # no engine was asked
    via_archive = section["by_ref"][REF]
    assert (via_archive["source"], via_archive["archive"]) == ("archive", archive)
    source_fields = {"source", "archive", "scan"}
    assert {k: v for k, v in via_archive.items() if k not in source_fields} == {
        k: v for k, v in via_engine.items() if k not in source_fields
    }
    assert via_archive["scan"]["complete"] and via_archive["scan"]["files"] == via_engine["scan"]["files"]


def test_missing_image_is_a_fact(podman: Any, built: Path) -> None:
    section = collect(built, {**component("localhost/anops-test/never-built:1"), "engine": {"docker_host": podman.url}})
    image = section["by_ref"]["localhost/anops-test/never-built:1"]
    assert image["exists"] is False and image["layers"] == []
    assert image["problem_codes"] == ["image-missing"]
    assert section["missing"] == ["localhost/anops-test/never-built:1"]


def test_docker_host_from_the_environment(podman: Any, built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", podman.url)
    section = collect(built, component())
    assert section["by_ref"][REF]["exists"] and section["engine"]["host"] == podman.url


def test_byte_limit_marks_the_scan_incomplete(podman: Any, built: Path) -> None:
    options = {"collect": {"options": {"images": {"max_bytes": 64 * 1024}}}}
    image = collect(built, {**component(), "engine": {"docker_host": podman.url}, **options})["by_ref"][REF]
    # the export stopped early: the engine's inspect and history still give the config and the layers
    assert image["exists"] and not image["scan"]["complete"]
    assert "max_bytes" in image["scan"]["error"]
    assert image["scan"]["bytes_read"] <= 64 * 1024
    assert image["env"]["PORT"] == "8080" and image["layer_count"] == 5
    assert "scan-incomplete" in image["problem_codes"]
