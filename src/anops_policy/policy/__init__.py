"""A policy and a pack: model, loading, static check against the fact schema, compiled-policy cache, index.

May import cel, telemetry and the shared leaves."""
