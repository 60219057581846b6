"""Collector plugins: discovery, loading, the static check and a sample plugin installed from its wheel."""
