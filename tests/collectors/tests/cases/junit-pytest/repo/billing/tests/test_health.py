def test_healthz(client):
    assert client.get("/healthz").status_code == 200


def test_invoice_total(client):
    assert client.get("/invoices/1").json()["total"] == 10
