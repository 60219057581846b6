"""Concurrent evaluations append to one log without interleaving lines or forking the chain."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from audit_helpers import NOW, Tiny, anops, events, invoke

from anops_policy.audit.verify import verify_log

WORKERS = 8
RUNS = 50

# One eval process that runs `anops-policy eval` RUNS times through the CLI entry point (the command,
# the engine, the lock, the append), so 8 of them contend for the log the way 8 CI jobs would, without
# paying the interpreter start-up and CEL grammar build 400 times.
WORKER = """
import sys, time
from pathlib import Path
from anops_policy.cli.main import cli
go, runs, args = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
while not go.exists():
    time.sleep(0.001)
codes = []
for _ in range(runs):
    try:
        cli.main(args=args, prog_name="anops-policy", standalone_mode=False)
    except SystemExit as exc:
        codes.append(exc.code)
print("codes:" + ",".join(str(c) for c in codes))
"""


def saved_facts(tiny: Tiny) -> Path:
    facts = tiny.root / "facts.json"
    assert invoke("facts", str(tiny.repo), "--only", "todos", "--only", "layout", "--now", NOW,
                  "-o", str(facts)).exit_code == 0
    return facts


def test_eight_concurrent_eval_processes_make_one_chain_of_400(tiny: Tiny) -> None:
    facts = saved_facts(tiny)
    log = tiny.root / "shared" / "decisions.jsonl"
    go = tiny.root / "go"
    args = ["eval", str(tiny.root), "--facts", str(facts), "--policies", str(tiny.pack), "--decision-log", str(log),
            "-q"]
    procs = []
    for worker in range(WORKERS):
        env = {"GITHUB_ACTOR": "ci-bot", "GITHUB_RUN_ID": f"worker-{worker}", "PATH": "/usr/bin:/bin",
               "HOME": str(tiny.root)}
        procs.append(subprocess.Popen([sys.executable, "-c", WORKER, str(go), str(RUNS), *args], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    time.sleep(0.5)
    go.touch()
    outputs = [p.communicate(timeout=900) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-2000:]
        # each run blocked on the TODO (exit 1); none failed to record (exit 3)
        assert out.strip().splitlines()[-1] == "codes:" + ",".join(["1"] * RUNS), err[-2000:]
    records = events(log)
    assert len(records) == WORKERS * RUNS
    assert [r["seq"] for r in records] == list(range(1, WORKERS * RUNS + 1))
    assert Counter(r["actor"]["ci"]["GITHUB_RUN_ID"] for r in records) == {f"worker-{w}": RUNS for w in range(WORKERS)}
    assert len({r["decision_id"] for r in records}) == WORKERS * RUNS
    # the workers really interleaved (the lock serialised appends, not whole workers)
    switches = sum(1 for a, b in itertools.pairwise(records)
                   if a["actor"]["ci"]["GITHUB_RUN_ID"] != b["actor"]["ci"]["GITHUB_RUN_ID"])
    assert switches > WORKERS
    result = verify_log(log)
    assert result.ok, [p.describe() for p in result.problems[:3]]
    assert result.to_json()["last_seq"] == WORKERS * RUNS


def test_concurrent_cli_processes(tiny: Tiny) -> None:
    """The same with one real `anops-policy eval` process per run, all started at once."""
    facts = saved_facts(tiny)
    log = tiny.root / "cli" / "decisions.jsonl"
    procs = [subprocess.Popen([sys.executable, "-m", "anops_policy", "eval", str(tiny.root), "--facts", str(facts),
                               "--policies", str(tiny.pack), "--decision-log", str(log), "-q"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(WORKERS)]
    for proc in procs:
        _out, err = proc.communicate(timeout=900)
        assert proc.returncode == 1, err
    assert [r["seq"] for r in events(log)] == list(range(1, WORKERS + 1))
    verified = anops("audit", "verify", str(log))
    assert verified.returncode == 0 and f"{WORKERS} records" in verified.stdout
