import logging
import os

import grpc
import structlog
from concurrent import futures

structlog.configure(
    processors=[
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso"),
        structlog.processors.JSONRenderer(),
    ],
    wrapper_class=structlog.make_filtering_bound_logger(
        getattr(logging, os.environ.get("EVENTS_LOG_LEVEL", "WARNING").upper())
    ),
)
log = structlog.get_logger()


def serve():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_insecure_port("[::]:50070")
    server.start()
    log.info("serving", port=50070)
    server.wait_for_termination()
