"""api-service: the public HTTP API of AnOps.

Takes text over HTTP, asks model-service (gRPC, anops.model.v1) for a
prediction and returns it as JSON.

Environment:
    MODEL_SERVICE_ADDR  host:port of model-service (required)
    API_PORT            port to listen on (default 8080)
    LOG_LEVEL           uvicorn's log level (default info)
"""
import logging
import os
import uuid
from contextlib import asynccontextmanager

import grpc
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

import model_pb2
import model_pb2_grpc

logging.basicConfig(level=logging.INFO)
log = logging.getLogger("api-service")


class ModelClient:
    """Blocking client for model-service; one channel for the whole process."""

    def __init__(self, addr, timeout=2.0):
        self.addr = addr
        self.timeout = timeout
        self._channel = grpc.insecure_channel(addr)
        self._stub = model_pb2_grpc.ModelServiceStub(self._channel)

    def predict(self, text, request_id=""):
        request = model_pb2.PredictRequest(text=text, request_id=request_id)
        return self._stub.Predict(request, timeout=self.timeout)

    def status(self):
        return self._stub.Status(model_pb2.StatusRequest(), timeout=self.timeout)

    def close(self):
        self._channel.close()


class PredictIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class LabelScore(BaseModel):
    label: str
    score: float


class PredictOut(BaseModel):
    request_id: str
    label: str
    scores: list[LabelScore]
    model_version: str


@asynccontextmanager
async def lifespan(app: FastAPI):
    addr = os.environ["MODEL_SERVICE_ADDR"]
    print(f"using model-service at {addr}")
    app.state.model = ModelClient(addr)
    yield
    try:
        app.state.model.close()
    except Exception:
        pass


app = FastAPI(title="AnOps API", version="0.3.0", lifespan=lifespan)


def get_model(request: Request) -> ModelClient:
    return request.app.state.model


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/readyz")
def readyz(model: ModelClient = Depends(get_model)):
    try:
        status = model.status()
    except:
        raise HTTPException(status_code=503, detail="not ready")
    if not status.ready:
        raise HTTPException(status_code=503, detail="model not loaded")
    return {"status": "ready", "model_version": status.model_version}


@app.post("/v1/predict", response_model=PredictOut)
def predict(body: PredictIn, model: ModelClient = Depends(get_model)):
    request_id = uuid.uuid4().hex
    try:
        reply = model.predict(body.text, request_id)
    except:
        print(f"[{request_id}] prediction failed")
        raise HTTPException(status_code=500, detail="prediction failed")
    log.info("[%s] %s (model %s)", request_id, reply.label, reply.model_version)
    return PredictOut(
        request_id=request_id,
        label=reply.label,
        scores=[LabelScore(label=s.label, score=s.score) for s in reply.scores],
        model_version=reply.model_version,
    )


if __name__ == "__main__":
    uvicorn.run(
        app,
        host="0.0.0.0",
        port=int(os.getenv("API_PORT", "8080")),
        log_level=os.getenv("LOG_LEVEL", "info").lower(),
    )
