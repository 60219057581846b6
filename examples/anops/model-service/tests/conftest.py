import sys
from pathlib import Path

import grpc
import pytest

SERVICE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SERVICE_DIR))

import model_pb2_grpc  # noqa: E402
import server  # noqa: E402

MODEL_PATH = SERVICE_DIR / "models" / "sentiment-v3.json"


@pytest.fixture
def stub():
    """A ModelService stub talking to an in-process server on a free port."""
    grpc_server = grpc.server(server.futures.ThreadPoolExecutor(max_workers=2))
    model_pb2_grpc.add_ModelServiceServicer_to_server(
        server.ModelServicer(str(MODEL_PATH)), grpc_server
    )
    port = grpc_server.add_insecure_port("127.0.0.1:0")
    grpc_server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield model_pb2_grpc.ModelServiceStub(channel)
    grpc_server.stop(grace=None)
