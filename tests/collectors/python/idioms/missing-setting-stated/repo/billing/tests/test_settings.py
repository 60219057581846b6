import pytest

from app import SettingsError, create_app


def test_missing_database_url_stops_start_up(monkeypatch):
    monkeypatch.delenv("BILLING_DB_URL", raising=False)
    with pytest.raises(SettingsError, match="BILLING_DB_URL"):
        create_app()


def test_health(monkeypatch):
    monkeypatch.setenv("BILLING_DB_URL", "sqlite://")
    monkeypatch.setenv("BILLING_REGION", "eu")
    client = create_app().test_client()
    assert client.get("/health").status_code == 200
