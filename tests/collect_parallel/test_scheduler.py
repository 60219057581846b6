"""The parallel collection scheduler on small made-up collectors: dependencies, memo groups pinned to
one worker, a dying worker, sections that cannot cross a process boundary, progress and read counts."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.collection import parallel as collect_parallel
from anops_policy.collection.collector import CollectContext, CollectorRun, run_collector
from anops_policy.collection.counting import CountingRepo
from anops_policy.collection.parallel import ParallelCollection, Placement, resolve_jobs
from anops_policy.collection.repo import Repo
from anops_policy.collection.worker import Finished
from anops_policy.config import RepoConfig

NOW = datetime(2026, 11, 26, tzinfo=UTC)
SHARED = "probe.shared"  # a memo key whose entries may travel between workers


def dead(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in {"Z", "X"}
    except (FileNotFoundError, ProcessLookupError):
        return True


class Escape(BaseException):
    """Neither an Exception nor SystemExit: nothing in the collector framework catches it."""


class Probe:
    """Records where it ran, what it saw and what the memo held; optionally reads files, sleeps or dies."""

    version = "1"

    def __init__(self, name: str, depends_on: tuple[str, ...] = (), *, action: str = "", sleep: float = 0.0) -> None:
        self.name = name
        self.depends_on = depends_on
        self.action = action
        self.sleep = sleep

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        seen_memo = sorted(ctx.memo)
        shared = dict(ctx.memo.get(SHARED, {}))
        if self.action == "share":
            ctx.memo.setdefault(SHARED, {})[self.name] = os.getpid()
        ctx.memo[self.name] = True
        if self.sleep:
            time.sleep(self.sleep)
        if self.action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if self.action == "exit":
            os._exit(7)
        if self.action == "systemexit":
            raise SystemExit(5)
        if self.action == "escape":
            raise Escape("left the collector")
        if self.action == "kill-pinned":  # stands in for the OOM killer picking an idle worker
            victim = int(ctx.facts["p"]["pid"])
            os.kill(victim, signal.SIGKILL)
            while not dead(victim):  # the kill has landed before this collector reports back
                time.sleep(0.01)
        if self.action == "unpicklable":
            return {"pid": os.getpid(), "value": lambda: None}
        if self.action == "read":
            for path in ctx.files():
                ctx.read_text(path)
        return {
            "pid": os.getpid(),
            "facts": {k: v.get("pid") for k, v in ctx.facts.items()},
            "memo": seen_memo,
            "shared": shared,
            "at": time.time_ns(),
        }


def schedule(
    tmp_path: Path,
    collectors: list[Probe],
    *,
    jobs: int = 2,
    groups: Mapping[str, Placement] | None = None,
    repo: Repo | None = None,
    **hooks: Any,
) -> dict[str, CollectorRun]:
    places = dict(groups or {})
    runs = ParallelCollection(
        collectors,
        repo=repo or Repo(tmp_path, use_git=False),
        config=RepoConfig(),
        now=NOW,
        jobs=jobs,
        run_one=run_collector,
        placement=lambda name: places.get(name, Placement()),
        **hooks,
    ).run()
    assert [r.name for r in runs] == [c.name for c in collectors], "runs come back in the given order"
    return {r.name: r for r in runs}


def section(runs: Mapping[str, CollectorRun], name: str) -> dict[str, Any]:
    run = runs[name]
    assert run.status == "ok", run.error
    assert run.section is not None
    return run.section


def test_dependencies_see_exactly_their_sections_from_any_worker(tmp_path: Path) -> None:
    probes = [Probe("a", sleep=0.3), Probe("b", sleep=0.3), Probe("c", ("a", "b")), Probe("d", ("c",))]
    runs = schedule(tmp_path, probes)
    a, b, c, d = (section(runs, n) for n in "abcd")
    assert a["pid"] != b["pid"], "two independent collectors run side by side"
    assert os.getpid() not in {a["pid"], b["pid"], c["pid"], d["pid"]}
    assert c["facts"] == {"a": a["pid"], "b": b["pid"]}
    assert d["facts"] == {"c": c["pid"]}, "only declared dependencies, never everything collected so far"


def test_a_memo_group_runs_in_one_worker_and_shares_the_memo(tmp_path: Path) -> None:
    groups = {"p": Placement(group="ast", cost=10), "g": Placement(group="ast"), "l": Placement(group="ast")}
    probes = [Probe("r", sleep=0.5), Probe("p", sleep=0.2), Probe("g"), Probe("l", ("r",)), Probe("x"), Probe("y")]
    runs = schedule(tmp_path, probes, groups=groups)
    p, g, log = section(runs, "p"), section(runs, "g"), section(runs, "l")
    assert p["pid"] == g["pid"] == log["pid"]
    assert "p" in g["memo"] and {"p", "g"} <= set(log["memo"]), "later group members see the earlier ones' work"
    assert section(runs, "r")["pid"] != p["pid"]


def test_memo_entries_travel_to_the_worker_that_reuses_them(tmp_path: Path) -> None:
    # r and s leave entries under SHARED in one worker; g, pinned with p to the other worker, reuses them:
    # it waits for both (after, not depends_on: no sections) and gets the entries shipped, not its facts
    groups = {
        "p": Placement(group="ast", cost=10),
        "g": Placement(group="ast", memo_in=(SHARED,), after=("r", "s")),
        "r": Placement(group="other", cost=5),
        "s": Placement(group="other"),
    }
    probes = [Probe("p"), Probe("r", action="share", sleep=0.3), Probe("s", action="share"), Probe("g")]
    runs = schedule(tmp_path, probes, groups=groups)
    p, r, s, g = (section(runs, n) for n in "prsg")
    assert r["pid"] == s["pid"] != g["pid"] == p["pid"]
    assert g["shared"] == {"r": r["pid"], "s": s["pid"]}
    assert g["facts"] == {}, "after orders the run; it hands over no sections"
    assert g["at"] > max(r["at"], s["at"])


def test_costliest_ready_collector_starts_first(tmp_path: Path) -> None:
    started: list[list[str]] = []
    groups = {"heavy": Placement(cost=50), "medium": Placement(cost=5)}
    probes = [Probe("light"), Probe("medium"), Probe("heavy")]
    schedule(tmp_path, probes, groups=groups, on_start=lambda names, _done: started.append(list(names)))
    assert started[0] == ["heavy"] and started[1] == ["heavy", "medium"]


@pytest.mark.parametrize(
    ("action", "how"),
    [
        ("kill", "was killed by signal 9 (out of memory? --jobs 1 collects in one process)"),
        ("exit", "exited with code 7"),
        ("escape", "exited with code 70 (Escape: left the collector)"),
    ],
)
def test_a_dying_worker_costs_only_its_collector(tmp_path: Path, action: str, how: str) -> None:
    groups = {"doomed": Placement(group="ast"), "sibling": Placement(group="ast")}
    probes = [
        Probe("doomed", action=action),
        Probe("sibling", ("doomed",)),
        Probe("other"),
        Probe("after", ("doomed",)),
    ]
    runs = schedule(tmp_path, probes, groups=groups)
    doomed = runs["doomed"]
    assert doomed.status == "error" and doomed.section is None
    assert doomed.error is not None and how in doomed.error
    for name in ("sibling", "other", "after"):
        assert section(runs, name)["facts"] == {}, "dependents still run, without the lost section"


def test_system_exit_in_a_collector_is_its_error_in_a_worker_as_in_process(tmp_path: Path) -> None:
    probe = Probe("quits", action="systemexit")
    in_process = run_collector(
        probe, CollectContext(repo=Repo(tmp_path, use_git=False), config=RepoConfig(), now=NOW, facts={})
    )
    runs = schedule(tmp_path, [Probe("quits", action="systemexit"), Probe("next", ("quits",))])
    assert runs["quits"].status == in_process.status == "error"
    assert runs["quits"].error == in_process.error == "internal error in collector quits: SystemExit: 5"
    assert section(runs, "next")["facts"] == {}


def test_an_idle_worker_dying_costs_only_its_groups_shared_work(tmp_path: Path) -> None:
    # p (group ast) finishes and its worker idles; k, in the other worker, kills it; g (group ast) then
    # needs a worker for its group: a new one runs it, and the collection goes on
    groups = {
        "p": Placement(group="ast", cost=10),
        "g": Placement(group="ast"),
        "r": Placement(group="other"),
        "k": Placement(group="other"),
    }
    probes = [Probe("p"), Probe("r", sleep=0.5), Probe("k", ("r", "p"), action="kill-pinned"), Probe("g", ("k",))]
    runs = schedule(tmp_path, probes, groups=groups)
    p, g = section(runs, "p"), section(runs, "g")
    assert section(runs, "k")["pid"] != p["pid"]
    assert g["pid"] != p["pid"] and "p" not in g["memo"], "a fresh worker, without the dead one's memo"


def test_a_section_that_cannot_leave_the_worker_is_an_error_not_a_crash(tmp_path: Path) -> None:
    runs = schedule(tmp_path, [Probe("bad", action="unpicklable"), Probe("next", ("bad",))])
    assert runs["bad"].status == "error"
    assert runs["bad"].error is not None and "could not be passed on" in runs["bad"].error
    assert section(runs, "next")["facts"] == {}


def test_reads_in_workers_reach_the_parent_and_spans_get_the_worker_times(tmp_path: Path) -> None:
    for i in range(40):
        (tmp_path / f"f{i}.txt").write_text("x\n", encoding="utf-8")
    counted: list[int] = []
    in_child: list[str] = []
    finished: list[Finished] = []
    repo = CountingRepo(tmp_path, on_read=in_child.append, use_git=False)

    def on_finish(_collector: Any, done: Finished) -> CollectorRun:
        finished.append(done)
        return done.run

    before = time.time_ns()
    runs = schedule(
        tmp_path,
        [Probe("a", action="read"), Probe("b", action="read")],
        repo=repo,
        on_reads=counted.append,
        on_finish=on_finish,
    )
    assert sum(counted) == 80 and in_child == [], "the parent's callback is never called in a worker"
    assert sorted(f.reads for f in finished) == [40, 40]
    assert all(before <= f.start_ns <= f.end_ns <= time.time_ns() for f in finished)
    assert {section(runs, n)["pid"] for n in "ab"} != {os.getpid()}


def test_workers_are_gone_when_the_run_ends(tmp_path: Path) -> None:
    runs = schedule(tmp_path, [Probe("a"), Probe("b"), Probe("c")], jobs=3)
    for name in "abc":
        pid = section(runs, name)["pid"]
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


@pytest.mark.parametrize(
    ("requested", "files", "cores", "collectors", "expected"),
    [
        (1, 50_000, 8, 14, 1),  # asked for one process
        (3, 10, 8, 14, 3),  # asked explicitly: even a small repository, even beyond the cores
        (8, 10_000, 8, 2, 2),  # never more workers than collectors
        (None, 299, 8, 14, 1),  # small repository: in process
        (0, 299, 8, 14, 1),  # 0 means "decide"
        (None, 300, 8, 14, 4),  # big enough: one per core, up to 4
        (None, 20_000, 2, 14, 2),
        (None, 20_000, 1, 14, 1),  # one core: in process
        (2, 10_000, 8, 1, 1),  # one collector: nothing to run side by side
    ],
)
def test_resolve_jobs(
    monkeypatch: pytest.MonkeyPatch, requested: int | None, files: int, cores: int, collectors: int, expected: int
) -> None:
    monkeypatch.setattr(collect_parallel, "usable_cores", lambda: cores)
    monkeypatch.setattr(collect_parallel, "native_threads", lambda: 0)  # whatever this test process loaded
    listed: list[bool] = []

    def count() -> int:
        listed.append(True)
        return files

    assert resolve_jobs(requested, count, collectors) == expected
    if requested == 1 or collectors == 1:
        assert not listed, "the repository is not listed when the answer does not depend on it"


def test_no_workers_beside_native_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collect_parallel, "native_threads", lambda: 3)  # e.g. a Go runtime's
    assert resolve_jobs(4, lambda: 50_000, 14) == 1


def test_no_workers_off_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collect_parallel.sys, "platform", "darwin")  # fork is unsafe on macOS
    assert resolve_jobs(4, lambda: 50_000, 14) == 1
