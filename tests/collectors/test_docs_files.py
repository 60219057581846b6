"""Weird documentation files never crash the docs collector: a binary README, a non-UTF-8 plan, a 50 MB
Markdown file and a symlink loop each end as a recorded skip, and the rest is still collected."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from anops_policy.config import config_from_data
from anops_policy.facts import section_errors
from anops_policy.pipeline.collect import collect_facts

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_weird_docs_are_recorded_skips(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "svc").mkdir(parents=True)
    (root / "README.md").write_text("# Fine\n\n[guide](docs/guide.md)\n\n```sh\npytest -q  # should pass\n```\n")
    (root / "svc" / "README.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00 binary")
    (root / "ACTIONPLAN.md").write_bytes("# Plan\n- [ ] caf\xe9\n".encode("latin-1"))
    with (root / "BIG.md").open("wb") as fh:
        line = b"- [ ] [a link](nowhere.md) in a very large file\n"
        for _ in range(50 * 1024 * 1024 // len(line) + 1):
            fh.write(line)
    (root / "loop.md").symlink_to("loop.md")
    (root / "docs").mkdir()
    (root / "docs" / "README").symlink_to("README")
    config = config_from_data({"apiVersion": "anops.dev/config/v1"}, None, "t")
    document = collect_facts(root, config, now=NOW, only=["docs"], use_git=False)
    meta = document["meta"]["collectors"]["docs"]
    assert meta["status"] == "ok", meta
    reasons = {s["path"]: s["reason"] for s in meta["skipped"]}
    assert reasons["svc/README.md"] == "binary file"
    assert reasons["ACTIONPLAN.md"].startswith("not UTF-8")
    assert reasons["BIG.md"].startswith("larger than")
    assert "symlink loop" in reasons["loop.md"]
    assert "symlink loop" in reasons["docs/README"]
    section = document["docs"]
    assert section_errors("docs", section) == []
    assert section["readme"]["tells_how_to_run_tests"] is True
    assert section["readme"]["tells_what_to_expect"] is True
    assert list(section["readmes"]) == ["README.md"]
    assert section["action_plan"]["present"] is False  # unreadable: reported as skipped, not as a plan
    assert [(b["path"], b["line"], b["target"]) for b in section["links"]["broken"]] == [
        ("README.md", 3, "docs/guide.md")
    ]
