"""OpenTelemetry traces and metrics (the only package that imports opentelemetry) and the progress line.

May import the shared leaves only."""
