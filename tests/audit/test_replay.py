"""`audit replay`: the stored facts, pack, config and `now` reproduce a logged decision exactly; with
`--pack` they show what another pack decides on the same facts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from audit_helpers import Tiny, events, invoke

from anops_policy.audit import store as log_store
from anops_policy.audit.decision_log import objects_dir
from anops_policy.audit.replay import compare, replay


def test_exact_replay_after_the_tree_changed(tiny: Tiny) -> None:
    tiny.config("waivers:\n  - {policy: no-todos, subject: src/build.rs, owner: jane, reason: r, ticket: T-1, "
                "expires: 2026-12-01}\n")
    assert tiny.eval(now="2026-11-26").exit_code == 0
    decision_id = events(tiny.log)[-1]["decision_id"]
    # everything the evaluation read changes afterwards: the replay must not care
    (tiny.repo / "src" / "build.rs").write_text("fn main() {}\n")
    tiny.config("")
    tiny.policy("no-todos", "hard")
    result = invoke("audit", "replay", decision_id, "--log", str(tiny.log))
    assert result.exit_code == 0, result.output
    assert "with the stored pack: tiny 1.0.0" in result.output
    assert "no change: 2 decisions reproduced exactly" in result.output
    data = json.loads(invoke("audit", "replay", "latest", "--log", str(tiny.log), "--format", "json").stdout)
    assert data["exact"] is True and data["summary"]["before"] == data["summary"]["after"]


def test_replay_with_another_pack_shows_what_changed(tiny: Tiny, tmp_path: Path) -> None:
    tiny.eval()
    today = tmp_path / "today"
    shutil.copytree(tiny.pack, today)
    policy = today / "no-todos.yaml"
    policy.write_text(policy.read_text().replace("rule: size(vars.found) == 0", "rule: size(vars.found) <= 1")
                      .replace("enforcement: soft", "enforcement: hard"))
    result = invoke("audit", "replay", "latest", "--log", str(tiny.log), "--pack", str(today))
    assert result.exit_code == 0, result.output
    assert "with the given pack: tiny 1.0.0" in result.output
    assert "~ no-todos [src/build.rs]: outcome: fail → pass" in result.output
    assert "~ no-todos [src/clean.rs]: enforcement: soft → hard" in result.output
    assert ("replayed: 1 of 2 applicable checklist items satisfied"
        " · 0 not applicable · 0 blocking failures") in result.output


def test_a_replay_that_differs_from_the_log_exits_1(tiny: Tiny) -> None:
    tiny.eval()
    records = events(tiny.log)
    store = objects_dir(tiny.log)
    # simulate an engine whose decision changed: compare against an edited copy of the logged decisions
    result = replay(tiny.log, records[-1]["decision_id"])
    assert result.exact
    edited = [dict(d) for d in records[-1]["decisions"]]
    edited[0]["outcome"] = "pass"
    changes = compare(edited, records[-1]["decisions"])
    assert changes == [{"policy": "no-todos", "subject": edited[0]["subject"], "change": "outcome",
                        "before": "pass", "after": records[-1]["decisions"][0]["outcome"]}]
    # a stored fact document that no longer matches its address is refused, not silently replayed
    path = log_store.object_path(store, records[-1]["objects"]["facts"])
    path.write_bytes(path.read_bytes()[:-8] + b"\0" * 8)
    broken = invoke("audit", "replay", "latest", "--log", str(tiny.log))
    assert broken.exit_code == 2 and "stored object" in broken.stderr


def test_replay_of_unknown_decision(tiny: Tiny) -> None:
    tiny.eval()
    result = invoke("audit", "replay", "d-0000000000000000", "--log", str(tiny.log))
    assert result.exit_code == 2 and "no evaluation with decision id" in result.stderr


def test_a_pack_with_pattern_files_replays_from_the_log(tmp_path: Path) -> None:
    """A pack's patterns/*.yaml travel with it into the log (as ``patterns/<file>``) and come back on replay,
    after the pack folder and the code are gone."""
    root = Path(__file__).resolve().parents[2]
    repo, pack = tmp_path / "repo", tmp_path / "pack"
    shutil.copytree(root / "examples" / "polyglot", repo)
    shutil.copytree(root / "tests" / "server" / "pattern_pack", pack)
    log = tmp_path / "decisions.jsonl"
    result = invoke("eval", str(repo), "--pack", str(pack), "--decision-log", str(log), "--now", "2026-12-01T00:00:00Z")
    assert result.exit_code == 1, result.output
    stored = events(log)[-1]
    shutil.rmtree(pack)
    shutil.rmtree(repo / "gateway")
    replayed = invoke("audit", "replay", stored["decision_id"], "--log", str(log))
    assert replayed.exit_code == 0, replayed.output
    assert "no change: 1 decisions reproduced exactly" in replayed.output
