import requests

from recommender import client


def test_history_is_bounded(monkeypatch):
    calls = []
    monkeypatch.setattr(requests, "get", lambda url, **kw: calls.append(kw) or _Fake())
    client.history("c1")
    assert calls[0]["timeout"] == 3
    requests.get("http://localhost:9")  # never reached: the fake above answers


class _Fake:
    def raise_for_status(self):
        pass

    def json(self):
        return []
