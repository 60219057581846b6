import os
from concurrent import futures

import grpc


class ConfigError(RuntimeError):
    pass


def model_path():
    try:
        return os.environ["SCORING_MODEL"]
    except KeyError:
        raise ConfigError("SCORING_MODEL is not set: point it at the model file") from None


def handler(request, context):
    if not request:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "empty request")
    try:
        with open(model_path(), "rb") as f:
            return f.read(4)
    except OSError as exc:
        context.abort(grpc.StatusCode.INTERNAL, f"model unreadable: {exc}")


def build(port):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    rpc = grpc.unary_unary_rpc_method_handler(handler)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("score.Scorer", {"Score": rpc}),))
    server.add_insecure_port(f"127.0.0.1:{port}")
    return server


if __name__ == "__main__":
    model_path()
    s = build(int(os.environ.get("SCORING_PORT", "50051")))
    s.start()
    s.wait_for_termination()
