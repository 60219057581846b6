import loadgen


def test_replay_counts_requests(monkeypatch):
    class Response:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return b"[]"

    monkeypatch.setattr(loadgen.urllib.request, "urlopen", lambda url, timeout: Response())
    monkeypatch.setattr(loadgen.time, "sleep", lambda s: None)
    assert loadgen.replay("http://gw", 100.0, ["/a", "/b"]) == 2
