import pytest
from fastapi.testclient import TestClient

from api import app


class StubUpstream:
    def __init__(self):
        self.status = 200

    def with_status(self, code):
        self.status = code
        return self


def expect_status(resp, code):
    assert resp.status_code == code, resp.text


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setenv("LEDGER_RATES_URL", "http://127.0.0.1:9")
    with TestClient(app) as c:
        yield c


def test_add_entry(client):
    expect_status(client.post("/entries", json={"account": "a", "cents": 5}), 201)


def test_cents_must_be_an_integer(client):
    StubUpstream().with_status(503)
    expect_status(client.post("/entries", json={"account": "a", "cents": "five"}), 422)
