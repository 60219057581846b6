from fastapi.testclient import TestClient

import app as api
import model_pb2


class FakeModel:
    def predict(self, text, request_id=""):
        return model_pb2.PredictResponse(
            label="positive",
            scores=[
                model_pb2.LabelScore(label="positive", score=0.91),
                model_pb2.LabelScore(label="neutral", score=0.07),
                model_pb2.LabelScore(label="negative", score=0.02),
            ],
            model_version="test",
        )


def test_predict_returns_the_model_label():
    api.app.dependency_overrides[api.get_model] = FakeModel
    client = TestClient(api.app)

    response = client.post("/v1/predict", json={"text": "the new release is great"})

    assert response.status_code == 200
    body = response.json()
    assert body["label"] == "positive"
    assert [s["label"] for s in body["scores"]] == ["positive", "neutral", "negative"]
    assert body["model_version"] == "test"


def test_healthz():
    client = TestClient(api.app)
    assert client.get("/healthz").json() == {"status": "ok"}
