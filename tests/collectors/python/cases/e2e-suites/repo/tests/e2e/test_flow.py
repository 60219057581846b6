import json
import urllib.error
import urllib.request

import pytest


def get(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, json.load(response)


@pytest.mark.e2e
def test_price_of_known_item(pricing):
    status, body = get(f"{pricing}/prices/1")
    assert status == 200
    assert body == {"price": 999}


@pytest.mark.e2e
def test_unknown_item_is_404(pricing):
    with pytest.raises(urllib.error.HTTPError) as err:
        get(f"{pricing}/prices/404")
    assert err.value.status == 404


def test_catalog_unreachable_host():
    with pytest.raises(urllib.error.URLError):
        get("http://catalog.invalid:18081/items/1")


def test_pricing_down(pricing):
    import subprocess

    subprocess.run(["docker", "compose", "stop", "pricing"], check=True)
    with pytest.raises(urllib.error.URLError):
        get(f"{pricing}/prices/1")
