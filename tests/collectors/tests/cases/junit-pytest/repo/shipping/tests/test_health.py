import pytest


def test_healthz(client):
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("weight", [1, 20, 200])
def test_rate(client, weight):
    assert client.get(f"/rate?weight={weight}").ok


@pytest.mark.xfail(reason="carrier API flaky")
def test_track():
    raise TimeoutError
