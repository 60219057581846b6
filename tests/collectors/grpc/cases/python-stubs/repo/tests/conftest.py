import json
from pathlib import Path

import docker
import pytest


class FakeDocker:
    """A `docker` executable on PATH that records its arguments as JSON lines."""

    def __init__(self, bin_dir: Path) -> None:
        self.log = bin_dir / "docker.log"

    @property
    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@pytest.fixture
def fake_docker(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "docker"
    script.write_text('#!/bin/sh\nprintf \'%s\\n\' "$(python3 -c \'import json,sys; print(json.dumps(sys.argv[1:]))\' "$@")" >> "$(dirname "$0")/docker.log"\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path('/usr/bin')}")
    return FakeDocker(bin_dir)


@pytest.fixture(scope="session")
def billing_image():
    client = docker.from_env()
    image = client.images.get("anops/billing:dev")
    yield image
    client.close()
