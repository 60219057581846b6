from fastapi.testclient import TestClient

from app import app


def test_get_account():
    response = TestClient(app).get("/accounts/1")
    print(response.json())
    assert response.status_code == 200
