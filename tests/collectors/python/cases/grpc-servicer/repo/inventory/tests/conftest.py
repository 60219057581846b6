import grpc
import pytest

import inventory_pb2_grpc
import server as inventory_server


@pytest.fixture
def stock():
    return {"apple": 3}


@pytest.fixture
def inventory(stock):
    server, port = inventory_server.build_server(stock, 0)
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    yield inventory_pb2_grpc.InventoryStub(channel)
    channel.close()
    server.stop(grace=None)
