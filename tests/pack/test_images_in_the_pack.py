"""Item 2.4's built-image check inside the whole pack, on the ready example: not applicable while no
component names an image; `error` (blocking, fail closed) when one is named and no engine answers; and a
real decision from a saved image archive (`collect.options.images.archives`), no engine needed."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

from pack_helpers import edit, evaluate, ready_example

POLICY = "images-ship-nothing-unnecessary"
REF = "anops/api-service:dev"
CLEAN_LAYER = {"app/app.py": b"print('ok')\n", "etc/passwd": b"app:x:10001:10001::/app:/bin/false\n"}
LEFTOVERS_LAYER = {
    **CLEAN_LAYER,
    "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease": b"x" * 64,
    "app/.git/HEAD": b"ref: refs/heads/main\n",
}


def _tar(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def save_image(path: Path, files: dict[str, bytes]) -> None:
    """A `docker save` archive of one single-layer image tagged REF, running as a non-root user."""
    layer = _tar(files)
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2026-11-20T10:00:00Z",
        "config": {"User": "10001:10001", "Cmd": ["python", "app.py"],
                   "Healthcheck": {"Test": ["CMD", "python", "-c", "pass"]}},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]},
        "history": [{"created": "2026-11-20T10:00:00Z", "created_by": "COPY . /app # buildkit"}],
    }).encode()  # fmt: skip
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = json.dumps([{"Config": config_name, "RepoTags": [REF], "Layers": ["layer/layer.tar"]}]).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_tar({"layer/layer.tar": layer, config_name: config, "manifest.json": manifest}))


def name_the_image(repo: Path, extra_config: str) -> None:
    edit(repo / "anops-policy.yaml", "    protocol: http\n", f"    protocol: http\n    image: {REF}\n")
    with (repo / "anops-policy.yaml").open("a", encoding="utf-8") as config:
        config.write(extra_config)


def test_no_image_named_is_not_applicable_and_says_how_to_enable(tmp_path: Path) -> None:
    ready = evaluate(ready_example(tmp_path / "ready"))
    (decision,) = ready.decisions(POLICY)
    assert decision["outcome"] == "not_applicable"
    assert "no component names an image" in decision["message"]
    assert "collect.options.images.archives" in decision["message"]


def test_a_named_image_without_an_engine_is_an_error_that_blocks(tmp_path: Path) -> None:
    repo = ready_example(tmp_path / "ready")
    name_the_image(repo, f"engine: {{docker_host: 'unix://{tmp_path}/no-engine.sock'}}\n")
    result = evaluate(repo)
    (decision,) = result.decisions(POLICY)
    assert decision["outcome"] == "error" and decision["blocking"]
    assert "no container engine answers" in decision["message"]
    assert result.exit_code == 1
    assert result.summary == "15 of 17 applicable checklist items satisfied · 0 not applicable · 1 blocking failures"


def test_an_image_archive_with_leftovers_fails_and_a_clean_one_passes(tmp_path: Path) -> None:
    repo = ready_example(tmp_path / "ready")
    name_the_image(repo, f"  options:\n    images:\n      archives: [{{image: '{REF}', path: images/api.tar}}]\n")
    config_text = (repo / "anops-policy.yaml").read_text(encoding="utf-8")
    assert "\ncollect:\n" in config_text  # the options land under the example's collect: mapping
    component_line = config_text.splitlines().index("  - name: api-service") + 1

    save_image(repo / "images" / "api.tar", LEFTOVERS_LAYER)
    dirty = evaluate(repo)
    (decision,) = dirty.decisions(POLICY)
    assert decision["outcome"] == "fail", decision
    assert "apt package lists" in decision["message"] and ".git" in decision["message"]
    assert decision["evidence"] == [{"path": "anops-policy.yaml", "line": component_line}]
    assert dirty.exit_code == 1

    save_image(repo / "images" / "api.tar", CLEAN_LAYER)
    clean = evaluate(repo)
    (decision,) = clean.decisions(POLICY)
    assert decision["outcome"] == "pass", decision
    assert clean.exit_code == 0
    assert clean.summary == "16 of 17 applicable checklist items satisfied · 0 not applicable · 0 blocking failures"
