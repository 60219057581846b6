import logging
import os
import sys
from concurrent import futures

import grpc
from pythonjsonlogger.json import JsonFormatter

handler = logging.StreamHandler(sys.stdout)
handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(message)s"))
root = logging.getLogger()
root.addHandler(handler)
logging.getLogger().setLevel(os.environ["QUOTES_LOG_LEVEL"])
logging.getLogger("grpc").setLevel(logging.ERROR)


def serve():
    server = grpc.server(futures.ThreadPoolExecutor())
    server.start()
    server.wait_for_termination()
