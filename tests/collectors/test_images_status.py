"""Statuses of the images collector without an engine: images named but no engine answering is an
error naming the host (fail closed); bad options are errors; nothing named is not_configured (see the
case folders)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import config_from_data
from anops_policy.pipeline.collect import collect_facts

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def status(root: Path, data: dict[str, Any]) -> tuple[str, str | None]:
    config = config_from_data({"apiVersion": "anops.dev/config/v1", **data}, None, "test")
    document = collect_facts(root, config, now=NOW, only=["images"], use_git=False)
    meta = document["meta"]["collectors"]["images"]
    assert ("images" in document) == (meta["status"] == "ok")
    return meta["status"], meta["error"]


COMPONENTS = {"components": [{"name": "api", "kind": "python-service", "image": "anops/api:dev"}]}


def test_unreachable_engine_is_an_error_naming_the_host(tmp_path: Path) -> None:
    host = f"unix://{tmp_path}/no-engine-here.sock"
    state, error = status(tmp_path, {**COMPONENTS, "engine": {"docker_host": host, "timeout_s": 2}})
    assert state == "error"
    assert error is not None
    assert f"no container engine answers at {host}" in error
    assert "anops/api:dev" in error and "DOCKER_HOST" in error


def test_unreachable_engine_from_docker_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")  # the discard port: nothing serves the API there
    state, error = status(tmp_path, {**COMPONENTS, "engine": {"timeout_s": 2}})
    assert state == "error" and error is not None and "tcp://127.0.0.1:9" in error


def test_credentials_in_the_host_are_not_shown(tmp_path: Path) -> None:
    engine = {"docker_host": "tcp://admin:s3cret@127.0.0.1:9", "timeout_s": 2}
    state, error = status(tmp_path, {**COMPONENTS, "engine": engine})
    assert state == "error" and error is not None and "s3cret" not in error


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"archives": {"image": "a", "path": "b"}}, "must be a list"),
        ({"archives": [{"image": "a"}]}, "archives[0] must be"),
        ({"max_bytes": 0}, "max_bytes must be a positive number"),
        ({"max_seconds": "soon"}, "max_seconds must be a positive number"),
    ],
)
def test_bad_options_are_errors(tmp_path: Path, options: dict[str, Any], message: str) -> None:
    state, error = status(tmp_path, {**COMPONENTS, "collect": {"options": {"images": options}}})
    assert state == "error" and error is not None and message in error
