"""model-service: serves the release-notes sentiment model over gRPC.

The model is a small linear bag-of-words classifier stored as JSON (see
models/sentiment-v3.json). It is loaded on the first request, so the
container comes up even while the model volume is still being mounted.

Environment:
    MODEL_PATH  path of the model JSON file (required)
    GRPC_PORT   port to listen on (default 50051)
"""
import json
import math
import os
import re
import threading
from concurrent import futures

import grpc

import model_pb2
import model_pb2_grpc

TOKEN = re.compile(r"[a-z']+")


class Model:
    def __init__(self, name, version, labels, bias, weights):
        if len(bias) != len(labels):
            raise ValueError(f"bias has {len(bias)} values for {len(labels)} labels")
        self.name = name
        self.version = version
        self.labels = labels
        self.bias = bias
        self.weights = weights

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
        return cls(raw["name"], raw["version"], raw["labels"], raw["bias"], raw["weights"])

    def predict(self, text):
        """Returns (label, probability) pairs, most likely first."""
        logits = list(self.bias)
        for token in TOKEN.findall(text.lower()):
            for i, weight in enumerate(self.weights.get(token, ())):
                logits[i] += weight
        top = max(logits)
        exps = [math.exp(x - top) for x in logits]
        total = sum(exps)
        ranked = [(label, e / total) for label, e in zip(self.labels, exps)]
        return sorted(ranked, key=lambda pair: pair[1], reverse=True)


class ModelServicer(model_pb2_grpc.ModelServiceServicer):
    def __init__(self, model_path):
        self.model_path = model_path
        self._model = None
        self._lock = threading.Lock()
        self._served = 0

    def model(self):
        with self._lock:
            if self._model is None:
                print(f"loading model from {self.model_path}")
                self._model = Model.load(self.model_path)
                print(f"loaded {self._model.name} {self._model.version}")
            return self._model

    def Predict(self, request, context):
        # TODO: return INTERNAL with details when the model fails to load
        model = self.model()
        ranked = model.predict(request.text)
        with self._lock:
            self._served += 1
        print(f"[{request.request_id or '-'}] predicted {ranked[0][0]}")
        return model_pb2.PredictResponse(
            label=ranked[0][0],
            scores=[model_pb2.LabelScore(label=label, score=score) for label, score in ranked],
            model_version=model.version,
        )

    def Status(self, request, context):
        try:
            model = self.model()
        except Exception:
            return model_pb2.StatusResponse(ready=False)
        return model_pb2.StatusResponse(
            ready=True, model_version=model.version, predictions_served=self._served
        )


def serve():
    model_path = os.environ["MODEL_PATH"]
    port = os.environ.get("GRPC_PORT", "50051")

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    model_pb2_grpc.add_ModelServiceServicer_to_server(ModelServicer(model_path), server)
    server.add_insecure_port(f"[::]:{port}")
    server.start()
    print(f"model-service listening on port {port}")
    server.wait_for_termination()


if __name__ == "__main__":
    serve()
