from http import HTTPStatus

import pytest
from fastapi import status
from pydantic import ValidationError

from orders.main import OrderIn
from orders.settings import SettingsError, load_settings

pytestmark = pytest.mark.api


def test_create_then_get(client):
    created = client.post("/orders", json={"sku": "abc-1", "quantity": 2})
    assert created.status_code == HTTPStatus.CREATED
    fetched = client.get(f"/orders/{created.json()['id']}")
    assert fetched.status_code == 200


def test_unknown_order_is_404(client):
    assert client.get("/orders/999").status_code == status.HTTP_404_NOT_FOUND


@pytest.mark.parametrize("body", [{}, {"sku": "x", "quantity": 1}, {"sku": "abc", "quantity": 0}])
def test_malformed_order_is_422(client, body):
    response = client.post("/orders", json=body)
    assert response.status_code in (400, 422)


def test_order_model_rejects_zero_quantity():
    with pytest.raises(ValidationError):
        OrderIn(sku="abc", quantity=0)


class TestSettings:
    def test_port_default(self, monkeypatch):
        monkeypatch.delenv("ORDERS_PORT", raising=False)
        assert load_settings().port == 8000

    @pytest.mark.slow
    def test_bad_database_url(self, monkeypatch):
        monkeypatch.setenv("DATABASE_URL", "mysql://db")
        with pytest.raises(SettingsError, match="DATABASE_URL"):
            load_settings()


def test_lifespan_requires_database_url(monkeypatch):
    from fastapi.testclient import TestClient

    from orders.main import app

    monkeypatch.delenv("DATABASE_URL")
    with pytest.raises(KeyError), TestClient(app):
        pass
