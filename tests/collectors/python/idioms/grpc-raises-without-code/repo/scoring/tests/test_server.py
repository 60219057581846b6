import grpc
import pytest

import server


@pytest.fixture
def channel(monkeypatch):
    monkeypatch.setenv("SCORING_MODEL", "/nonexistent/model.bin")
    srv = server.build(50997)
    srv.start()
    yield grpc.insecure_channel("127.0.0.1:50997")
    srv.stop(None)


def test_unreadable_model_fails(channel):
    # the code is not checked: any failure (even UNAVAILABLE) passes this test
    with pytest.raises(grpc.RpcError):
        channel.unary_unary("/score.Scorer/Score")(b"x", timeout=5)
