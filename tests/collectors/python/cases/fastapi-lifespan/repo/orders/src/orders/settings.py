import os
from dataclasses import dataclass


class SettingsError(Exception):
    pass


@dataclass(frozen=True)
class Settings:
    database_url: str
    port: int
    api_token: str


def load_settings():
    database_url = os.environ["DATABASE_URL"]
    port = int(os.getenv("ORDERS_PORT", "8000"))
    token = os.environ.get("ORDERS_API_TOKEN", "dev-token-123")
    if not database_url.startswith(("postgresql://", "sqlite://")):
        raise SettingsError(f"DATABASE_URL must be postgresql:// or sqlite://, got {database_url!r}")
    return Settings(database_url=database_url, port=port, api_token=token)
