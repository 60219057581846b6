import threading
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

import app


@pytest.fixture(scope="module")
def url():
    server = app.build(0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d/" % server.server_port


def test_bad_body(url, monkeypatch):
    monkeypatch.setenv("INVENTORY_PORT", "0")
    with pytest.raises(HTTPError):
        urlopen(Request(url, data=b"nope"))
