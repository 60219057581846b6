import model_pb2


def test_predict_returns_label(stub):
    reply = stub.Predict(model_pb2.PredictRequest(text="The 3.2 release is fast and stable"))
    assert reply.label == "positive"
    assert reply.model_version == "3.1.0"


def test_predict_returns_scores(stub):
    reply = stub.Predict(model_pb2.PredictRequest(text="upgrade crashes with a timeout"))
    assert [s.label for s in reply.scores][0] == "negative"
    assert len(reply.scores) == 3
    assert sum(s.score for s in reply.scores) == 1.0


def test_status_after_first_prediction(stub):
    stub.Predict(model_pb2.PredictRequest(text="docs update"))
    status = stub.Status(model_pb2.StatusRequest())
    assert status.ready
    assert status.predictions_served == 1
