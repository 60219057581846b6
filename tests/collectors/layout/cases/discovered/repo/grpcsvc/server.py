from concurrent import futures

import grpc


def serve() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_insecure_port("[::]:50051")
    server.start()
    server.wait_for_termination()


if __name__ == "__main__":
    serve()
