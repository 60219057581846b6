"""Pack snapshots in the worker pool: a call is judged with the snapshot it took, whatever was swapped in
since; a worker whose packs are another snapshot's gets the call's packs first; replacements start with
the newest snapshot."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from anops_policy.policy.model import Pack
from anops_policy.policy.packs import builtin_pack_dir, load_pack
from anops_policy.server.client import report_from_json
from anops_policy.server.judge import Job
from anops_policy.server.revisions import Revisions
from anops_policy.server.workers import WorkerPool

OTHER = "sha256:" + "0" * 64


def test_each_call_is_judged_by_the_snapshot_it_took(example_facts: Path) -> None:
    pack = load_pack(builtin_pack_dir("production-readiness"), display="builtin:production-readiness")
    revisions = Revisions([pack])
    pool = WorkerPool(1, revisions, 30.0, max_jobs=3)
    job = Job(facts_json=example_facts.read_bytes(), policies=("ci-publishes-test-reports",))
    try:
        old = revisions.current()
        assert pool.run(job, 60, 60).packs[0][2] == pack.digest
        fresh = revisions.swap(lambda packs: [replace(p, digest=OTHER, version="9.9.9") for p in packs])
        assert fresh.generation == old.generation + 1 and revisions.current() is fresh
        # a call that took the old snapshot before the swap is still judged by it, by the same worker
        assert pool.run(job, 60, 60, snapshot=old).packs[0][2] == pack.digest
        # the next call takes the new one: the worker is brought to it first
        judged = pool.run(job, 60, 60)
        assert judged.packs[0][1:3] == ("9.9.9", OTHER)
        # the worker retired after 3 jobs: its replacement judges with the newest packs too
        assert pool.run(job, 60, 60).packs[0][2] == OTHER
        assert pool.replaced == 1
    finally:
        pool.close()


def test_a_swap_replaces_the_whole_set() -> None:
    pack = load_pack(builtin_pack_dir("production-readiness"))
    revisions = Revisions([pack])
    seen: list[tuple[Pack, ...]] = []

    def change(packs: tuple[Pack, ...]) -> list[Pack]:
        seen.append(packs)
        return [replace(packs[0], digest=OTHER)]

    revisions.swap(change)
    assert seen == [(pack,)]
    assert [p.digest for p in revisions.current().packs] == [OTHER]
    assert revisions.current().describe().endswith(OTHER[:19])


def test_a_remote_report_names_the_revision_that_judged_it() -> None:
    """`eval --server` lists the packs, then evaluates: a swap in between must not make the report name the
    listed revision instead of the one that judged."""
    pack = load_pack(builtin_pack_dir("production-readiness"), display="builtin:production-readiness")
    judged = {"packs": [{"id": pack.id, "version": "9.9.9", "digest": OTHER, "source": pack.source}],
              "decisions": [], "run": {}, "collectors": {}, "notes": []}
    report = report_from_json(judged, [pack])
    assert [(p.version, p.digest) for p in report.packs] == [("9.9.9", OTHER)]
