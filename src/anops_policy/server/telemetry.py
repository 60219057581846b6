"""A server interceptor that gives every RPC a span (continuing the caller's trace from its
``traceparent`` metadata) and records its status code and latency, through ``anops_policy.telemetry.tracing``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc

from anops_policy.telemetry import tracing


class RpcTelemetry(grpc.ServerInterceptor):  # type: ignore[misc]
    def intercept_service(
        self, continuation: Callable[[grpc.HandlerCallDetails], Any], details: grpc.HandlerCallDetails
    ) -> Any:
        handler = continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler
        method: str = details.method
        inner = handler.unary_unary
        carrier = {k: v for k, v in (details.invocation_metadata or ()) if isinstance(v, str)}
        service, _, name = method.strip("/").rpartition("/")

        def behavior(request: Any, context: grpc.ServicerContext) -> Any:
            start = time.monotonic()
            attributes = {"rpc.system": "grpc", "rpc.service": service, "rpc.method": name}
            error: BaseException | None = None
            response: Any = None
            with tracing.span(method.strip("/"), attributes, kind="server", carrier=carrier) as span:
                try:
                    response = inner(request, context)
                except BaseException as exc:  # context.abort() raises: the status code is on the context
                    error = exc
                status = context.code() if error is not None else grpc.StatusCode.OK
                if not isinstance(status, grpc.StatusCode):
                    status = grpc.StatusCode.UNKNOWN
                span.set("rpc.grpc.status_code", status.value[0])
                if status != grpc.StatusCode.OK:
                    # set here, not by the exception leaving the span: abort's exception carries no message
                    span.fail(f"{status.name}: {context.details() or ''}")
            tracing.record_rpc(method, status.name, time.monotonic() - start)
            if error is not None:
                raise error
            return response

        return grpc.unary_unary_rpc_method_handler(
            behavior,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
