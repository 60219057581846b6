import os


def test_stub_present():
    assert os.path.exists(os.path.join("api", "odd_pb2.py"))
