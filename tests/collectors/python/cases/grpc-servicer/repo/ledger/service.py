import asyncio
import os

import grpc
from grpc import aio

import ledger_pb2_grpc


class Ledger(ledger_pb2_grpc.LedgerServicer):
    async def Append(self, request, context):
        return None

    async def _flush(self):
        pass


async def serve():
    server = aio.server()
    ledger_pb2_grpc.add_LedgerServicer_to_server(Ledger(), server)
    server.add_insecure_port("[::]:" + os.environ["LEDGER_PORT"])
    await server.start()
    await server.wait_for_termination()


if __name__ == "__main__":
    asyncio.run(serve())
