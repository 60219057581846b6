import logging
import os
from concurrent import futures

import grpc

import inventory_pb2
import inventory_pb2_grpc

log = logging.getLogger("inventory")


class StockError(Exception):
    pass


class InventoryService(inventory_pb2_grpc.InventoryServicer):
    def __init__(self, stock):
        self.stock = stock

    def Reserve(self, request, context):
        try:
            left = self.stock[request.sku] - request.quantity
        except KeyError:
            context.abort(grpc.StatusCode.NOT_FOUND, f"unknown sku {request.sku}")
        except Exception as err:
            log.exception("reserve failed")
            context.abort(grpc.StatusCode.INTERNAL, str(err))
        if left < 0:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, "not enough stock")
        self.stock[request.sku] = left
        return inventory_pb2.ReserveReply(remaining=left)


def build_server(stock, port):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    inventory_pb2_grpc.add_InventoryServicer_to_server(InventoryService(stock), server)
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    return server, bound


def main():
    port = os.environ.get("INVENTORY_PORT", "50052")
    server, _ = build_server({}, port)
    server.start()
    server.wait_for_termination()


if __name__ == "__main__":
    main()
