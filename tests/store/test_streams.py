"""Which stream a repository's evaluations go to: CI ids and git remotes normalise to one host/owner/name,
credentials never part of it; URLs are told from paths and printed without their password."""

from __future__ import annotations

from pathlib import Path

import pytest

from anops_policy.audit.streams import ci_stream, detect_stream, normalise_remote
from anops_policy.errors import ConfigError
from anops_policy.store.url import is_store_url, redacted

REMOTES = [
    ("git@github.com:acme/payments.git", "github.com/acme/payments"),
    ("https://github.com/acme/payments.git", "github.com/acme/payments"),
    ("https://ci-bot:ghp_secret@github.com/acme/payments/", "github.com/acme/payments"),
    ("ssh://git@gitlab.example.com:2222/ops/infra.git", "gitlab.example.com/ops/infra"),
    ("HTTPS://GitHub.com/Acme/Payments", "github.com/Acme/Payments"),
    ("/srv/git/payments.git", None),
    ("file:///srv/git/payments.git", None),
    ("", None),
]


@pytest.mark.parametrize(("remote", "stream"), REMOTES, ids=[r or "empty" for r, _s in REMOTES])
def test_remote_urls_normalise(remote: str, stream: str | None) -> None:
    assert normalise_remote(remote) == stream


CI = [
    ({"GITHUB_REPOSITORY": "acme/payments"}, "github.com/acme/payments"),
    ({"GITHUB_REPOSITORY": "acme/payments", "GITHUB_SERVER_URL": "https://ghe.acme.io"}, "ghe.acme.io/acme/payments"),
    ({"CI_PROJECT_PATH": "ops/infra", "CI_SERVER_HOST": "gitlab.acme.io"}, "gitlab.acme.io/ops/infra"),
    ({}, None),
]


@pytest.mark.parametrize(("env", "stream"), CI)
def test_ci_repository_ids(env: dict[str, str], stream: str | None) -> None:
    assert ci_stream(env) == stream


def test_detection_order_and_override(tmp_path: Path) -> None:
    folder = tmp_path / "payments"
    folder.mkdir()
    assert detect_stream(folder, environ={}) == "payments"
    assert detect_stream(folder, environ={"GITHUB_REPOSITORY": "acme/pay"}) == "github.com/acme/pay"
    assert detect_stream(folder, "team/x", environ={"GITHUB_REPOSITORY": "acme/pay"}) == "team/x"
    with pytest.raises(ConfigError, match="--stream 'bad stream'"):
        detect_stream(folder, "bad stream")


URLS = [
    ("postgresql://ci:pw@db:5432/anops", True, "postgresql://ci:***@db:5432/anops"),
    ("postgres://ci@db/anops?password=pw&sslmode=require", True, "postgres://ci@db/anops?password=***&sslmode=require"),
    ("postgresql:///anops", True, "postgresql:///anops"),
    (".anops-policy/decisions.jsonl", False, None),
]


@pytest.mark.parametrize(("text", "is_url", "shown"), URLS)
def test_store_urls_are_told_from_paths_and_redacted(text: str, is_url: bool, shown: str | None) -> None:
    assert is_store_url(text) is is_url
    if shown is not None:
        assert redacted(text) == shown
