from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from anops_policy import cache_home


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder of this test, switched on whatever the environment says."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache_home.DIR_ENV, str(folder))
    monkeypatch.delenv(cache_home.SWITCH_ENV, raising=False)
    cache_home.configure(None)
    yield folder
    cache_home.configure(None)
