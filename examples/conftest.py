# examples/anops is a fixture repository with tests of its own, some of which
# fail on purpose (it is the "before" state that anops-policy evaluates).
# Keep them out of anops-policy's own test run; `pytest examples/anops/...`
# (or running pytest from inside a copy) still runs them, with
# examples/anops/pytest.ini as their rootdir.
collect_ignore = ["anops"]
