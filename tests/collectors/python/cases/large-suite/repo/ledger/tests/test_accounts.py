import pytest
from fastapi.testclient import TestClient

from ledger.app import app


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setenv("LEDGER_DB", "sqlite://")
    with TestClient(app) as c:
        yield c


def test_unknown_account_36(client):
    assert client.get("/balance/x36").status_code == 404

def test_balance_37(client):
    assert client.get("/balance/a37").status_code == 200

def test_balance_38(client):
    assert client.get("/balance/a38").status_code == 200

def test_balance_39(client):
    assert client.get("/balance/a39").status_code == 200

def test_balance_40(client):
    assert client.get("/balance/a40").status_code == 200

def test_balance_41(client):
    assert client.get("/balance/a41").status_code == 200

def test_balance_42(client):
    assert client.get("/balance/a42").status_code == 200

def test_balance_43(client):
    assert client.get("/balance/a43").status_code == 200

def test_balance_44(client):
    assert client.get("/balance/a44").status_code == 200

def test_balance_45(client):
    assert client.get("/balance/a45").status_code == 200

def test_balance_46(client):
    assert client.get("/balance/a46").status_code == 200

def test_unknown_account_47(client):
    assert client.get("/balance/x47").status_code == 404

def test_balance_48(client):
    assert client.get("/balance/a48").status_code == 200

def test_balance_49(client):
    assert client.get("/balance/a49").status_code == 200

def test_balance_50(client):
    assert client.get("/balance/a50").status_code == 200

def test_balance_51(client):
    assert client.get("/balance/a51").status_code == 200

def test_balance_52(client):
    assert client.get("/balance/a52").status_code == 200

def test_balance_53(client):
    assert client.get("/balance/a53").status_code == 200

def test_balance_54(client):
    assert client.get("/balance/a54").status_code == 200

def test_balance_55(client):
    assert client.get("/balance/a55").status_code == 200

def test_balance_56(client):
    assert client.get("/balance/a56").status_code == 200

def test_balance_57(client):
    assert client.get("/balance/a57").status_code == 200

def test_unknown_account_58(client):
    assert client.get("/balance/x58").status_code == 404

def test_balance_59(client):
    assert client.get("/balance/a59").status_code == 200

def test_balance_60(client):
    assert client.get("/balance/a60").status_code == 200

def test_balance_61(client):
    assert client.get("/balance/a61").status_code == 200

def test_balance_62(client):
    assert client.get("/balance/a62").status_code == 200

def test_balance_63(client):
    assert client.get("/balance/a63").status_code == 200

def test_balance_64(client):
    assert client.get("/balance/a64").status_code == 200

def test_balance_65(client):
    assert client.get("/balance/a65").status_code == 200
