import pytest
import requests

pytestmark = pytest.mark.usefixtures("live_api")
BASE = "http://127.0.0.1:8765"  # where the live_api fixture serves


def test_list():
    resp = requests.get(BASE + "/products", timeout=5)
    assert resp.status_code == 200
    assert resp.json()["page_size"] == 5


def test_price_must_be_a_number(live_api):
    with pytest.raises(requests.HTTPError) as err:
        requests.post(live_api + "/products", json={"sku": "a", "price_cents": "x"}, timeout=5).raise_for_status()
    assert err.value.response.status_code == 422
