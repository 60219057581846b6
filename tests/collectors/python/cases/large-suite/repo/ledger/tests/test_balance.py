import pytest
from fastapi.testclient import TestClient

from ledger.app import app


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setenv("LEDGER_DB", "sqlite://")
    with TestClient(app) as c:
        yield c


def test_balance_0(client):
    assert client.get("/balance/a0").status_code == 200

def test_balance_1(client):
    assert client.get("/balance/a1").status_code == 200

def test_balance_2(client):
    assert client.get("/balance/a2").status_code == 200

def test_unknown_account_3(client):
    assert client.get("/balance/x3").status_code == 404

def test_balance_4(client):
    assert client.get("/balance/a4").status_code == 200

def test_balance_5(client):
    assert client.get("/balance/a5").status_code == 200

def test_balance_6(client):
    assert client.get("/balance/a6").status_code == 200

def test_balance_7(client):
    assert client.get("/balance/a7").status_code == 200

def test_balance_8(client):
    assert client.get("/balance/a8").status_code == 200

def test_balance_9(client):
    assert client.get("/balance/a9").status_code == 200

def test_balance_10(client):
    assert client.get("/balance/a10").status_code == 200

def test_balance_11(client):
    assert client.get("/balance/a11").status_code == 200

def test_balance_12(client):
    assert client.get("/balance/a12").status_code == 200

def test_balance_13(client):
    assert client.get("/balance/a13").status_code == 200

def test_unknown_account_14(client):
    assert client.get("/balance/x14").status_code == 404

def test_balance_15(client):
    assert client.get("/balance/a15").status_code == 200

def test_balance_16(client):
    assert client.get("/balance/a16").status_code == 200

def test_balance_17(client):
    assert client.get("/balance/a17").status_code == 200

def test_balance_18(client):
    assert client.get("/balance/a18").status_code == 200

def test_balance_19(client):
    assert client.get("/balance/a19").status_code == 200

def test_balance_20(client):
    assert client.get("/balance/a20").status_code == 200

def test_balance_21(client):
    assert client.get("/balance/a21").status_code == 200

def test_balance_22(client):
    assert client.get("/balance/a22").status_code == 200

def test_balance_23(client):
    assert client.get("/balance/a23").status_code == 200

def test_balance_24(client):
    assert client.get("/balance/a24").status_code == 200

def test_unknown_account_25(client):
    assert client.get("/balance/x25").status_code == 404

def test_balance_26(client):
    assert client.get("/balance/a26").status_code == 200

def test_balance_27(client):
    assert client.get("/balance/a27").status_code == 200

def test_balance_28(client):
    assert client.get("/balance/a28").status_code == 200

def test_balance_29(client):
    assert client.get("/balance/a29").status_code == 200

def test_balance_30(client):
    assert client.get("/balance/a30").status_code == 200

def test_balance_31(client):
    assert client.get("/balance/a31").status_code == 200

def test_balance_32(client):
    assert client.get("/balance/a32").status_code == 200

def test_balance_33(client):
    assert client.get("/balance/a33").status_code == 200

def test_balance_34(client):
    assert client.get("/balance/a34").status_code == 200

def test_balance_35(client):
    assert client.get("/balance/a35").status_code == 200
