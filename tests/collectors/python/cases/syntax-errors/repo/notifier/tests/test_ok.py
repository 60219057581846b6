import app


def test_healthz():
    response = app.app.test_client().get("/healthz")
    assert response.status_code == 200
