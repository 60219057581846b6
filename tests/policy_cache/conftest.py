from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from anops_policy.policy import cache as policy_cache


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder of this test, switched on whatever the environment says."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(policy_cache.DIR_ENV, str(folder))
    monkeypatch.delenv(policy_cache.SWITCH_ENV, raising=False)
    policy_cache.configure(None)
    yield folder
    policy_cache.configure(None)
