from __future__ import annotations

import pytest

# Case folders hold repositories under test (some with deliberately broken test files): inputs, not tests.
collect_ignore_glob = ["collectors/*/cases/*", "*/cases/*/repo/*"]


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
