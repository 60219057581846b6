import pytest
from fastapi.testclient import TestClient

from orders.main import app


@pytest.fixture(autouse=True)
def database_url(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/orders.db")


@pytest.fixture
def client():
    with TestClient(app) as test_client:
        yield test_client
