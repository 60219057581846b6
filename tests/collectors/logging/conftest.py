# The case folders hold whole repositories, tests included; they are inputs, never collected here.
collect_ignore_glob = ["cases/*"]
