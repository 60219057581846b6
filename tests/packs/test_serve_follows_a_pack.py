"""The issue's last "must show" line, against a real registry and a real server process: `serve` following
`oci://…:stable` with `--pack-refresh`, under 64 concurrent clients (the `eval --server` client), while a new
signed revision is pushed and then a tampered one. Every answer names exactly one revision, no call fails,
the switch happens within one refresh interval plus the load time, the tampered revision is rejected (log
line and metric) and the good one keeps serving; the decision log records the digest each answer names."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from anops_policy.cli.main import cli
from anops_policy.packs import oci
from anops_policy.packs.archive import Archive, read_archive, write_archive
from anops_policy.packs.sources import parse_source
from anops_policy.server import policy_pb2
from anops_policy.server.client import PolicyClient

ROOT = Path(__file__).resolve().parents[2]
BUILTIN = ROOT / "policies" / "production-readiness"
EXAMPLE = ROOT / "examples" / "anops"
NOW = "2026-11-26T10:00:00Z"
CLIENTS = 64
REFRESH_S = 2.0
SERVING = re.compile(r"serving anops\.policy\.v1 on [^ ]+:(\d+) ")
STAMP = r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) "
SWAPPED = re.compile(STAMP + r"INFO pack production-readiness: now serving revision (sha256:[0-9a-f]{12}) .*"
                     r"loaded in ([\d.]+)s", re.M)
REJECTED = re.compile(STAMP + r"ERROR pack production-readiness: new revision rejected: (.*); still serving "
                      r"revision (sha256:[0-9a-f]{12})$", re.M)
TAMPERED_FILE = "no-todos-in-release-files.yaml"


def run(*args: str) -> None:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output


def revision(tmp: Path, name: str, version: str, key: Path | None = None) -> Path:
    """The built-in pack as version ``version`` (one policy title changed), built and signed."""
    folder = tmp / name
    shutil.copytree(BUILTIN, folder, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    pack_file = folder / "pack.yaml"
    pack_file.write_text(pack_file.read_text().replace("version: 0.1.0", f"version: {version}", 1))
    policy = folder / TAMPERED_FILE
    title = "title: Release-critical files carry no TODO or FIXME"
    policy.write_text(policy.read_text().replace(title, f"{title} ({version})", 1))
    archive = tmp / f"{name}.tar.gz"
    # in a process of its own: `pack build` runs the pack's examples under their CPU-time deadline, which
    # counts every thread of the process (this test worker may hold other tests' client threads)
    built = subprocess.run([sys.executable, "-m", "anops_policy", "pack", "build", str(folder), "-o", str(archive)],
                           capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    run("pack", "sign", str(archive), "--signing-key", str(key or tmp / "platform.pem"))
    return archive


@dataclass
class Answer:
    sent: float  # wall clock, as the server's log lines
    received: float
    digests: tuple[str, ...]
    decision_id: str


def log_time(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()  # local time, as logged


def wait_for(what: str, timeout: float, probe: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Serving:
    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def target(self) -> str:
        port = wait_for("the server to listen", 120, lambda: SERVING.search(self.text())).group(1)
        return f"127.0.0.1:{port}"

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(120)


def serve(tmp_path: Path, ref: str, *extra: str) -> Serving:
    """`serve` following ``ref`` (signed by platform.pem) with console metrics in its log."""
    log = tmp_path / "serve.log"
    env = {**os.environ, "NO_COLOR": "1", "OTEL_METRICS_EXPORTER": "console", "OTEL_TRACES_EXPORTER": "none",
           "OTEL_METRIC_EXPORT_INTERVAL": "1000"}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "anops_policy", "serve", "--listen", "127.0.0.1:0", "--pack", ref,
             "--pack-key", str(tmp_path / "platform.pem.pub"), *extra],
            stdout=sink, stderr=subprocess.STDOUT, cwd=tmp_path, env=env,
        )
    return Serving(process, log)


def test_a_server_follows_its_pack_under_load(tmp_path: Path, registry: str) -> None:
    run("audit", "keygen", "--out", str(tmp_path / "platform.pem"))
    first = revision(tmp_path, "rev-a", "0.1.1", tmp_path / "platform.pem")
    second = revision(tmp_path, "rev-b", "0.1.2", tmp_path / "platform.pem")
    third = revision(tmp_path, "rev-c", "0.1.3", tmp_path / "platform.pem")
    digests = [read_archive(a.read_bytes(), a.name).digest for a in (first, second, third)]
    ref = f"oci://{registry}/platform/production-readiness:stable"
    run("pack", "push", str(first), ref)
    facts = tmp_path / "facts.json"
    run("facts", str(EXAMPLE), "--now", NOW, "-o", str(facts))
    facts_json = facts.read_bytes()

    decisions = tmp_path / "decisions.jsonl"
    # workers retire every 20 evaluations: their replacements start mid-run, with the newest packs
    server = serve(tmp_path, ref, "--pack-refresh", str(REFRESH_S), "--max-workers", "2", "--max-jobs-per-worker",
                   "20", "--decision-log", str(decisions))
    text = server.text
    answers: list[Answer] = []
    failures: list[str] = []
    stop = threading.Event()
    try:
        target = server.target()

        def client() -> None:
            remote = PolicyClient(target, timeout_s=120)
            try:
                while not stop.is_set():
                    sent = time.time()
                    try:
                        answer = remote.evaluate(policy_pb2.EvaluateRequest(facts_json=facts_json))
                    except Exception as exc:  # counted: the test requires none
                        failures.append(f"{type(exc).__name__}: {exc}")
                        continue
                    answers.append(Answer(sent, time.time(), tuple(p.digest for p in answer.packs),
                                          answer.decision_id))
            finally:
                remote.close()

        threads = [threading.Thread(target=client, name=f"client-{i}") for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        wait_for("answers under load", 120, lambda: len(answers) >= CLIENTS)

        run("pack", "push", str(second), ref)
        pushed = time.time()
        swapped = wait_for("the new revision", 60, lambda: SWAPPED.search(text()))
        swapped_at, load_s = log_time(swapped.group(1)), float(swapped.group(3))
        assert digests[1].startswith(swapped.group(2))
        wait_for("an answer judged by the new revision", 60,
                 lambda: any(a.digests == (digests[1],) for a in answers))
        first_new = min(a.received for a in answers if a.digests == (digests[1],))

        # the third revision, signed by the trusted key, then altered inside the pushed artifact
        signed = read_archive(third.read_bytes(), third.name)
        files = dict(signed.files)
        files[TAMPERED_FILE] = files[TAMPERED_FILE].replace(b"severity: high", b"severity: low")
        tampered = Archive(signed.manifest, files, signed.signature, "tampered",
                           write_archive(signed.manifest, files, signed.signature))
        oci.push(tampered, parse_source(ref))
        pushed_tampered = time.time()
        rejected = wait_for("the tampered revision's rejection", 60, lambda: REJECTED.search(text()))
        rejected_at = log_time(rejected.group(1))
        time.sleep(3 * REFRESH_S)  # the server keeps answering (and checking) after the rejection
        stop.set()
        for thread in threads:
            thread.join(180)
        listing = PolicyClient(target).packs([])
    finally:
        stop.set()
        code = server.stop()
    log = text()
    assert code == 0, log[-3000:]
    assert "Traceback" not in log

    assert failures == [], failures[:5]
    assert all(len(a.digests) == 1 and a.digests[0] in digests[:2] for a in answers)
    before = [a for a in answers if a.received < pushed]
    after_swap = [a for a in answers if a.sent > swapped_at + 0.001]
    after_reject = [a for a in answers if a.sent > rejected_at + 0.001]
    assert before and all(a.digests == (digests[0],) for a in before)
    assert after_swap and all(a.digests == (digests[1],) for a in after_swap)
    assert after_reject and all(a.digests == (digests[1],) for a in after_reject)
    pickup_s = swapped_at - pushed
    assert pickup_s <= REFRESH_S + load_s + 0.5, (pickup_s, load_s)
    assert rejected_at - pushed_tampered <= REFRESH_S + 5
    assert f"file '{TAMPERED_FILE}' was altered" in rejected.group(2)
    assert digests[1].startswith(rejected.group(3))
    assert [p.digest for p in listing] == [digests[1]]
    assert log.count("new revision rejected") == 1  # the same bad revision is not fetched and logged again
    # the metric: one rejected check and one update, by pack and outcome
    assert re.search(r'"anops\.pack\.refresh\.outcome": "rejected"', log)
    assert re.search(r'"anops\.pack\.refresh\.outcome": "updated"', log)
    # the decision log records, for each answer, the digest the answer names
    events = {e["decision_id"]: e for e in map(json.loads, decisions.read_text().splitlines())}
    assert len(events) == len(answers)
    assert all([p["digest"] for p in events[a.decision_id]["packs"]] == list(a.digests) for a in answers)
    print(f"\n{CLIENTS} clients, {len(answers)} answers ({len(before)} before the push, {len(after_swap)} started "
          f"after the swap), revisions seen: {sorted({a.digests[0][:19] for a in answers})}; "
          f"picked up {pickup_s:.2f}s after the push (interval {REFRESH_S}s, load {load_s:.2f}s), first answer "
          f"by it {first_new - pushed:.2f}s after the push; the tampered revision rejected "
          f"{rejected_at - pushed_tampered:.2f}s after its push, {len(after_reject)} answers started after that")


def _git(*args: str) -> None:
    subprocess.run(["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args], check=True,
                   capture_output=True)


@pytest.mark.parametrize("kind", ["git", "https"])
def test_git_and_https_sources_are_followed_too(tmp_path: Path, kind: str, https_folder: tuple[Path, str]) -> None:
    """A branch that moves and an https archive that is replaced: the new revision is swapped in; one signed
    by an untrusted key is rejected while the previous one keeps answering."""
    run("audit", "keygen", "--out", str(tmp_path / "platform.pem"))
    run("audit", "keygen", "--out", str(tmp_path / "other.pem"))
    first, second = revision(tmp_path, "rev-a", "0.1.1"), revision(tmp_path, "rev-b", "0.1.2")
    untrusted = revision(tmp_path, "rev-c", "0.1.3", tmp_path / "other.pem")
    digests = [read_archive(a.read_bytes(), a.name).digest for a in (first, second, untrusted)]
    bare, work = tmp_path / "packs.git", tmp_path / "work"
    folder, base = https_folder

    def publish(archive: Path) -> None:
        if kind == "https":
            shutil.copy(archive, folder / "prod.tar.gz.tmp")
            (folder / "prod.tar.gz.tmp").replace(folder / "prod.tar.gz")
            return
        shutil.copy(archive, work / "prod.tar.gz")
        _git("-C", str(work), "add", ".")
        _git("-C", str(work), "commit", "-qm", archive.name)
        _git("-C", str(work), "push", "-q", str(bare), "HEAD:refs/heads/main")

    _git("init", "-q", "--bare", str(bare))
    _git("init", "-q", str(work))
    publish(first)
    ref = f"git+file://{bare}#main:prod.tar.gz" if kind == "git" else f"{base}/prod.tar.gz"
    server = serve(tmp_path, ref, "--pack-refresh", "1", "--max-workers", "1")
    try:
        client = PolicyClient(server.target())
        assert [p.digest for p in client.packs([])] == [digests[0]]
        publish(second)
        wait_for("the new revision", 60, lambda: [p.digest for p in client.packs([])] == [digests[1]])
        publish(untrusted)
        rejected = wait_for("the rejection", 60, lambda: REJECTED.search(server.text()))
        assert "signature check failed" in rejected.group(2) and digests[1].startswith(rejected.group(3))
        time.sleep(2)
        assert [p.digest for p in client.packs([])] == [digests[1]]
        client.close()
    finally:
        code = server.stop()
    assert code == 0 and "Traceback" not in server.text()


def test_following_needs_a_changing_remote_pack_and_a_trusted_key(tmp_path: Path, registry: str) -> None:
    """Refused before the server listens (exit 2): nothing remote to follow; a remote pack that the lock file
    pins but no key vouches for (the lock pins one revision, not the next); a reference by digest."""
    builtin = subprocess.run(
        [sys.executable, "-m", "anops_policy", "serve", "--listen", "127.0.0.1:0", "--pack",
         "builtin:production-readiness", "--pack-refresh", "5"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
    )
    assert builtin.returncode == 2, builtin.stderr
    assert "none of the server's packs is remote" in builtin.stderr and "Traceback" not in builtin.stderr
    archive = tmp_path / "prod.tar.gz"
    run("pack", "build", str(BUILTIN), "-o", str(archive))
    ref = f"oci://{registry}/platform/production-readiness:0.1.0"
    run("pack", "push", str(archive), ref)
    (tmp_path / "anops-policy.yaml").write_text(f"packs: ['{ref}']\n")
    run("pack", "lock", str(tmp_path))
    unsigned = subprocess.run(
        [sys.executable, "-m", "anops_policy", "serve", "--listen", "127.0.0.1:0", "--config",
         str(tmp_path / "anops-policy.yaml"), "--pack-refresh", "5"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
    )
    assert unsigned.returncode == 2, unsigned.stderr
    assert "needs a trust policy" in unsigned.stderr and ref in unsigned.stderr
    assert "Traceback" not in unsigned.stderr
    # a reference by digest names one revision: there is nothing to follow
    pinned = json.loads((tmp_path / "anops-policy.lock").read_text())["packs"][ref]["pinned"]
    (tmp_path / "anops-policy.yaml").write_text(f"packs: ['{ref}@{pinned}']\n")
    run("pack", "lock", str(tmp_path))
    fixed = subprocess.run(
        [sys.executable, "-m", "anops_policy", "serve", "--listen", "127.0.0.1:0", "--config",
         str(tmp_path / "anops-policy.yaml"), "--pack-refresh", "5"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
    )
    assert fixed.returncode == 2, fixed.stderr
    assert "names one revision" in fixed.stderr and "Traceback" not in fixed.stderr
