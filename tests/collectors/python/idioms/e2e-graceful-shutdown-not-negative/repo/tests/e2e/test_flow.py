import subprocess
import sys
import time

import pytest
import requests


@pytest.fixture
def server():
    proc = subprocess.Popen([sys.executable, "-m", "pricing.server"])
    time.sleep(0.5)
    yield proc
    proc.terminate()
    proc.wait(timeout=10)


def test_price_of_known_item(server):
    response = requests.get("http://127.0.0.1:8080/items/apple", timeout=5)
    assert response.status_code == 200
    assert response.json()["price"] == 3


def test_unknown_item_is_404(server):
    response = requests.get("http://127.0.0.1:8080/items/unknown", timeout=5)
    assert response.status_code == 404


def test_stops_cleanly_on_sigterm(server):
    server.terminate()
    assert server.wait(timeout=10) == 0
