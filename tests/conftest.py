from __future__ import annotations

import os
import shutil
import tempfile

import pytest

# Case folders hold repositories under test (some with deliberately broken test files): inputs, not tests.
collect_ignore_glob = ["collectors/*/cases/*", "*/cases/*/repo/*"]


def pytest_configure(config: pytest.Config) -> None:
    # The compiled-policy and per-file summary caches of every command the tests run (in-process or in a
    # child) go to a folder of this test process (each xdist worker its own), never to the user's ~/.cache;
    # each test session starts cold (later tests may hit what earlier ones stored: the facts are the same).
    folder = tempfile.mkdtemp(prefix="anops-policy-cache-")
    os.environ["ANOPS_POLICY_CACHE_DIR"] = folder
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite expected.json / golden files from the current output instead of comparing",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))
