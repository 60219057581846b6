"""The policy decision service over gRPC (the only package that imports grpc): the generated stubs, the
servicer, the evaluation worker processes, the pack snapshots calls are judged by and the follower that swaps
in new revisions of remote packs (``serve --pack-refresh``), the ``serve`` runtime and the ``eval --server``
client."""
