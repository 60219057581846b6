import unittest

import grpc
import pytest

import server


@pytest.fixture
def channel(tmp_path, monkeypatch):
    monkeypatch.setenv("SCORING_MODEL", str(tmp_path / "missing.bin"))
    monkeypatch.setenv("SCORING_PORT", "50999")
    srv = server.build(50999)
    srv.start()
    with grpc.insecure_channel("127.0.0.1:50999") as ch:
        yield ch
    srv.stop(grace=None)


def score(channel, payload):
    return channel.unary_unary("/score.Scorer/Score")(payload, timeout=5)


def test_unreadable_model_is_internal(channel):
    with pytest.raises(grpc.RpcError) as e:
        score(channel, b"x")
    assert e.value.code() == grpc.StatusCode.INTERNAL
    assert "model unreadable" in e.value.details()


def test_missing_model_setting(monkeypatch):
    monkeypatch.delenv("SCORING_MODEL", raising=False)
    with pytest.raises(server.ConfigError, match="SCORING_MODEL"):
        server.model_path()


class EmptyRequestTest(unittest.TestCase):
    def test_empty_request_is_invalid(self):
        srv = server.build(50998)
        srv.start()
        self.addCleanup(srv.stop, None)
        with grpc.insecure_channel("127.0.0.1:50998") as ch:
            with self.assertRaises(grpc.RpcError) as cm:
                ch.unary_unary("/score.Scorer/Score")(b"", timeout=5)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
