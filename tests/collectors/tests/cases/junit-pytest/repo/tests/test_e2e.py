import requests


def test_order_flow():
    assert requests.get("http://localhost:8080/orders").ok
