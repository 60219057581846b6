import json
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

import server


def post(url, body):
    return urlopen(Request(url, data=body, headers={"Content-Type": "application/json"}))


def test_known_item(base_url):
    with urlopen(base_url + "/apple") as resp:
        assert resp.status == 200
        assert json.load(resp)["count"] == 3


def test_unknown_item_is_404(base_url):
    with pytest.raises(HTTPError) as exc:
        urlopen(base_url + "/plum")
    assert exc.value.code == 404


def test_order_that_is_not_json_is_rejected(base_url):
    with pytest.raises(HTTPError) as exc:
        post(base_url + "/orders", b"{not json")
    assert exc.value.code == 400
    assert "bad order" in json.load(exc.value)["error"]


def test_port_from_environment(monkeypatch):
    monkeypatch.setenv("SHOP_PORT", "0")
    httpd = server.make_server()
    try:
        assert httpd.server_address[1] > 0
    finally:
        httpd.server_close()


def test_log_level_unset(monkeypatch):
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
