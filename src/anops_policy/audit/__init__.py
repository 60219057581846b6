"""The decision log: events, the hash chain and its store, verify, replay, sign-off, trusted config.

May import evaluation (replay re-evaluates), policy and below; never outputs, pipeline, server or cli."""
