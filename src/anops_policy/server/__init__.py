"""The policy decision service over gRPC (the only package that imports grpc): the generated stubs, the
servicer, the evaluation worker processes, the ``serve`` runtime and the ``eval --server`` client."""
