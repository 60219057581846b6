# The case folders hold whole repositories (test suites and result files included); they are inputs,
# never collected here.
collect_ignore_glob = ["cases/*"]
