"""The case repositories here are inputs to the collectors, not tests of this project."""

collect_ignore_glob = ["*/*"]
